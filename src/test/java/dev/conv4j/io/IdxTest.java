package dev.conv4j.io;

import static dev.conv4j.io.IdxTestFiles.gzip;
import static dev.conv4j.io.IdxTestFiles.idx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir Path dir;

    private static final byte[] IMAGES = {0, 1, 2, (byte) 127, (byte) 128, (byte) 255, 7, 8, 9, 10, 11, 12};

    @Test void readsPlainImages() throws IOException {
        Path f = dir.resolve("images-idx3-ubyte");
        Files.write(f, idx(0x08, new int[] {2, 2, 3}, IMAGES));
        Idx.UbyteArray a = Idx.readUbyte(f);
        assertArrayEquals(new int[] {2, 2, 3}, a.dims());
        assertEquals(12, a.size());
        assertEquals(0, a.get(0));
        assertEquals(127, a.get(3));
        assertEquals(128, a.get(4));
        assertEquals(255, a.get(5));
        assertEquals(12, a.get(11));
    }

    @Test void readsGzipWhateverTheName() throws IOException {
        Path f = dir.resolve("labels-no-extension");
        Files.write(f, gzip(idx(0x08, new int[] {4}, new byte[] {3, 1, 4, 1})));
        Idx.UbyteArray a = Idx.readUbyte(f);
        assertArrayEquals(new int[] {4}, a.dims());
        assertArrayEquals(new byte[] {3, 1, 4, 1}, a.data());
    }

    @Test void rejectsTruncatedData() throws IOException {
        Path f = dir.resolve("short.gz");
        byte[] full = idx(0x08, new int[] {2, 2, 3}, IMAGES);
        Files.write(f, gzip(Arrays.copyOf(full, full.length - 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Idx.readUbyte(f));
        assertTrue(e.getMessage().contains("ends after 10 of its 12 elements"), e.getMessage());
        assertTrue(e.getMessage().contains("short.gz"), e.getMessage());
    }

    /** A header claiming 2^31 - 9 elements in a file of 16 data bytes allocated 2 GB before finding the data's end. */
    @Test void aHeaderClaimingHugeDimensionsAllocatesOnlyWhatTheDataHolds() throws IOException {
        Path f = dir.resolve("huge-idx1-ubyte");
        Files.write(f, idx(0x08, new int[] {Integer.MAX_VALUE - 8}, new byte[16]));
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Idx.readUbyte(f));
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertEquals("idx: " + f + " ends after 16 of its 2147483639 elements (dimensions [2147483639])", e.getMessage());
        assertTrue(allocated < 16 << 20, allocated + " bytes allocated");
    }

    /** Data longer than the first chunk arrives whole, through the growing array. */
    @Test void readsDataLargerThanTheFirstChunk() throws IOException {
        byte[] values = new byte[(1 << 21) + 3];
        for (int i = 0; i < values.length; i++) {
            values[i] = (byte) (i * 31);
        }
        Path f = dir.resolve("big.gz");
        Files.write(f, gzip(idx(0x08, new int[] {values.length}, values)));
        assertArrayEquals(values, Idx.readUbyte(f).data());
    }

    @Test void rejectsTruncatedHeader() throws IOException {
        Path f = dir.resolve("header");
        Files.write(f, new byte[] {0, 0, 8, 3, 0, 0});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Idx.readUbyte(f));
        assertTrue(e.getMessage().contains("ends inside its header"), e.getMessage());
    }

    /** A file that starts as gzip but is broken is bad input: one line naming the file and the rule, no JDK class name. */
    @Test void rejectsABrokenGzipFile() throws IOException {
        byte[] good = gzip(idx(0x08, new int[] {2, 2, 3}, IMAGES));
        Path method = dir.resolve("method.gz");
        byte[] badMethod = good.clone();
        badMethod[2] = 7;   // compression method: only 8 (deflate) exists
        Files.write(method, badMethod);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Idx.readUbyte(method, "fashion-mnist"));
        assertEquals("fashion-mnist: '" + method + "' is not a gzip file (invalid gzip header or data: Unsupported compression method)",
                e.getMessage());

        Path cut = dir.resolve("cut.gz");
        Files.write(cut, Arrays.copyOf(good, good.length / 2));
        e = assertThrows(IllegalArgumentException.class, () -> Idx.readUbyte(cut));
        assertEquals("idx: '" + cut + "' is not a gzip file (its compressed data ends too early)", e.getMessage());

        Path garbage = dir.resolve("garbage.gz");
        byte[] bad = good.clone();
        for (int i = 10; i < bad.length; i++) {
            bad[i] = (byte) 0xff;
        }
        Files.write(garbage, bad);
        e = assertThrows(IllegalArgumentException.class, () -> Idx.readUbyte(garbage));
        assertTrue(e.getMessage().startsWith("idx: '" + garbage + "' is not a gzip file (invalid gzip header or data: "),
                e.getMessage());
    }

    /** A valid gzip file whose IDX content is cut inside the header is an IDX error, not a gzip one. */
    @Test void aGzipOfATruncatedHeaderIsAnIdxError() throws IOException {
        Path f = dir.resolve("header.gz");
        Files.write(f, gzip(new byte[] {0, 0, 8, 3, 0, 0}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Idx.readUbyte(f));
        assertEquals("idx: " + f + " ends inside its header", e.getMessage());
    }

    @Test void rejectsOtherTypesAndBadMagic() throws IOException {
        Path floats = dir.resolve("floats");
        Files.write(floats, idx(0x0D, new int[] {1}, new byte[4]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Idx.readUbyte(floats));
        assertTrue(e.getMessage().contains("element type 0x0d"), e.getMessage());

        Path text = dir.resolve("text");
        Files.writeString(text, "hello world");
        e = assertThrows(IllegalArgumentException.class, () -> Idx.readUbyte(text));
        assertTrue(e.getMessage().contains("is not an IDX file"), e.getMessage());
    }
}
