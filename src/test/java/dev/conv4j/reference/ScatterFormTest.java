package dev.conv4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Plan;
import dev.conv4j.reference.ConvCases.Case;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference forward pass against a second, independent implementation for every row of
 * {@link ConvCases}: it walks the <em>inputs</em> and scatters each one into the outputs it
 * feeds (the reference gathers per output), pads with its own index arithmetic, and for a
 * transposed layer uses PyTorch's definition {@code y[i·s + u·d − p] += x[i]·w[u]} directly.
 * Small-integer data keep every sum exact in float32, so the two must agree exactly even
 * though they add in different orders. The gradient and adjoint tests show backward is
 * consistent with forward; this shows forward is the convolution.
 */
class ScatterFormTest {

    static Stream<Arguments> cases() {
        List<Case> all = ConvCases.all();
        return IntStream.range(0, all.size()).mapToObj(i -> Arguments.of(all.get(i), 4000L + i));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardEqualsTheScatterForm(Case c, long seed) {
        Random rnd = new Random(seed);
        try (Plan plan = c.prepare()) {
            Tensor x = integers(plan.srcShape(), rnd);
            Tensor w = integers(plan.weiShape(), rnd);
            Tensor b = plan.biaShape() == null ? null : integers(plan.biaShape(), rnd);
            float[] expected = scatter(c.spec(), x, w, b);

            Tensor y = Tensor.allocate(plan.dstShape(), c.layout());
            plan.forward(x.toLayout(c.layout()), w, b, y);
            float[] actual = y.toLayout(Layout.CHANNELS_FIRST).toArray();
            assertArrayEquals(expected, actual);
            long nonzero = IntStream.range(0, actual.length).filter(i -> actual[i] != 0).count();
            // Two-term integer sums can cancel, so a quarter is asked for, not a majority.
            assertTrue(4 * nonzero >= actual.length, "a mostly-zero output proves little: " + nonzero + " of " + actual.length);
        }
    }

    /** Values from {-3, ..., 3} \ {0}: every product and sum here is a small integer. */
    private static Tensor integers(Shape s, Random rnd) {
        Tensor t = Tensor.allocate(s);
        for (int i = 0; i < t.size(); i++) {
            int v = rnd.nextInt(6) - 3;
            t.set(i, v >= 0 ? v + 1 : v);
        }
        return t;
    }

    // ---- the second implementation: channels-first, ranks 1-3 seen as 3-D ----------------------

    /** dims of [N, C, spatial...] as {N, C, d, h, w} with missing leading spatial sizes 1. */
    private static int[] as5d(Shape s) {
        int[] d = {s.dim(0), s.dim(1), 1, 1, 1};
        int rank = s.rank() - 2;
        for (int k = 0; k < rank; k++) {
            d[2 + 3 - rank + k] = s.spatial(k);
        }
        return d;
    }

    /** A per-dimension value of the spec as 3-D (missing leading dimensions get {@code fill}). */
    private static int[] as3d(int rank, int[] perDim, int fill) {
        int[] d = {fill, fill, fill};
        System.arraycopy(perDim, 0, d, 3 - rank, rank);
        return d;
    }

    private static int at(int[] dims, int n, int c, int i0, int i1, int i2) {
        return (((n * dims[1] + c) * dims[2] + i0) * dims[3] + i1) * dims[4] + i2;
    }

    static float[] scatter(ConvSpec spec, Tensor x, Tensor w, Tensor b) {
        Shape dst = ConvShapes.dst(spec, x.shape());
        int rank = spec.rank();
        int[] k = as3d(rank, spec.kernelSize(), 1);
        int[] s = as3d(rank, spec.stride(), 1);
        int[] d = as3d(rank, spec.dilation(), 1);
        int[] pl = as3d(rank, ConvShapes.padLeft(spec, x.shape()), 0);
        int[] pr = as3d(rank, ConvShapes.padRight(spec, x.shape()), 0);
        int[] yd = as5d(dst);
        float[] y = new float[(int) dst.elementCount()];
        int g = spec.groups();
        float[] wv = w.toArray();
        if (spec.transposed()) {
            // PyTorch: y[n, G·OCg + oc, i·s + u·d − p] += x[n, G·ICg + ic, i] · w[G·ICg + ic, oc, u]
            int[] xd = as5d(x.shape());
            float[] xv = x.toArray();
            int icg = spec.inChannels() / g;
            int ocg = spec.outChannels() / g;
            for (int n = 0; n < xd[0]; n++)
            for (int ci = 0; ci < xd[1]; ci++)
            for (int i0 = 0; i0 < xd[2]; i0++)
            for (int i1 = 0; i1 < xd[3]; i1++)
            for (int i2 = 0; i2 < xd[4]; i2++)
            for (int oc = 0; oc < ocg; oc++)
            for (int u0 = 0; u0 < k[0]; u0++)
            for (int u1 = 0; u1 < k[1]; u1++)
            for (int u2 = 0; u2 < k[2]; u2++) {
                int o0 = i0 * s[0] + u0 * d[0] - pl[0];
                int o1 = i1 * s[1] + u1 * d[1] - pl[1];
                int o2 = i2 * s[2] + u2 * d[2] - pl[2];
                if (o0 < 0 || o0 >= yd[2] || o1 < 0 || o1 >= yd[3] || o2 < 0 || o2 >= yd[4]) continue;
                int co = (ci / icg) * ocg + oc;
                float wt = wv[(((ci * ocg + oc) * k[0] + u0) * k[1] + u1) * k[2] + u2];
                y[at(yd, n, co, o0, o1, o2)] += xv[at(xd, n, ci, i0, i1, i2)] * wt;
            }
        } else {
            // Pad first, then every padded input element feeds the outputs a with a·s + u·d = i.
            float[] xp = padded(spec.paddingMode(), x, pl, pr);
            int[] xd = as5d(x.shape());
            int[] pd = {xd[0], xd[1], xd[2] + pl[0] + pr[0], xd[3] + pl[1] + pr[1], xd[4] + pl[2] + pr[2]};
            int icg = spec.inChannels() / g;
            int ocg = spec.outChannels() / g;
            for (int n = 0; n < pd[0]; n++)
            for (int ci = 0; ci < pd[1]; ci++)
            for (int i0 = 0; i0 < pd[2]; i0++)
            for (int i1 = 0; i1 < pd[3]; i1++)
            for (int i2 = 0; i2 < pd[4]; i2++)
            for (int oc = 0; oc < ocg; oc++)
            for (int u0 = 0; u0 < k[0]; u0++)
            for (int u1 = 0; u1 < k[1]; u1++)
            for (int u2 = 0; u2 < k[2]; u2++) {
                int r0 = i0 - u0 * d[0];
                int r1 = i1 - u1 * d[1];
                int r2 = i2 - u2 * d[2];
                if (r0 < 0 || r1 < 0 || r2 < 0 || r0 % s[0] != 0 || r1 % s[1] != 0 || r2 % s[2] != 0) continue;
                int o0 = r0 / s[0];
                int o1 = r1 / s[1];
                int o2 = r2 / s[2];
                if (o0 >= yd[2] || o1 >= yd[3] || o2 >= yd[4]) continue;
                int co = (ci / icg) * ocg + oc;
                int cw = ci % icg;
                float wt = wv[(((co * icg + cw) * k[0] + u0) * k[1] + u1) * k[2] + u2];
                y[at(yd, n, co, o0, o1, o2)] += xp[at(pd, n, ci, i0, i1, i2)] * wt;
            }
        }
        if (b != null) {
            int plane = yd[2] * yd[3] * yd[4];
            for (int i = 0; i < y.length; i++) {
                y[i] += b.get((i / plane) % yd[1]);
            }
        }
        return y;
    }

    /** {@code x} padded by {@code pl}/{@code pr} per dimension as PyTorch's {@code F.pad(mode)} does. */
    private static float[] padded(PaddingMode mode, Tensor x, int[] pl, int[] pr) {
        int[] xd = as5d(x.shape());
        int[] pd = {xd[0], xd[1], xd[2] + pl[0] + pr[0], xd[3] + pl[1] + pr[1], xd[4] + pl[2] + pr[2]};
        float[] xv = x.toArray();
        float[] out = new float[pd[0] * pd[1] * pd[2] * pd[3] * pd[4]];
        for (int n = 0; n < pd[0]; n++)
        for (int c = 0; c < pd[1]; c++)
        for (int j0 = 0; j0 < pd[2]; j0++)
        for (int j1 = 0; j1 < pd[3]; j1++)
        for (int j2 = 0; j2 < pd[4]; j2++) {
            int i0 = index(mode, j0 - pl[0], xd[2]);
            int i1 = index(mode, j1 - pl[1], xd[3]);
            int i2 = index(mode, j2 - pl[2], xd[4]);
            out[at(pd, n, c, j0, j1, j2)] = i0 < 0 || i1 < 0 || i2 < 0 ? 0f : xv[at(xd, n, c, i0, i1, i2)];
        }
        return out;
    }

    /** The input index padded index {@code j} reads (j may be out of range), or -1 for zero. */
    private static int index(PaddingMode mode, int j, int size) {
        if (j >= 0 && j < size) return j;
        return switch (mode) {
            case ZEROS -> -1;
            case REPLICATE -> Math.max(0, Math.min(size - 1, j));
            case CIRCULAR -> Math.floorMod(j, size);
            case REFLECT -> {
                // A reflection without repeating the edge has period 2·(size − 1).
                int period = 2 * (size - 1);
                int m = Math.floorMod(j, period);
                yield m < size ? m : period - m;
            }
        };
    }
}
