package dev.conv4j.reference;

import dev.conv4j.Check;
import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Non-zero padding modes as an explicit padded copy of the input: a convolution with
 * {@code reflect}, {@code replicate} or {@code circular} padding is a zero-padding-free
 * convolution of {@link #pad}'s output, and its backward-data {@link #fold}s the gradient of
 * the padded border back onto the input elements it was copied from. Shared by both engines.
 *
 * <p>An instance is prepared once per (spec, input shape): it holds the table of which input
 * element each padded element copies, so a call computes no index and allocates nothing.
 * The input may be channels-first or channels-last; the padded copy is channels-first.
 * Not thread-safe ({@link #fold} reuses a buffer).
 */
public final class Pad {
    private final Shape srcShape;
    private final Shape paddedShape;
    private final int mb;
    private final int channels;
    private final int inPlane;        // spatial elements of one input channel
    private final int outPlane;       // spatial elements of one padded channel
    private final int[] from;         // padded spatial index -> input spatial index it copies, -1 for a zero
    private final double[] planeSums; // fold's sums for one channel, reused

    private Pad(ConvSpec spec, Shape src) {
        this.srcShape = src;
        this.paddedShape = ConvShapes.paddedInput(spec, src);
        this.mb = src.dim(0);
        this.channels = src.dim(1);
        int rank = spec.rank();
        int[] left = ConvShapes.padLeft(spec, src);
        int[] in = ConvGeometry.view3(rank, src::spatial, 1);
        int[] out = ConvGeometry.view3(rank, paddedShape::spatial, 1);
        int[] pl = ConvGeometry.view3(rank, k -> left[k], 0);
        this.inPlane = in[0] * in[1] * in[2];
        this.outPlane = out[0] * out[1] * out[2];
        this.from = new int[outPlane];
        PaddingMode mode = spec.paddingMode();
        int j = 0;
        for (int a = 0; a < out[0]; a++) {
            int i0 = source(mode, a - pl[0], in[0]);
            for (int b = 0; b < out[1]; b++) {
                int i1 = source(mode, b - pl[1], in[1]);
                for (int e = 0; e < out[2]; e++) {
                    int i2 = source(mode, e - pl[2], in[2]);
                    from[j++] = i0 < 0 || i1 < 0 || i2 < 0 ? -1 : (i0 * in[1] + i1) * in[2] + i2;
                }
            }
        }
        this.planeSums = new double[inPlane];
    }

    /** The padding of {@code spec} on inputs of shape {@code src}, ready to run. */
    public static Pad of(ConvSpec spec, Shape src) {
        return new Pad(spec, src);
    }

    /**
     * The input coordinate that padded coordinate {@code j} (relative to the input's first
     * element, so {@code j < 0} is left padding) reads, or -1 for a zero.
     */
    private static int source(PaddingMode mode, int j, int size) {
        if (j >= 0 && j < size) {
            return j;
        }
        return switch (mode) {
            case ZEROS -> -1;
            case REFLECT -> j < 0 ? -j : 2 * (size - 1) - j;
            case REPLICATE -> j < 0 ? 0 : size - 1;
            case CIRCULAR -> Math.floorMod(j, size);
        };
    }

    /** The shape of the padded copy. */
    public Shape paddedShape() {
        return paddedShape;
    }

    /** {@link #pad(Tensor, Tensor)} with a padding prepared for this call only. */
    public static void pad(ConvSpec spec, Tensor src, Tensor padded) {
        of(spec, src.shape()).pad(src, padded);
    }

    /** {@link #fold(Tensor, Tensor)} with a padding prepared for this call only. */
    public static void fold(ConvSpec spec, Tensor diffPadded, Tensor diffSrc) {
        of(spec, diffSrc.shape()).fold(diffPadded, diffSrc);
    }

    /**
     * Writes {@code src} with its padding filled as the spec's padding mode says.
     *
     * @param src    input, either layout; read
     * @param padded channels-first, shape {@link #paddedShape()}; overwritten
     */
    public void pad(Tensor src, Tensor padded) {
        check(src, padded);
        FloatBuffer s = src.buffer();
        FloatBuffer p = padded.buffer();
        int step = src.layout().spatialStride(channels);
        for (int n = 0; n < mb; n++) {
            for (int c = 0; c < channels; c++) {
                int in = src.layout().planeStart(n, c, channels, inPlane);
                int out = (n * channels + c) * outPlane;
                for (int j = 0; j < outPlane; j++) {
                    int i = from[j];
                    p.put(out + j, i < 0 ? 0f : s.get(in + i * step));
                }
            }
        }
        padded.markModified();
    }

    /**
     * {@code diffSrc} = the sum, over every padded position, of its gradient at the input
     * element it copies (summed in double, rounded once).
     *
     * @param diffPadded channels-first, shape {@link #paddedShape()}; read
     * @param diffSrc    either layout; overwritten
     */
    public void fold(Tensor diffPadded, Tensor diffSrc) {
        check(diffSrc, diffPadded);
        FloatBuffer p = diffPadded.buffer();
        FloatBuffer s = diffSrc.buffer();
        int step = diffSrc.layout().spatialStride(channels);
        for (int n = 0; n < mb; n++) {
            for (int c = 0; c < channels; c++) {
                Arrays.fill(planeSums, 0);
                int out = (n * channels + c) * outPlane;
                for (int j = 0; j < outPlane; j++) {
                    int i = from[j];
                    if (i >= 0) {
                        planeSums[i] += p.get(out + j);
                    }
                }
                int in = diffSrc.layout().planeStart(n, c, channels, inPlane);
                for (int i = 0; i < inPlane; i++) {
                    s.put(in + i * step, (float) planeSums[i]);
                }
            }
        }
        diffSrc.markModified();
    }
    private void check(Tensor src, Tensor padded) {
        if (!src.shape().equals(srcShape) || !padded.shape().equals(paddedShape)
                || padded.layout() != Layout.CHANNELS_FIRST) {   // no varargs array unless it fails
            Check.arg(false, "padded: expected %s channels-first for input %s, got %s %s for input %s",
                    paddedShape, srcShape, padded.shape(), padded.layout(), src.shape());
        }
    }
}
