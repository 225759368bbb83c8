package dev.conv4j.tensor;

import dev.conv4j.Check;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A float32 tensor: a {@link Shape}, a {@link Layout} and storage that both engines read and
 * write in place. {@link #allocate} gives off-heap (direct, native-order) storage, which the
 * oneDNN engine uses without a copy; {@link #wrap} views a Java {@code float[]}, which the
 * oneDNN engine copies through a staging buffer.
 *
 * <p>Element {@code i} is the {@code i}-th element of the storage. For
 * {@link Layout#CHANNELS_FIRST} that is C-order over the logical shape; for
 * {@link Layout#CHANNELS_LAST} the channel index is innermost ({@link #offset}).
 *
 * <p>{@link #version()} changes on every write through this class; code that writes the
 * {@link #buffer()} directly calls {@link #markModified()} so that engines caching a
 * re-laid-out copy (weights) know to refresh it. Not thread-safe.
 */
public final class Tensor {
    private final Shape shape;
    private final Layout layout;
    private final FloatBuffer data;
    private final float[] array;   // non-null for wrapped heap storage
    private final int size;
    private final long[] version;  // one counter, shared with every reshaped view of the same storage

    private Tensor(Shape shape, Layout layout, FloatBuffer data, float[] array, long[] version) {
        this.shape = shape;
        this.layout = layout;
        this.data = data;
        this.array = array;
        this.size = (int) shape.elementCount();
        this.version = version;
    }

    private Tensor(Shape shape, Layout layout, FloatBuffer data, float[] array) {
        this(shape, layout, data, array, new long[1]);
    }

    private static int checkedSize(Shape shape) {
        checkElementCount("shape", shape.elementCount(), shape);
        return (int) shape.elementCount();
    }

    /**
     * Checks that a tensor of {@code shape} ({@code count} elements) fits {@link #MAX_ELEMENTS}.
     *
     * @param what the parameter named in the message
     * @throws IllegalArgumentException {@code "what: shape has count elements, more than the
     *         MAX_ELEMENTS a tensor can hold"}
     */
    public static void checkElementCount(String what, long count, Object shape) {
        if (count > MAX_ELEMENTS) {
            Check.arg(false, "%s: %s has %d elements, more than the %d a tensor can hold", what, shape, count, MAX_ELEMENTS);
        }
    }

    /** A zero-filled off-heap tensor in {@link Layout#CHANNELS_FIRST}. */
    public static Tensor allocate(Shape shape) {
        return allocate(shape, Layout.CHANNELS_FIRST);
    }

    /** A zero-filled off-heap tensor in the given layout. */
    public static Tensor allocate(Shape shape, Layout layout) {
        int n = checkedSize(shape);
        checkLayout(shape, layout);
        return new Tensor(shape, layout, alignedDirect(n), null);
    }

    /** Byte alignment of {@link #alignedDirect} buffers: a cache line (and an AVX-512 vector). */
    public static final int ALIGNMENT = 64;

    /**
     * The most elements a tensor holds: 536870848, the largest count whose bytes plus the
     * {@link #ALIGNMENT} slack of {@link #alignedDirect} fit a direct buffer (whose capacity is
     * an {@code int} of bytes), rounded down to a multiple of {@value #ALIGNMENT}. Shapes are
     * checked against it before anything is allocated ({@link dev.conv4j.ConvShapes}, NPY files).
     */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE / Float.BYTES / ALIGNMENT * ALIGNMENT;

    /**
     * A zero-filled off-heap float buffer of {@code floats} elements whose first element sits
     * on a {@value #ALIGNMENT}-byte boundary. Why: {@code allocateDirect} aligns to 8 or 16
     * bytes only, and oneDNN's kernels write large outputs with full-width (or non-temporal)
     * stores that are slower, or not used, when the destination is not cache-line aligned.
     *
     * @throws IllegalArgumentException if {@code floats} is negative or more than {@link #MAX_ELEMENTS}
     */
    public static FloatBuffer alignedDirect(int floats) {
        Check.arg(floats >= 0 && floats <= MAX_ELEMENTS, "floats: %d must be in [0, %d], what a tensor can hold",
                floats, MAX_ELEMENTS);
        int bytes = Math.multiplyExact(floats, Float.BYTES);
        ByteBuffer raw = ByteBuffer.allocateDirect(Math.addExact(bytes, ALIGNMENT - 1));
        int skip = (ALIGNMENT - raw.alignmentOffset(0, ALIGNMENT)) % ALIGNMENT;
        return raw.slice(skip, bytes).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** A zero-filled off-heap tensor of the given dimensions. */
    public static Tensor zeros(int... dims) {
        return allocate(Shape.of(dims));
    }

    /** An off-heap copy of {@code values}, which must hold exactly {@code shape.elementCount()} values. */
    public static Tensor of(Shape shape, float... values) {
        Tensor t = allocate(shape);
        Check.arg(values.length == t.size, "values: expected %d for shape %s, got %d", t.size, shape, values.length);
        t.data.put(0, values);
        return t;
    }

    /** A channels-first tensor viewing {@code values} (not copied; writes go to the array). */
    public static Tensor wrap(float[] values, int... dims) {
        return wrap(values, Shape.of(dims), Layout.CHANNELS_FIRST);
    }

    /**
     * A zero-filled tensor on the Java heap (a {@code float[]} of its own), for Java code that
     * computes into an array; the shape's size is checked first, as {@link #allocate} does.
     *
     * @throws IllegalArgumentException {@code "what: shape has count elements, more than ..."}
     */
    public static Tensor onHeap(String what, Shape shape, Layout layout) {
        checkElementCount(what, shape.elementCount(), shape);
        return wrap(new float[(int) shape.elementCount()], shape, layout);
    }

    /** A tensor viewing {@code values} (not copied) with the given shape and layout. */
    public static Tensor wrap(float[] values, Shape shape, Layout layout) {
        int n = checkedSize(shape);
        checkLayout(shape, layout);
        Check.arg(values.length == n, "values: expected %d for shape %s, got %d", n, shape, values.length);
        return new Tensor(shape, layout, FloatBuffer.wrap(values), values);
    }

    private static void checkLayout(Shape shape, Layout layout) {
        // a null layout would make a tensor whose offset() reads it as channels-last
        Check.arg(layout != null, "layout: expected CHANNELS_FIRST or CHANNELS_LAST, got null");
        Check.arg(layout == Layout.CHANNELS_FIRST || shape.rank() >= 3,
                "layout: channels-last needs [N, C, spatial...], got %s", shape);
    }

    public Shape shape() { return shape; }
    public Layout layout() { return layout; }
    /** Number of elements. */
    public int size() { return size; }
    /** Whether the storage is off-heap (usable by native code without a copy). */
    public boolean isDirect() { return data.isDirect(); }

    /**
     * The storage. Use absolute {@code get(i)}/{@code put(i, v)}; after writing, call
     * {@link #markModified()}.
     */
    public FloatBuffer buffer() { return data; }

    /** The wrapped array, or {@code null} for off-heap storage. */
    public float[] array() { return array; }

    public float get(int i) { return data.get(i); }

    public void set(int i, float v) {
        data.put(i, v);
        version[0]++;
    }

    /**
     * Storage index of the element at logical index {@code idx} ({@code [n, c, spatial...]}).
     *
     * @throws IllegalArgumentException if {@code idx} has another length than the rank or an
     *         index outside {@code [0, dim)} (it would name another element's storage)
     */
    public int offset(int... idx) {
        int rank = shape.rank();
        Check.arg(idx != null && idx.length == rank, "index: expected %d indices, got %s", rank,
                idx == null ? "null" : idx.length);
        for (int d = 0; d < rank; d++) {
            if (idx[d] < 0 || idx[d] >= shape.dim(d)) {
                Check.arg(false, "index: %s is outside shape %s (dimension %d)", Arrays.toString(idx), shape, d);
            }
        }
        long off = 0;
        if (layout == Layout.CHANNELS_FIRST) {
            for (int d = 0; d < rank; d++) {
                off = off * shape.dim(d) + idx[d];
            }
        } else {
            off = idx[0];
            for (int d = 2; d < rank; d++) {
                off = off * shape.dim(d) + idx[d];
            }
            off = off * shape.dim(1) + idx[1];
        }
        return (int) off;
    }

    /** The element at logical index {@code idx}. */
    public float at(int... idx) { return data.get(offset(idx)); }

    public void fill(float v) {
        for (int i = 0; i < size; i++) {
            data.put(i, v);
        }
        version[0]++;
    }

    /** Copies {@code src}'s elements (same shape; layouts converted). */
    public void copyFrom(Tensor src) {
        if (!src.shape.equals(shape)) {   // no varargs array unless it fails: plans copy on every call
            Check.arg(false, "tensor: cannot copy %s into %s", src.shape, shape);
        }
        if (src.layout == layout) {
            data.put(0, src.data, 0, size);
        } else {
            Tensor cf = layout == Layout.CHANNELS_FIRST ? this : src;
            Tensor cl = layout == Layout.CHANNELS_FIRST ? src : this;
            boolean toChannelsFirst = cf == this;
            int n = shape.dim(0);
            int c = shape.dim(1);
            int inner = size / (n * c == 0 ? 1 : n * c);
            for (int b = 0; b < n; b++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int s = 0; s < inner; s++) {
                        int iFirst = (b * c + ch) * inner + s;
                        int iLast = (b * inner + s) * c + ch;
                        if (toChannelsFirst) {
                            cf.data.put(iFirst, cl.data.get(iLast));
                        } else {
                            cl.data.put(iLast, cf.data.get(iFirst));
                        }
                    }
                }
            }
        }
        version[0]++;
    }

    /** A new off-heap tensor with this tensor's values in {@code target} layout. */
    public Tensor toLayout(Layout target) {
        Tensor t = allocate(shape, target);
        t.copyFrom(this);
        return t;
    }

    /** A new off-heap copy. */
    public Tensor copy() {
        return toLayout(layout);
    }

    /** The values in storage order, as a new array. */
    public float[] toArray() {
        float[] out = new float[size];
        data.get(0, out);
        return out;
    }

    /**
     * Whether this tensor and {@code other} are views of the same storage (the same tensor, a
     * {@link #reshape} of it, or two wraps of one array); {@code false} for {@code null}.
     */
    public boolean sharesStorage(Tensor other) {
        return other != null && (other.data == data || (array != null && other.array == array));
    }

    /** A counter that changes on every write made through this class or {@link #markModified()}. */
    public long version() { return version[0]; }

    /** Records a write made directly to {@link #buffer()}. */
    public void markModified() { version[0]++; }

    /**
     * This tensor's storage seen with another shape of as many elements, both channels-first:
     * a write through either is a write to both, and they share one {@link #version()}, so an
     * engine that caches a copy of one sees every write (a batch of feature vectors
     * {@code [N, F]} as the images {@code [N, F, 1, 1]} of a 1×1 convolution).
     *
     * @throws IllegalArgumentException if the element counts differ or this tensor is channels-last
     */
    public Tensor reshape(Shape newShape) {
        Check.arg(newShape.elementCount() == size, "shape: cannot view %s as %s: %d elements, not %d",
                shape, newShape, size, newShape.elementCount());
        Check.arg(layout == Layout.CHANNELS_FIRST, "layout: only a channels-first tensor can be reshaped, got %s", layout);
        return new Tensor(newShape, Layout.CHANNELS_FIRST, data, array, version);
    }

    @Override public String toString() {
        String head = size <= 8 ? Arrays.toString(toArray()) : "";
        return "Tensor" + shape + (layout == Layout.CHANNELS_LAST ? " channels-last" : "") + head;
    }
}
