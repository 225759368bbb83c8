package dev.conv4j.reference;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.tensor.Shape;
import java.util.function.IntUnaryOperator;

/**
 * A convolution's sizes seen as 3-D (missing leading spatial dimensions are 1), so that one
 * set of loops serves ranks 1, 2 and 3. Always the geometry of a plain (not transposed)
 * convolution from {@code x [N, C, I]} to {@code y [N, O, Oo]} with weights {@code [O, C/G, K]}:
 * a transposed spec is the adjoint of such a convolution with the channels swapped.
 * Every size comes from {@link ConvShapes}.
 */
record ConvGeometry(int n, int c, int o, int g, int[] in, int[] out, int[] k, int[] s, int[] d, int[] p) {

    /** The plain convolution whose forward (or, when transposed, backward-data) {@code spec} is. */
    static ConvGeometry of(ConvSpec spec, Shape src, int[] padLeft) {
        Shape dst = ConvShapes.dst(spec, src);
        int rank = spec.rank();
        Shape x = spec.transposed() ? dst : src;
        Shape y = spec.transposed() ? src : dst;
        int[] in = view3(rank, x::spatial, 1);
        int[] out = view3(rank, y::spatial, 1);
        int[] k = view3(rank, spec::kernel, 1);
        int[] s = view3(rank, spec::stride, 1);
        int[] d = view3(rank, spec::dilation, 1);
        int[] p = view3(rank, j -> padLeft[j], 0);
        int c = spec.transposed() ? spec.outChannels() : spec.inChannels();
        int o = spec.transposed() ? spec.inChannels() : spec.outChannels();
        return new ConvGeometry(src.dim(0), c, o, spec.groups(), in, out, k, s, d, p);
    }

    /**
     * The 3-D view of per-dimension values of a spec of {@code rank}: {@code value(j)} for its
     * spatial dimension {@code j}, {@code missing} for the leading dimensions it lacks.
     */
    static int[] view3(int rank, IntUnaryOperator value, int missing) {
        int[] v = {missing, missing, missing};
        for (int j = 0; j < rank; j++) {
            v[3 - rank + j] = value.applyAsInt(j);
        }
        return v;
    }

    /** The same convolution reading an input of {@code padded} size with no padding. */
    ConvGeometry withInput(int[] padded) {
        return new ConvGeometry(n, c, o, g, padded, out, k, s, d, new int[3]);
    }

    int inSize() { return in[0] * in[1] * in[2]; }
    int outSize() { return out[0] * out[1] * out[2]; }
    int kSize() { return k[0] * k[1] * k[2]; }
    int cPerGroup() { return c / g; }
    int oPerGroup() { return o / g; }
}
