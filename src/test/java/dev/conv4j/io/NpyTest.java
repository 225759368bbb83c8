package dev.conv4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NpyTest {

    @TempDir Path dir;

    /** The bytes numpy 1.x writes for np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)). */
    private static byte[] numpyF32x2x3() {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        // 10 + 118 = 128: header padded with spaces, ending in '\n', to a multiple of 64
        String header = dict + " ".repeat(118 - dict.length() - 1) + "\n";
        out.writeBytes(new byte[] {(byte) header.length(), 0});
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) {
            data.putFloat(i);
        }
        out.writeBytes(data.array());
        return out.toByteArray();
    }

    /** A file with the given version, header dict, byte order and item size, padded like numpy. */
    private static byte[] npy(int major, String dict, ByteOrder order, double[] values, int itemSize) {
        int pre = major == 1 ? 10 : 12;
        int total = pre + dict.getBytes(StandardCharsets.UTF_8).length + 1;
        int padded = (total + 63) / 64 * 64;
        byte[] header = (dict + " ".repeat(padded - total) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(padded + values.length * itemSize);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        b.order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            b.putShort((short) header.length);
        } else {
            b.putInt(header.length);
        }
        b.put(header);
        b.order(order);
        for (double v : values) {
            if (itemSize == 4) {
                b.putFloat((float) v);
            } else {
                b.putDouble(v);
            }
        }
        return b.array();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void read_numpyWrittenFloat32_valuesAndShape() throws IOException {
        byte[] bytes = numpyF32x2x3();
        assertEquals(128 + 24, bytes.length);
        Tensor t = Npy.read(file("a.npy", bytes));
        assertEquals(Shape.of(2, 3), t.shape());
        assertTrue(t.isDirect());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, t.toArray());
    }

    @ParameterizedTest
    @CsvSource({"1, <f4, 4", "2, <f4, 4", "3, <f4, 4", "1, >f4, 4", "1, <f8, 8", "2, >f8, 8", "3, <f8, 8"})
    void read_everyVersionDtypeAndByteOrder(int major, String descr, int itemSize) throws IOException {
        double[] v = {1.5, -2.25, 1e-3, 3.0e38, 0.1, 7};
        ByteOrder order = descr.startsWith("<") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1, 2, 3), }";
        Tensor t = Npy.read(file("v.npy", npy(major, dict, order, v, itemSize)));
        assertEquals(Shape.of(1, 2, 3), t.shape());
        float[] expected = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            expected[i] = (float) v[i];  // float64 is rounded to the nearest float32
        }
        assertArrayEquals(expected, t.toArray());
    }

    @Test
    void read_oneDimensionalTupleAndReorderedKeysAndDoubleQuotes() throws IOException {
        String dict = "{\"shape\": (3,), \"fortran_order\": False, \"descr\": \"<f4\"}";
        Tensor t = Npy.read(file("o.npy", npy(1, dict, ByteOrder.LITTLE_ENDIAN, new double[] {1, 2, 3}, 4)));
        assertEquals(Shape.of(3), t.shape());
        assertArrayEquals(new float[] {1, 2, 3}, t.toArray());
    }

    @Test
    void read_largerThanOneChunk() throws IOException {
        int n = 70_000;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = i * 0.5;
        }
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + n + ",), }";
        Tensor t = Npy.read(file("big.npy", npy(1, dict, ByteOrder.LITTLE_ENDIAN, v, 8)));
        assertEquals(n, t.size());
        assertEquals(0.5f * (n - 1), t.get(n - 1));
        assertEquals(0.5f * 65_536, t.get(65_536));
    }

    @Test
    void write_isByteForByteWhatNumpyWrites() throws IOException {
        Path p = dir.resolve("w.npy");
        Npy.write(p, Tensor.of(Shape.of(2, 3), 0, 1, 2, 3, 4, 5));
        assertArrayEquals(numpyF32x2x3(), Files.readAllBytes(p));
    }

    @Test
    void write_headerIsPaddedTo64AndEndsInNewline() {
        for (Shape s : new Shape[] {Shape.of(7), Shape.of(1, 64, 224, 224), Shape.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)}) {
            byte[] h = Npy.header(s);
            assertEquals(0, h.length % 64, s.toString());
            assertEquals('\n', h[h.length - 1]);
            assertEquals(h.length - 10, (h[8] & 0xff) | (h[9] & 0xff) << 8);
        }
        assertTrue(new String(Npy.header(Shape.of(7)), StandardCharsets.ISO_8859_1).contains("'shape': (7,), }"));
    }

    @Test
    void writeThenRead_roundTrips_includingChannelsLast() throws IOException {
        Shape s = Shape.of(2, 3, 4, 5);
        float[] v = new float[(int) s.elementCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i) * 1e3f;
        }
        Tensor cf = Tensor.of(s, v);
        Path p = dir.resolve("r.npy");
        Npy.write(p, cf);
        assertArrayEquals(v, Npy.read(p).toArray());
        Npy.write(p, cf.toLayout(Layout.CHANNELS_LAST));  // replaces, written in logical order
        Tensor back = Npy.read(p);
        assertEquals(Layout.CHANNELS_FIRST, back.layout());
        assertArrayEquals(v, back.toArray());
    }

    @Test
    void write_leavesNoTemporaryFileAndReplacesAtomically() throws IOException {
        Path p = dir.resolve("x.npy");
        Files.writeString(p, "old");
        Npy.write(p, Tensor.of(Shape.of(1), 42));
        assertArrayEquals(new float[] {42}, Npy.read(p).toArray());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void write_missingDirectory_throwsIoAndLeavesNothing() {
        Path p = dir.resolve("no/such/dir/x.npy");
        assertThrows(IOException.class, () -> Npy.write(p, Tensor.of(Shape.of(1), 1)));
    }

    // ---- errors: each names the file and the problem -----------------------------------------

    private void assertRejected(byte[] bytes, String expectedProblem) throws IOException {
        Path p = file("bad.npy", bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(p));
        assertEquals("npy file " + p + ": " + expectedProblem, e.getMessage());
    }

    @Test
    void read_fortranOrder_rejected() throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
        assertRejected(npy(1, dict, ByteOrder.LITTLE_ENDIAN, new double[6], 4),
                "Fortran-order arrays are not supported (save a C-order array, e.g. numpy.ascontiguousarray)");
    }

    @ParameterizedTest
    @CsvSource({"<i4", "<f2", "|u1", "<c8", "=f4"})
    void read_otherDtypes_rejected(String descr) throws IOException {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2,), }";
        assertRejected(npy(1, dict, ByteOrder.LITTLE_ENDIAN, new double[2], 4),
                "unsupported dtype '" + descr + "' (expected float32 '<f4' or float64 '<f8', either byte order)");
    }

    @Test
    void read_badMagic_rejected() throws IOException {
        byte[] b = numpyF32x2x3();
        b[1] = 'X';
        assertRejected(b, "not an NPY file (bad magic bytes)");
        assertRejected("PK\u0003\u0004 this is a zip file".getBytes(StandardCharsets.ISO_8859_1),
                "not an NPY file (bad magic bytes)");
    }

    @Test
    void read_truncated_rejected() throws IOException {
        byte[] b = numpyF32x2x3();
        assertRejected(Arrays.copyOf(b, b.length - 1), "truncated: shape [2, 3] needs 24 data bytes, the file has 23 after the header");
        assertRejected(Arrays.copyOf(b, 60), "truncated: header of 118 bytes, but only 50 bytes follow the preamble");
        assertRejected(Arrays.copyOf(b, 5), "truncated: 5 bytes is shorter than the NPY preamble");
    }

    @Test
    void read_extraBytesAfterData_rejected() throws IOException {
        byte[] b = numpyF32x2x3();
        assertRejected(Arrays.copyOf(b, b.length + 4), "4 unexpected bytes after the 24 data bytes");
    }

    @Test
    void read_badVersion_rejected() throws IOException {
        byte[] b = numpyF32x2x3();
        b[6] = 4;
        assertRejected(b, "unsupported NPY version 4.0 (expected 1.0, 2.0 or 3.0)");
    }

    @Test
    void read_malformedHeader_rejected() throws IOException {
        assertRejected(npy(1, "{'descr': '<f4', 'shape': (2,), }", ByteOrder.LITTLE_ENDIAN, new double[2], 4),
                "header must have 'descr' (a string), 'fortran_order' (a bool) and 'shape' (a tuple), "
                        + "got {'descr': '<f4', 'shape': (2,), }");
        assertRejected(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }",
                        ByteOrder.LITTLE_ENDIAN, new double[2], 4),
                "header: shape must hold non-negative integers, at \"-1), }\"");
        assertRejected(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                        ByteOrder.LITTLE_ENDIAN, new double[1], 4),
                "0-d arrays are not supported (shape ())");
        assertRejected(npy(1, "['descr']", ByteOrder.LITTLE_ENDIAN, new double[0], 4),
                "header: expected '{' at \"['descr']\"");
    }

    /**
     * A header may hold up to 1 MB. Building a message argument for every dimension and key
     * made parsing quadratic: 100000 dimensions of 1 took six minutes. Now a shape has at most
     * {@link Npy#MAX_DIMS} dimensions (NumPy's limit), many keys parse in linear time, and a
     * message quotes at most a few dozen characters of the header.
     */
    @Test
    void read_hugeHeaders_areRejectedOrReadInLinearTime() throws IOException {
        String manyDims = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, ".repeat(100_000) + "), }";
        String oneTooMany = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, ".repeat(Npy.MAX_DIMS + 1) + "), }";
        StringBuilder keys = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ");
        for (int i = 0; keys.length() < 1_000_000 - 64; i++) {
            keys.append("'k").append(i).append("': True, ");
        }
        String manyKeys = keys.append('}').toString();
        String deep = "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(".repeat(200_000) + ", }";
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertRejected(npy(2, manyDims, ByteOrder.LITTLE_ENDIAN, new double[1], 4),
                    "header: shape has more than 64 dimensions");
            assertRejected(npy(1, oneTooMany, ByteOrder.LITTLE_ENDIAN, new double[1], 4),
                    "header: shape has more than 64 dimensions");
            assertArrayEquals(new float[] {1, 2},
                    Npy.read(file("keys.npy", npy(2, manyKeys, ByteOrder.LITTLE_ENDIAN, new double[] {1, 2}, 4))).toArray());
            assertRejected(npy(2, deep, ByteOrder.LITTLE_ENDIAN, new double[0], 4),
                    "header: shape must hold non-negative integers, at \"" + "(".repeat(40) + "...\"");
        });
        String most = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, ".repeat(Npy.MAX_DIMS) + "), }";
        assertEquals(Npy.MAX_DIMS, Npy.read(file("most.npy", npy(1, most, ByteOrder.LITTLE_ENDIAN, new double[1], 4)))
                .shape().rank());
    }

    /** Only ASCII digits are a size: Java's own parsing would take '\u0665' (Arabic-Indic five) as 5. */
    @Test
    void read_nonAsciiDigitsInTheShape_rejected() throws IOException {
        assertRejected(npy(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, \u0665), }",
                        ByteOrder.LITTLE_ENDIAN, new double[10], 4),
                "header: shape must hold non-negative integers, at \"\u0665), }\"");
    }

    @Test
    void read_shapeMoreThanATensorHolds_rejectedBeforeReadingData() throws IOException {
        // only the header: the element count is checked before the data's length
        assertRejected(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 24000, 24000), }",
                        ByteOrder.LITTLE_ENDIAN, new double[0], 4),
                "shape [1, 1, 24000, 24000] has more than the 536870848 elements a tensor can hold");
    }
}
