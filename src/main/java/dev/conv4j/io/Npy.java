package dev.conv4j.io;

import dev.conv4j.Check;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * NumPy {@code .npy} files: reads float32 and float64 C-order arrays into off-heap
 * {@link Tensor}s, writes float32.
 *
 * <p>A file is the magic {@code \x93NUMPY}, a version ({@code 1.0}, {@code 2.0} or
 * {@code 3.0}: a 2-byte or a 4-byte little-endian header length), a Python dict literal
 * such as {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }} padded with
 * spaces and a newline to a multiple of 64 bytes, then the elements in C order.
 *
 * <p>Reading accepts {@code descr} {@code <f4}, {@code >f4} (float32) and {@code <f8},
 * {@code >f8} (float64, rounded to float32) and {@code fortran_order: False}; anything else
 * (Fortran order, other dtypes, a bad magic, a malformed header, a truncated file, bytes
 * after the data, a 0-d array) is an {@link IllegalArgumentException} naming the file and
 * the problem. Writing produces a version 1.0 little-endian float32 file, written to a
 * temporary file in the same directory and then renamed over the target, so a reader never
 * sees a partial file. A channels-last tensor is written in its logical (C) order.
 */
public final class Npy {
    private Npy() {}

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    /** The most dimensions an array may have: NumPy's own limit ({@code NPY_MAXDIMS} in NumPy 2). */
    public static final int MAX_DIMS = 64;

    /**
     * Reads an array into a new off-heap channels-first tensor of the file's shape.
     *
     * @param file an {@code .npy} file; read
     * @throws IllegalArgumentException if the file is not a regular file (a directory, a FIFO, a
     *         device) or not a float32/float64 C-order NPY array
     * @throws IOException if the file cannot be read
     */
    public static Tensor read(Path file) throws IOException {
        // A FIFO would block until a writer appears, and a device may never end: regular files only.
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw error(file, "not a regular file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer pre = readFully(ch, 0, (int) Math.min(size, 12), file);
            require(pre.remaining() >= 10, file, "truncated: %d bytes is shorter than the NPY preamble", size);
            for (int i = 0; i < MAGIC.length; i++) {
                require(pre.get(i) == MAGIC[i], file, "not an NPY file (bad magic bytes)");
            }
            int major = pre.get(6) & 0xff;
            int minor = pre.get(7) & 0xff;
            require((major == 1 || major == 2 || major == 3) && minor == 0, file,
                    "unsupported NPY version %d.%d (expected 1.0, 2.0 or 3.0)", major, minor);
            long headerLen;
            int headerStart;
            pre.order(ByteOrder.LITTLE_ENDIAN);
            if (major == 1) {
                headerLen = pre.getShort(8) & 0xffff;
                headerStart = 10;
            } else {
                require(pre.remaining() >= 12, file, "truncated: %d bytes is shorter than the NPY preamble", size);
                headerLen = pre.getInt(8) & 0xffffffffL;
                headerStart = 12;
            }
            require(headerStart + headerLen <= size, file,
                    "truncated: header of %d bytes, but only %d bytes follow the preamble", headerLen, size - headerStart);
            require(headerLen <= 1 << 20, file, "header of %d bytes is implausibly large", headerLen);
            ByteBuffer hb = readFully(ch, headerStart, (int) headerLen, file);
            byte[] hbytes = new byte[hb.remaining()];
            hb.get(hbytes);
            String header = new String(hbytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Header h = Header.parse(header, file);

            long dataStart = headerStart + headerLen;
            long count = 1;
            for (int d : h.shape) {
                count *= d;
                require(count <= Tensor.MAX_ELEMENTS, file, "shape %s has more than the %d elements a tensor can hold",
                        Arrays.toString(h.shape), Tensor.MAX_ELEMENTS);
            }
            long dataBytes = count * h.itemSize;
            require(size - dataStart >= dataBytes, file,
                    "truncated: shape %s needs %d data bytes, the file has %d after the header",
                    Arrays.toString(h.shape), dataBytes, size - dataStart);
            require(size - dataStart == dataBytes, file, "%d unexpected bytes after the %d data bytes",
                    size - dataStart - dataBytes, dataBytes);

            Tensor t = Tensor.allocate(Shape.of(h.shape));
            FloatBuffer dst = t.buffer();
            int n = (int) count;
            // Read in chunks so a large array needs no second full-size buffer.
            int chunkElems = 1 << 16;
            long pos = dataStart;
            for (int done = 0; done < n; ) {
                int len = Math.min(chunkElems, n - done);
                ByteBuffer bytes = readFully(ch, pos, len * h.itemSize, file).order(h.order);
                if (h.itemSize == 4) {
                    dst.put(done, bytes.asFloatBuffer(), 0, len);
                } else {
                    DoubleBuffer db = bytes.asDoubleBuffer();
                    for (int i = 0; i < len; i++) {
                        dst.put(done + i, (float) db.get(i));
                    }
                }
                done += len;
                pos += (long) len * h.itemSize;
            }
            t.markModified();
            return t;
        }
    }

    /**
     * Writes {@code t} as a version 1.0 little-endian float32 C-order array, atomically
     * (temporary file in the same directory, then a rename).
     *
     * @param file the target; replaced if it exists; its directory must exist
     * @param t    the tensor; read (a channels-last tensor is written in logical order)
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, Tensor t) throws IOException {
        Tensor src = t.layout() == Layout.CHANNELS_FIRST ? t : t.toLayout(Layout.CHANNELS_FIRST);
        byte[] header = header(src.shape());
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, ByteBuffer.wrap(header));
                FloatBuffer from = src.buffer();
                int n = src.size();
                int chunkElems = 1 << 16;
                ByteBuffer bytes = ByteBuffer.allocate(chunkElems * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (int done = 0; done < n; ) {
                    int len = Math.min(chunkElems, n - done);
                    bytes.clear();
                    bytes.asFloatBuffer().put(0, from, done, len);
                    bytes.limit(len * Float.BYTES);
                    writeFully(ch, bytes);
                    done += len;
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** The preamble and header of a v1.0 float32 file of {@code shape}, padded to 64 bytes. */
    static byte[] header(Shape shape) {
        StringBuilder dims = new StringBuilder("(");
        for (int i = 0; i < shape.rank(); i++) {
            dims.append(shape.dim(i)).append(i == 0 && shape.rank() == 1 ? "," : i + 1 < shape.rank() ? ", " : "");
        }
        dims.append(')');
        StringBuilder dict = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': ")
                .append(dims).append(", }");
        // Pad with spaces so that preamble + header + '\n' is a multiple of 64 (what numpy writes).
        int total = 10 + dict.length() + 1;
        int padded = (total + ALIGN - 1) / ALIGN * ALIGN;
        dict.append(" ".repeat(padded - total)).append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
        return b.array();
    }

    // ---- header dict ------------------------------------------------------------------------------

    /** The parts of a header we use. */
    private record Header(int itemSize, ByteOrder order, int[] shape) {

        static Header parse(String text, Path file) {
            Map<String, Object> dict = new DictParser(text, file).parse();
            Object descr = dict.get("descr");
            Object fortran = dict.get("fortran_order");
            Object shape = dict.get("shape");
            require(descr instanceof String && fortran instanceof Boolean && shape instanceof int[], file,
                    "header must have 'descr' (a string), 'fortran_order' (a bool) and 'shape' (a tuple), got %s",
                    Check.abbreviate(text.strip(), 200));
            require(!(Boolean) fortran, file,
                    "Fortran-order arrays are not supported (save a C-order array, e.g. numpy.ascontiguousarray)");
            String d = (String) descr;
            int item;
            ByteOrder order;
            switch (d) {
                case "<f4" -> { item = 4; order = ByteOrder.LITTLE_ENDIAN; }
                case ">f4" -> { item = 4; order = ByteOrder.BIG_ENDIAN; }
                case "<f8" -> { item = 8; order = ByteOrder.LITTLE_ENDIAN; }
                case ">f8" -> { item = 8; order = ByteOrder.BIG_ENDIAN; }
                default -> throw error(file, "unsupported dtype '%s' (expected float32 '<f4' or float64 '<f8', "
                        + "either byte order)", d);
            }
            int[] dims = (int[]) shape;
            require(dims.length >= 1, file, "0-d arrays are not supported (shape ())");
            return new Header(item, order, dims);
        }
    }

    /** Parses the Python literal numpy writes: a dict of string keys to strings, bools and int tuples. */
    private static final class DictParser {
        private final String s;
        private final Path file;
        private int pos;

        DictParser(String s, Path file) {
            this.s = s;
            this.file = file;
        }

        Map<String, Object> parse() {
            Map<String, Object> out = new HashMap<>();
            expect('{');
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    break;
                }
                String key = string();
                expect(':');
                Object value = value();
                require(out.put(key, value) == null, file, "header: key '%s' appears twice", key);
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else {
                    expect('}');
                    break;
                }
            }
            skipSpace();
            if (pos != s.length()) {
                throw error(file, "header: unexpected text after the dict: %s", rest());
            }
            return out;
        }

        private Object value() {
            skipSpace();
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(') {
                return tuple();
            }
            if (s.startsWith("True", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            throw error(file, "header: unexpected value at \"%s\"", rest());
        }

        private int[] tuple() {
            expect('(');
            List<Integer> dims = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek() == ')') {
                    pos++;
                    break;
                }
                int start = pos;
                while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                    pos++;
                }
                // numpy may write a long as "3L" (Python 2)
                String digits = s.substring(start, pos);
                if (pos < s.length() && s.charAt(pos) == 'L') {
                    pos++;
                }
                // The message arguments are built only on failure: a header holds up to 1 MB, and
                // building them for every dimension made parsing quadratic (minutes for 100000 dims).
                if (digits.isEmpty()) {
                    throw error(file, "header: shape must hold non-negative integers, at \"%s\"", rest());
                }
                require(digits.length() <= 10 && Long.parseLong(digits) <= Integer.MAX_VALUE, file,
                        "header: shape dimension %s is too large", digits);
                require(dims.size() < MAX_DIMS, file, "header: shape has more than %d dimensions", MAX_DIMS);
                dims.add(Integer.parseInt(digits));
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else {
                    expect(')');
                    break;
                }
            }
            return dims.stream().mapToInt(Integer::intValue).toArray();
        }

        private String string() {
            skipSpace();
            char q = peek();
            if (q != '\'' && q != '"') {
                throw error(file, "header: expected a quoted string at \"%s\"", rest());
            }
            int end = s.indexOf(q, pos + 1);
            if (end < 0) {
                throw error(file, "header: unterminated string at \"%s\"", rest());
            }
            String out = s.substring(pos + 1, end);
            pos = end + 1;
            return out;
        }

        private void expect(char c) {
            skipSpace();
            if (peek() != c) {
                throw error(file, "header: expected '%c' at \"%s\"", c, rest());
            }
            pos++;
        }

        private char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        /** The text at the parse position, for a message: at most 40 characters of it, in O(1). */
        private String rest() {
            return Check.abbreviate(s.substring(pos, Math.min(s.length(), pos + 256)).strip(), 40);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static ByteBuffer readFully(FileChannel ch, long position, int len, Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            int r = ch.read(b, position + b.position());
            if (r < 0) {
                throw error(file, "truncated: expected %d bytes at offset %d, found %d", len, position, b.position());
            }
        }
        return b.flip();
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void require(boolean ok, Path file, String fmt, Object... args) {
        if (!ok) {
            throw error(file, fmt, args);
        }
    }

    private static IllegalArgumentException error(Path file, String fmt, Object... args) {
        return new IllegalArgumentException("npy file " + file + ": " + String.format(Locale.ROOT, fmt, args));
    }
}
