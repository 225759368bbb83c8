package dev.conv4j.reference;

import dev.conv4j.Check;
import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * Non-zero padding modes as an explicit padded copy of the input: a convolution with
 * {@code reflect}, {@code replicate} or {@code circular} padding is a zero-padding-free
 * convolution of {@link #pad}'s output, and its backward-data {@link #fold}s the gradient of
 * the padded border back onto the input elements it was copied from. Shared by both engines.
 * Tensors are channels-first.
 */
public final class Pad {
    private Pad() {}

    /**
     * The input coordinate that padded coordinate {@code j} (relative to the input's first
     * element, so {@code j < 0} is left padding) reads, or -1 for a zero.
     */
    public static int source(PaddingMode mode, int j, int size) {
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

    /** The shape of {@code src} with each spatial dimension grown by its left and right padding. */
    public static Shape paddedShape(ConvSpec spec, Shape src) {
        int[] pl = ConvShapes.padLeft(spec, src);
        int[] pr = ConvShapes.padRight(spec, src);
        int[] dims = src.dims();
        for (int k = 0; k < spec.rank(); k++) {
            dims[2 + k] += pl[k] + pr[k];
        }
        return Shape.of(dims);
    }

    /** Writes {@code src} with its padding filled as {@code spec.paddingMode()} says into {@code padded}. */
    public static void pad(ConvSpec spec, Tensor src, Tensor padded) {
        walk(spec, src, padded, true);
        padded.markModified();
    }

    /** {@code diffSrc} = the sum, over every padded position, of its gradient at the input element it copies. */
    public static void fold(ConvSpec spec, Tensor diffPadded, Tensor diffSrc) {
        diffSrc.fill(0f);
        walk(spec, diffSrc, diffPadded, false);
        diffSrc.markModified();
    }

    private static void walk(ConvSpec spec, Tensor src, Tensor padded, boolean forward) {
        Check.arg(src.layout() == Layout.CHANNELS_FIRST && padded.layout() == Layout.CHANNELS_FIRST,
                "layout: padding modes need channels-first tensors");
        Check.arg(padded.shape().equals(paddedShape(spec, src.shape())),
                "padded: expected shape %s, got %s", paddedShape(spec, src.shape()), padded.shape());
        int rank = spec.rank();
        int[] pl3 = new int[3];
        int[] in3 = {1, 1, 1};
        int[] out3 = {1, 1, 1};
        int[] pl = ConvShapes.padLeft(spec, src.shape());
        for (int k = 0; k < rank; k++) {
            pl3[3 - rank + k] = pl[k];
            in3[3 - rank + k] = src.shape().spatial(k);
            out3[3 - rank + k] = padded.shape().spatial(k);
        }
        PaddingMode mode = spec.paddingMode();
        FloatBuffer s = src.buffer();
        FloatBuffer p = padded.buffer();
        int planes = src.shape().dim(0) * src.shape().dim(1);
        int inPlane = in3[0] * in3[1] * in3[2];
        int outPlane = out3[0] * out3[1] * out3[2];
        for (int nc = 0; nc < planes; nc++) {
            for (int a = 0; a < out3[0]; a++) {
                int i0 = source(mode, a - pl3[0], in3[0]);
                for (int b = 0; b < out3[1]; b++) {
                    int i1 = source(mode, b - pl3[1], in3[1]);
                    for (int e = 0; e < out3[2]; e++) {
                        int i2 = source(mode, e - pl3[2], in3[2]);
                        int at = nc * outPlane + (a * out3[1] + b) * out3[2] + e;
                        boolean inside = i0 >= 0 && i1 >= 0 && i2 >= 0;
                        int from = nc * inPlane + (i0 * in3[1] + i1) * in3[2] + i2;
                        if (forward) {
                            p.put(at, inside ? s.get(from) : 0f);
                        } else if (inside) {
                            s.put(from, s.get(from) + p.get(at));
                        }
                    }
                }
            }
        }
    }
}
