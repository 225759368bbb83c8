package dev.conv4j.io;

import dev.conv4j.Check;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed (detected
 * from the first two bytes, whatever the file name).
 *
 * <p>An IDX file is a 4-byte magic number {@code 0x00 0x00 type rank}, then {@code rank}
 * big-endian 32-bit dimension sizes, then the elements in C order. Only unsigned bytes
 * ({@code type = 0x08}) are read: images are {@code [count, rows, columns]}, labels
 * {@code [count]}.
 */
public final class Idx {
    private Idx() {}

    /** The unsigned-byte type code of an IDX file. */
    public static final int UBYTE = 0x08;

    /**
     * An IDX array of unsigned bytes.
     *
     * @param dims dimension sizes, outermost first
     * @param data the elements in C order, as unsigned values 0..255 stored in bytes
     *             (read them with {@code data[i] & 0xff})
     */
    public record UbyteArray(int[] dims, byte[] data) {
        /** Element {@code i} as an int in 0..255. */
        public int get(int i) {
            return data[i] & 0xff;
        }

        /** Number of elements. */
        public int size() {
            return data.length;
        }

        @Override public String toString() {
            return "UbyteArray" + Arrays.toString(dims);
        }
    }

    /**
     * Reads an IDX file of unsigned bytes.
     *
     * @param file the file, gzip-compressed or not; read
     * @throws IllegalArgumentException if the file is not an IDX file of unsigned bytes, is
     *         truncated, or starts as gzip data but is not a valid gzip file; the message names
     *         the file
     * @throws UncheckedIOException if the file cannot be read
     */
    public static UbyteArray readUbyte(Path file) {
        return readUbyte(file, "idx");
    }

    /**
     * {@link #readUbyte(Path)} whose error messages start with {@code param} (the data set or
     * option the file was given for) instead of {@code idx}.
     */
    public static UbyteArray readUbyte(Path file, String param) {
        try (InputStream in = Files.newInputStream(file)) {
            return readUbyte(in, param, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(param + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads an IDX array of unsigned bytes from a stream (gzip-compressed or not); the stream
     * is read to the end of the array and not closed.
     *
     * @param in   the stream; read
     * @param name the source's name in error messages
     */
    public static UbyteArray readUbyte(InputStream in, String name) throws IOException {
        return readUbyte(in, "idx", name);
    }

    private static UbyteArray readUbyte(InputStream in, String param, String name) throws IOException {
        InputStream raw = Gzip.markable(in);
        if (Gzip.startsWithMagic(raw)) {
            // A broken gzip stream fails inside the JDK with a ZipException or an EOFException
            // that names neither the file nor the rule: it is bad input, and says so.
            InputStream gzip;
            try {
                gzip = new GZIPInputStream(raw, 1 << 16);
            } catch (ZipException | EOFException e) {
                throw notGzip(param, name, e);
            }
            return readIdx(new FilterInputStream(gzip) {
                @Override public int read() throws IOException {
                    try {
                        return super.read();
                    } catch (ZipException | EOFException e) {
                        throw notGzip(param, name, e);
                    }
                }

                @Override public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        return super.read(b, off, len);
                    } catch (ZipException | EOFException e) {
                        throw notGzip(param, name, e);
                    }
                }
            }, param, name);
        }
        return readIdx(raw, param, name);
    }

    private static UbyteArray readIdx(InputStream body, String param, String name) throws IOException {
        DataInputStream data = new DataInputStream(new BufferedInputStream(body, 1 << 16));
        try {
            int zero = data.readUnsignedShort();
            int type = data.readUnsignedByte();
            int rank = data.readUnsignedByte();
            Check.arg(zero == 0, "%s: %s is not an IDX file (magic number starts with 0x%04x, expected 0x0000)",
                    param, name, zero);
            Check.arg(type == UBYTE, "%s: %s has element type 0x%02x; only unsigned bytes (0x08) are supported",
                    param, name, type);
            Check.arg(rank >= 1, "%s: %s has rank 0; expected at least one dimension", param, name);
            int[] dims = new int[rank];
            long count = 1;
            for (int d = 0; d < rank; d++) {
                dims[d] = data.readInt();
                Check.arg(dims[d] >= 0, "%s: %s has a negative dimension %d at index %d", param, name, dims[d], d);
                count *= dims[d];
                Check.arg(count <= Integer.MAX_VALUE - 8, "%s: %s has dimensions %s, too many elements",
                        param, name, Arrays.toString(Arrays.copyOf(dims, d + 1)));
            }
            // The array grows as the data arrives: a header that claims 2^31 elements in a file of
            // a few bytes allocated 2 GB (or ran out of heap) before it found the end of the data.
            byte[] values = new byte[(int) Math.min(count, 1 << 20)];
            int read = 0;
            while (read < count) {
                if (read == values.length) {
                    values = Arrays.copyOf(values, (int) Math.min(count, 2L * values.length));
                }
                int r = data.read(values, read, values.length - read);
                if (r < 0) {
                    break;
                }
                read += r;
            }
            Check.arg(read == count, "%s: %s ends after %d of its %d elements (dimensions %s)",
                    param, name, read, count, Arrays.toString(dims));
            return new UbyteArray(dims, values);
        } catch (EOFException e) {
            throw new IllegalArgumentException(param + ": " + name + " ends inside its header", e);
        }
    }

    private static IllegalArgumentException notGzip(String param, String name, IOException e) {
        String why = e instanceof EOFException ? "its compressed data ends too early"
                : "invalid gzip header or data: " + e.getMessage();
        return new IllegalArgumentException(String.format(Locale.ROOT, "%s: '%s' is not a gzip file (%s)", param, name, why), e);
    }
}
