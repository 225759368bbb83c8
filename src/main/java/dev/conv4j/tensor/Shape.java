package dev.conv4j.tensor;

import dev.conv4j.Check;
import java.util.Arrays;

/**
 * An immutable tensor shape: dimension sizes, outermost first. Activations are
 * {@code [N, C, (D,) (H,) W]}; {@link #spatial(int)} indexes the dimensions after {@code C}.
 */
public final class Shape {
    private final int[] dims;
    private final long elementCount;

    private Shape(int[] dims) {
        this.dims = dims;
        long n = 1;
        for (int d : dims) {
            // saturate: a product past Long.MAX_VALUE must not wrap to a small count
            n = Math.multiplyHigh(n, d) != 0 || n * d < 0 ? Long.MAX_VALUE : n * d;
        }
        this.elementCount = n;
    }

    /** A shape with the given dimensions; each must be &gt;= 0. */
    public static Shape of(int... dims) {
        Check.arg(dims != null && dims.length >= 1, "shape: needs at least one dimension");
        for (int d : dims) {
            Check.arg(d >= 0, "shape: dimensions must be >= 0, got %s", Arrays.toString(dims));
        }
        return new Shape(dims.clone());
    }

    /** Number of dimensions. */
    public int rank() { return dims.length; }

    /** Size of dimension {@code i}. */
    public int dim(int i) { return dims[i]; }

    /** Size of spatial dimension {@code k}: {@code dim(2 + k)}. */
    public int spatial(int k) { return dims[2 + k]; }

    /** A copy of the dimensions. */
    public int[] dims() { return dims.clone(); }

    /**
     * Product of the dimensions, as a long (a caller checks it fits where it must); saturates
     * at {@link Long#MAX_VALUE} instead of wrapping.
     */
    public long elementCount() { return elementCount; }

    /** Row-major (C-order) strides in elements. */
    public long[] strides() {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** The same shape with dimension {@code i} set to {@code size}. */
    public Shape with(int i, int size) {
        int[] d = dims.clone();
        d[i] = size;
        return of(d);
    }

    @Override public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    /** {@code [1, 64, 224, 224]}. */
    @Override public String toString() { return Arrays.toString(dims); }
}
