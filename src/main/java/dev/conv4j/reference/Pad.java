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
        Copies m = new Copies(spec, src, padded);
        FloatBuffer s = src.buffer();
        FloatBuffer p = padded.buffer();
        for (int nc = 0; nc < m.planes; nc++) {
            for (int a = 0; a < m.out[0]; a++) {
                for (int b = 0; b < m.out[1]; b++) {
                    for (int e = 0; e < m.out[2]; e++) {
                        int from = m.from(nc, a, b, e);
                        p.put(m.at(nc, a, b, e), from < 0 ? 0f : s.get(from));
                    }
                }
            }
        }
        padded.markModified();
    }

    /**
     * {@code diffSrc} = the sum, over every padded position, of its gradient at the input
     * element it copies (summed in double, rounded once).
     */
    public static void fold(ConvSpec spec, Tensor diffPadded, Tensor diffSrc) {
        Copies m = new Copies(spec, diffSrc, diffPadded);
        FloatBuffer p = diffPadded.buffer();
        double[] acc = new double[diffSrc.size()];
        for (int nc = 0; nc < m.planes; nc++) {
            for (int a = 0; a < m.out[0]; a++) {
                for (int b = 0; b < m.out[1]; b++) {
                    for (int e = 0; e < m.out[2]; e++) {
                        int from = m.from(nc, a, b, e);
                        if (from >= 0) {
                            acc[from] += p.get(m.at(nc, a, b, e));
                        }
                    }
                }
            }
        }
        FloatBuffer s = diffSrc.buffer();
        for (int i = 0; i < acc.length; i++) {
            s.put(i, (float) acc[i]);
        }
        diffSrc.markModified();
    }

    /**
     * Which input element each padded element copies, over 3-D views (missing leading spatial
     * dimensions are 1) of a channels-first input and its padded copy.
     */
    private static final class Copies {
        final PaddingMode mode;
        final int planes;                 // N · C
        final int[] in = {1, 1, 1};
        final int[] out = {1, 1, 1};      // padded sizes
        final int[] left = new int[3];

        Copies(ConvSpec spec, Tensor src, Tensor padded) {
            Check.arg(src.layout() == Layout.CHANNELS_FIRST && padded.layout() == Layout.CHANNELS_FIRST,
                    "layout: padding modes need channels-first tensors");
            Check.arg(padded.shape().equals(paddedShape(spec, src.shape())),
                    "padded: expected shape %s, got %s", paddedShape(spec, src.shape()), padded.shape());
            int rank = spec.rank();
            int[] pl = ConvShapes.padLeft(spec, src.shape());
            for (int k = 0; k < rank; k++) {
                left[3 - rank + k] = pl[k];
                in[3 - rank + k] = src.shape().spatial(k);
                out[3 - rank + k] = padded.shape().spatial(k);
            }
            mode = spec.paddingMode();
            planes = src.shape().dim(0) * src.shape().dim(1);
        }

        /** Storage index of padded element {@code (nc, a, b, e)}. */
        int at(int nc, int a, int b, int e) {
            return ((nc * out[0] + a) * out[1] + b) * out[2] + e;
        }

        /** Storage index of the input element that padded element {@code (nc, a, b, e)} copies, or -1 for a zero. */
        int from(int nc, int a, int b, int e) {
            int i0 = source(mode, a - left[0], in[0]);
            int i1 = source(mode, b - left[1], in[1]);
            int i2 = source(mode, e - left[2], in[2]);
            if (i0 < 0 || i1 < 0 || i2 < 0) {
                return -1;
            }
            return ((nc * in[0] + i0) * in[1] + i1) * in[2] + i2;
        }
    }
}
