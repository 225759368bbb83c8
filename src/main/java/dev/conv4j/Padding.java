package dev.conv4j;

import java.util.Arrays;
import java.util.Objects;

/**
 * How much padding a convolution has per spatial dimension, before the input size is known.
 * {@link ConvShapes#padLeft} and {@link ConvShapes#padRight} resolve it for an input shape.
 */
public sealed interface Padding permits Padding.Explicit, Padding.Same, Padding.Valid {

    /** Symmetric explicit padding: one value for every dimension, or one per dimension. */
    static Padding of(int... perDim) {
        Objects.requireNonNull(perDim, "padding");
        return new Explicit(perDim.clone(), perDim.clone());
    }

    /** Asymmetric explicit padding: left (top, front) and right (bottom, back) per dimension. */
    static Padding of(int[] left, int[] right) {
        return new Explicit(Objects.requireNonNull(left, "padding (left)").clone(),
                Objects.requireNonNull(right, "padding (right)").clone());
    }

    /**
     * {@code same}: output size {@code ceil(input / stride)}, or {@code input · stride} for a
     * transposed convolution; see {@link ConvShapes#padLeft}.
     */
    static Padding same() {
        return Same.INSTANCE;
    }

    /** {@code valid}: no padding. */
    static Padding valid() {
        return Valid.INSTANCE;
    }

    /**
     * PyTorch's string or number form: {@code "same"}, {@code "valid"} (any case) or one
     * symmetric amount for every dimension.
     *
     * @throws IllegalArgumentException naming {@code padding} otherwise
     */
    static Padding parse(String p) {
        Objects.requireNonNull(p, "padding");
        String v = p.trim().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("same")) {
            return same();
        }
        if (v.equals("valid")) {
            return valid();
        }
        try {
            return of(Integer.parseInt(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("padding: expected same, valid or a number, got '" + p + "'");
        }
    }

    /**
     * Explicit padding amounts. Arrays hold one value (for every dimension) or one per
     * dimension; {@link ConvSpec} expands them to the rank.
     */
    record Explicit(int[] left, int[] right) implements Padding {
        @Override public int[] left() { return left.clone(); }
        @Override public int[] right() { return right.clone(); }

        public boolean symmetric() {
            return Arrays.equals(left, right);
        }

        @Override public boolean equals(Object o) {
            return o instanceof Explicit e && Arrays.equals(left, e.left) && Arrays.equals(right, e.right);
        }

        @Override public int hashCode() {
            return 31 * Arrays.hashCode(left) + Arrays.hashCode(right);
        }

        @Override public String toString() {
            return symmetric() ? Arrays.toString(left) : Arrays.toString(left) + "/" + Arrays.toString(right);
        }
    }

    /** PyTorch's and TensorFlow's {@code padding='same'}. */
    enum Same implements Padding {
        INSTANCE;
        @Override public String toString() { return "same"; }
    }

    /** PyTorch's and TensorFlow's {@code padding='valid'}: no padding. */
    enum Valid implements Padding {
        INSTANCE;
        @Override public String toString() { return "valid"; }
    }
}
