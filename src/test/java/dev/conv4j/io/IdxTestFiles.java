package dev.conv4j.io;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.GZIPOutputStream;

/** Writes tiny IDX files, plain or gzip-compressed, for the tests of {@link Idx} and of the data sets. */
public final class IdxTestFiles {
    private IdxTestFiles() {}

    /** An IDX file: magic 0x0000, {@code type}, rank, big-endian dims, then the bytes. */
    public static byte[] idx(int type, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeShort(0);
        out.writeByte(type);
        out.writeByte(dims.length);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        out.flush();
        return bytes.toByteArray();
    }

    /** An IDX file of unsigned bytes. */
    public static byte[] idx(int[] dims, byte[] data) throws IOException {
        return idx(Idx.UBYTE, dims, data);
    }

    /** A gzip-compressed IDX file of unsigned bytes. */
    public static byte[] gzipIdx(int[] dims, byte[] data) throws IOException {
        return gzip(idx(dims, data));
    }

    public static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(plain);
        }
        return bytes.toByteArray();
    }
}
