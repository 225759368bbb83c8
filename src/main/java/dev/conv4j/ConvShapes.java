package dev.conv4j;

import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * All shape arithmetic of conv4j: resolved padding, output sizes (forward and transposed),
 * weight and bias shapes, FLOP counts, and the input checks that depend on them. Nothing
 * else computes a size.
 *
 * <p>Per spatial dimension, with input {@code i}, kernel {@code k}, stride {@code s},
 * dilation {@code d} (1 = dense), left and right padding {@code pl}, {@code pr}, and the
 * dilated kernel extent {@code dk = d·(k − 1) + 1}:
 * <pre>
 * convolution:  o = floor((i + pl + pr − dk) / s) + 1
 * transposed:   o = (i − 1)·s − pl − pr + dk + output_padding
 * </pre>
 *
 * <p>{@code same} padding: at stride 1 the total {@code dk − 1} is split with the extra unit
 * on the right (PyTorch); at stride &gt; 1 the output is {@code ceil(i / s)} and the total
 * {@code max((o − 1)·s + dk − i, 0)} is split the same way (TensorFlow/Keras). For a
 * transposed convolution {@code same} gives {@code o = i·s} (Keras): the total is
 * {@code dk − s}, and where that is negative the output grows by the difference on the right.
 */
public final class ConvShapes {
    private ConvShapes() {}

    /** Dilated kernel extent {@code d·(k − 1) + 1} of spatial dimension {@code k}. */
    public static int dilatedKernel(ConvSpec spec, int k) {
        return (int) dilatedKernel(spec.kernel(k), spec.dilation(k));
    }

    // ---- per-dimension formulas (one spatial dimension, before a spec exists) ---------------

    /** Dilated kernel extent {@code dilation·(k − 1) + 1} (dilation 1 = dense). */
    public static long dilatedKernel(int k, int dilation) {
        return (long) dilation * (k - 1) + 1;
    }

    /** Convolution output size {@code floor((i + pl + pr − dk) / s) + 1}; may be &lt; 1. */
    public static long convOutputSize(int i, int k, int s, int dilation, int pl, int pr) {
        return Math.floorDiv((long) i + pl + pr - dilatedKernel(k, dilation), s) + 1;
    }

    /** Transposed output size {@code (i − 1)·s − pl − pr + dk + outputPadding}; may be &lt; 1. */
    public static long transposedOutputSize(int i, int k, int s, int dilation, int pl, int pr, int outputPadding) {
        return (long) (i - 1) * s - pl - pr + dilatedKernel(k, dilation) + outputPadding;
    }

    /** Output size of {@code same} padding at stride {@code s} (TensorFlow/Keras): {@code ceil(i / s)}. */
    public static long sameOutputSize(int i, int s) {
        return ((long) i + s - 1) / s;
    }

    /**
     * The right padding that makes input {@code i} and output {@code o} match exactly (no
     * floor, no output padding): {@code (o − 1)·s + dk − i − pl} for a convolution,
     * {@code (i − 1)·s + dk − o − pl} for a transposed one. Negative when the floor drops
     * input rows (convolution) or when output padding is needed (transposed).
     */
    public static long exactPadRight(boolean transposed, int i, int o, int k, int s, int dilation, int pl) {
        long dk = dilatedKernel(k, dilation);
        return transposed ? (long) (i - 1) * s + dk - o - pl : (long) (o - 1) * s + dk - i - pl;
    }

    /**
     * The symmetric left padding oneDNN's benchdnn assumes when a problem gives the output
     * size but no padding: half the total of {@link #exactPadRight} at {@code pl = 0},
     * truncated toward zero as C does; may be negative.
     */
    public static long padLeftForOutput(boolean transposed, int i, int o, int k, int s, int dilation) {
        return exactPadRight(transposed, i, o, k, s, dilation, 0) / 2;
    }

    /** Left (top, front) padding per spatial dimension for input {@code src}. */
    public static int[] padLeft(ConvSpec spec, Shape src) {
        return resolvePadding(spec, src, true);
    }

    /**
     * Right (bottom, back) padding per spatial dimension for input {@code src}, as the spec
     * states it: never negative. For a transposed {@code same} with {@code dk < s} it is 0,
     * {@link #outputSize} adds the extra output, and {@link #exactPadRight} is the (negative)
     * padding that gives oneDNN that size.
     */
    public static int[] padRight(ConvSpec spec, Shape src) {
        return resolvePadding(spec, src, false);
    }

    /**
     * The right padding that makes the size formula exact, with no floor and no output
     * padding: {@code (o − 1)·s + dk − i − pl} for a convolution and
     * {@code (i − 1)·s + dk − o − pl} for a transposed one. It may be negative (rows of the
     * input a strided convolution never reads, or a transposed output grown by
     * {@code output_padding}). oneDNN's {@code padding_r} is this value.
     */
    public static int[] exactPadRight(ConvSpec spec, Shape src) {
        int[] pl = padLeft(spec, src);
        Shape dst = dst(spec, src);
        int[] out = new int[spec.rank()];
        for (int k = 0; k < spec.rank(); k++) {
            int i = src.spatial(k);
            int o = dst.spatial(k);
            out[k] = (int) exactPadRight(spec.transposed(), i, o, spec.kernel(k), spec.stride(k),
                    spec.dilation(k), pl[k]);
        }
        return out;
    }

    private static int[] resolvePadding(ConvSpec spec, Shape src, boolean left) {
        int rank = spec.rank();
        Padding p = spec.padding();
        int[] out = new int[rank];
        if (p instanceof Padding.Explicit e) {
            return left ? e.left() : e.right();
        }
        if (p instanceof Padding.Valid) {
            return out;
        }
        for (int k = 0; k < rank; k++) {
            long dk = dilatedKernel(spec, k);
            int s = spec.stride(k);
            long total;  // in long: (o − 1)·s + dk can pass Integer.MAX_VALUE
            if (spec.transposed()) {
                total = Math.max(dk - s, 0);
            } else if (s == 1) {
                total = dk - 1;
            } else {
                int i = src.spatial(k);
                total = Math.max((sameOutputSize(i, s) - 1) * s + dk - i, 0);
            }
            out[k] = (int) (left ? total / 2 : total - total / 2);
        }
        return out;
    }

    /** Output spatial size of dimension {@code k} for input size {@code i} (no validation). */
    static long outputSize(ConvSpec spec, int k, int i, int pl, int pr) {
        int s = spec.stride(k);
        int dk = dilatedKernel(spec, k);
        if (spec.transposed()) {
            long o = transposedOutputSize(i, spec.kernel(k), s, spec.dilation(k), pl, pr, spec.outputPadding(k));
            if (spec.padding() instanceof Padding.Same && dk < s) {
                o += s - dk;  // Keras 'same': o = i·s even when the kernel is shorter than the stride
            }
            return o;
        }
        return convOutputSize(i, spec.kernel(k), s, spec.dilation(k), pl, pr);
    }

    /**
     * The output ({@code dst}) shape {@code [N, outChannels, o...]} for input {@code src}.
     *
     * @throws IllegalArgumentException if {@code src} is not a valid input (see {@link #validateInput})
     */
    public static Shape dst(ConvSpec spec, Shape src) {
        validateInput(spec, src);
        return dstUnchecked(spec, src);
    }

    private static Shape dstUnchecked(ConvSpec spec, Shape src) {
        int rank = spec.rank();
        int[] pl = padLeft(spec, src);
        int[] pr = padRight(spec, src);
        int[] dims = new int[rank + 2];
        dims[0] = src.dim(0);
        dims[1] = spec.outChannels();
        for (int k = 0; k < rank; k++) {
            dims[2 + k] = (int) outputSize(spec, k, src.spatial(k), pl[k], pr[k]);
        }
        return Shape.of(dims);
    }

    /** Weight shape: {@code [OC, IC/G, K...]}, or {@code [IC, OC/G, K...]} when transposed. */
    public static Shape wei(ConvSpec spec) {
        int[] dims = new int[spec.rank() + 2];
        if (spec.transposed()) {
            dims[0] = spec.inChannels();
            dims[1] = spec.outChannels() / spec.groups();
        } else {
            dims[0] = spec.outChannels();
            dims[1] = spec.inChannels() / spec.groups();
        }
        for (int k = 0; k < spec.rank(); k++) {
            dims[2 + k] = spec.kernel(k);
        }
        return Shape.of(dims);
    }

    /** Bias shape {@code [OC]}, or {@code null} when the spec has no bias. */
    public static Shape bia(ConvSpec spec) {
        return spec.bias() ? Shape.of(spec.outChannels()) : null;
    }

    /** The spatial sizes of an activation shape {@code [N, C, spatial...]}. */
    public static int[] spatial(Shape s) {
        return Arrays.copyOfRange(s.dims(), 2, s.rank());
    }

    /**
     * Multiply-accumulates of one pass, counting every kernel tap (padding included, as
     * dense GEMM-style counts do): for a convolution {@code N·OC·Π o·(IC/G)·Π k}, for a
     * transposed one {@code N·IC·Π i·(OC/G)·Π k}. All three directions do the same number.
     */
    public static long macs(ConvSpec spec, Shape src) {
        Shape dst = dst(spec, src);
        // The "small" side of a transposed convolution is its input.
        Shape small = spec.transposed() ? src : dst;
        int perGroupOther = spec.transposed()
                ? spec.outChannels() / spec.groups()
                : spec.inChannels() / spec.groups();
        long m = (long) small.dim(0) * small.dim(1) * perGroupOther;
        for (int k = 0; k < spec.rank(); k++) {
            m *= (long) small.spatial(k) * spec.kernel(k);
        }
        return m;
    }

    /** Floating-point operations of one pass in direction {@code dir}: {@code 2 · macs}. */
    public static double flops(ConvSpec spec, Shape src, Direction dir) {
        return 2.0 * macs(spec, src);
    }

    /**
     * Whether a transposed convolution may have output padding {@code op} in a dimension of
     * {@code stride} and {@code dilation} (PyTorch's rule: smaller than either), i.e. at most
     * {@code max(stride, dilation) - 1}.
     */
    public static boolean outputPaddingAllowed(long op, int stride, int dilation) {
        return op < stride || op < dilation;
    }

    /**
     * The shape of {@code src} with each spatial dimension grown by its left and right padding:
     * the copy the engines fill for a padding mode other than zeros.
     */
    public static Shape paddedInput(ConvSpec spec, Shape src) {
        int[] pl = padLeft(spec, src);
        int[] pr = padRight(spec, src);
        int[] dims = src.dims();
        for (int k = 0; k < spec.rank(); k++) {
            dims[2 + k] += pl[k] + pr[k];
        }
        return Shape.of(dims);
    }

    /**
     * Checks that {@code src} is a valid input for {@code spec}: rank, channel count, sizes,
     * that the dilated kernel fits the padded input, that the padding mode can fill the
     * padding, and that no tensor has more elements than a tensor can hold. Every engine's
     * {@code prepare} calls it before anything else.
     *
     * @throws IllegalArgumentException naming the parameter, the value and the rule
     */
    public static void validateInput(ConvSpec spec, Shape src) {
        Objects.requireNonNull(spec, "spec");   // every engine's prepare starts here
        int rank = spec.rank();
        Check.arg(src != null, "input: shape is missing");
        Check.arg(src.rank() == rank + 2, "input: expected %d dimensions [N, C%s] for a %d-D convolution, got %s",
                rank + 2, spatialNames(rank), rank, src);
        Check.arg(src.dim(0) >= 1, "input: batch size N must be >= 1, got %s", src);
        Check.arg(src.dim(1) == spec.inChannels(), "input: expected [N, %d%s] for in_channels=%d, got %s",
                spec.inChannels(), spatialNames(rank), spec.inChannels(), src);
        int[] pl = padLeft(spec, src);
        int[] pr = padRight(spec, src);
        for (int k = 0; k < rank; k++) {
            int i = src.spatial(k);
            Check.arg(i >= 1, "input: spatial sizes must be >= 1, got %s", src);
            int dk = dilatedKernel(spec, k);
            if (!spec.transposed()) {
                Check.arg(dk <= (long) i + pl[k] + pr[k],
                        "kernel_size: dilated kernel %d (k=%d, dilation=%d) exceeds padded input %s %d (%d + %d + %d)",
                        dk, spec.kernel(k), spec.dilation(k), DIM_NAMES[3 - rank + k], (long) i + pl[k] + pr[k],
                        i, pl[k], pr[k]);
                long o = outputSize(spec, k, i, pl[k], pr[k]);
                Check.arg(o <= Integer.MAX_VALUE,
                        "output: %s would be %d (input %d, stride %d, kernel %d, padding %d + %d), more than %d",
                        DIM_NAMES[3 - rank + k], o, i, spec.stride(k), dk, pl[k], pr[k], Integer.MAX_VALUE);
                switch (spec.paddingMode()) {
                    case REFLECT -> Check.arg(pl[k] < i && pr[k] < i,
                            "padding: reflect padding (%d, %d) must be smaller than input %s %d",
                            pl[k], pr[k], DIM_NAMES[3 - rank + k], i);
                    case CIRCULAR -> Check.arg(pl[k] <= i && pr[k] <= i,
                            "padding: circular padding (%d, %d) must not exceed input %s %d",
                            pl[k], pr[k], DIM_NAMES[3 - rank + k], i);
                    default -> { }
                }
            } else {
                long o = outputSize(spec, k, i, pl[k], pr[k]);
                Check.arg(o >= 1, "padding: output %s would be %d (input %d, stride %d, kernel %d, padding %d + %d), must be >= 1",
                        DIM_NAMES[3 - rank + k], o, i, spec.stride(k), dk, pl[k], pr[k]);
                Check.arg(o <= Integer.MAX_VALUE,
                        "output: %s would be %d (input %d, stride %d, kernel %d, padding %d + %d), more than %d",
                        DIM_NAMES[3 - rank + k], o, i, spec.stride(k), dk, pl[k], pr[k], Integer.MAX_VALUE);
            }
        }
        if (spec.paddingMode() != PaddingMode.ZEROS) {
            // the engines materialise the padded input: it must fit a tensor
            long count = (long) src.dim(0) * src.dim(1);
            for (int k = 0; k < rank && count <= Tensor.MAX_ELEMENTS; k++) {
                // both factors capped at 2^31: the product cannot overflow a long
                count *= Math.min((long) src.spatial(k) + pl[k] + pr[k], 1L << 31);
            }
            Check.arg(count <= Tensor.MAX_ELEMENTS,
                    "padding: %s padding %s/%s of input %s needs more than the %d elements a tensor can hold",
                    spec.paddingMode().name().toLowerCase(java.util.Locale.ROOT),
                    Arrays.toString(pl), Arrays.toString(pr), src, Tensor.MAX_ELEMENTS);
        }
        Shape dst = dstUnchecked(spec, src);
        checkElementCount("input", src);
        checkElementCount("output", dst);
        checkElementCount("weight", wei(spec));
    }

    private static final String[] DIM_NAMES = {"depth", "height", "width"};

    private static String spatialNames(int rank) {
        return switch (rank) {
            case 1 -> ", W";
            case 2 -> ", H, W";
            default -> ", D, H, W";
        };
    }

    private static void checkElementCount(String what, Shape s) {
        for (int d : s.dims()) {
            Check.arg(d >= 1, "%s: every dimension must be >= 1, got %s", what, s);
        }
        Tensor.checkElementCount(what, s.elementCount(), s);
    }
}
