package dev.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.tensor.Shape;
import net.jqwik.api.Assume;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/** The size formulas against each other: inverses, {@code same}, MAC symmetry. Fixed seeds. */
class ConvShapesProperties {

    /**
     * A transposed convolution with output padding below the stride undoes the size change of
     * the matching convolution: conv(transposed(i)) = i (PyTorch's reason for output_padding).
     */
    @Property(tries = 1000, seed = "20261125", edgeCases = EdgeCasesMode.NONE)  // small ranges reach the bounds anyway
    void forward_ofTransposedSize_isTheInput(@ForAll @IntRange(min = 1, max = 64) int i,
                                             @ForAll @IntRange(min = 1, max = 7) int k,
                                             @ForAll @IntRange(min = 1, max = 4) int s,
                                             @ForAll @IntRange(min = 1, max = 3) int d,
                                             @ForAll @IntRange(min = 0, max = 6) int pl,
                                             @ForAll @IntRange(min = 0, max = 6) int pr,
                                             @ForAll @IntRange(min = 0, max = 3) int op) {
        Assume.that(op < s);
        long o = ConvShapes.transposedOutputSize(i, k, s, d, pl, pr, op);
        Assume.that(o >= 1);
        Statistics.collect("stride " + s, op > 0 ? "output_padding" : "no output_padding");
        ConvSpec t = ConvSpec.transposed(1, 1, 1, k).stride(s).dilation(d).padding(new int[] {pl}, new int[] {pr})
                .outputPadding(op).build();
        ConvSpec conv = ConvSpec.conv1d(1, 1, k).stride(s).dilation(d).padding(new int[] {pl}, new int[] {pr}).build();
        Shape dst = t.outputShape(Shape.of(1, 1, i));
        assertEquals(o, dst.spatial(0));
        assertEquals(Shape.of(1, 1, i), conv.outputShape(dst));
    }

    /**
     * Every convolution input size is reached again by the transposed convolution with exactly
     * one output padding in [0, s): op = (i + pl + pr − dk) mod s, the rows the floor dropped.
     */
    @Property(tries = 1000, seed = "20261125", edgeCases = EdgeCasesMode.NONE)  // small ranges reach the bounds anyway
    void transposed_ofForwardSize_givesTheInputForExactlyOneOutputPadding(
            @ForAll @IntRange(min = 1, max = 64) int i, @ForAll @IntRange(min = 1, max = 7) int k,
            @ForAll @IntRange(min = 1, max = 4) int s, @ForAll @IntRange(min = 1, max = 3) int d,
            @ForAll @IntRange(min = 0, max = 6) int pl, @ForAll @IntRange(min = 0, max = 6) int pr) {
        long dk = ConvShapes.dilatedKernel(k, d);
        Assume.that(dk <= (long) i + pl + pr);
        int o = (int) ConvShapes.convOutputSize(i, k, s, d, pl, pr);
        int hits = 0;
        for (int op = 0; op < s; op++) {
            if (ConvShapes.transposedOutputSize(o, k, s, d, pl, pr, op) == i) {
                hits++;
                assertEquals((i + pl + pr - dk) % s, op);
            }
        }
        assertEquals(1, hits);
        Statistics.collect("stride " + s);
    }

    @Property(tries = 300, seed = "20261125")
    void same_atStrideOne_keepsTheSize(@ForAll @IntRange(min = 1, max = 3) int rank,
                                       @ForAll @IntRange(min = 1, max = 40) int i,
                                       @ForAll @IntRange(min = 1, max = 8) int k,
                                       @ForAll @IntRange(min = 1, max = 4) int d) {
        ConvSpec spec = ConvSpec.builder(rank, 2, 3, k).dilation(d).padding("same").build();
        int[] dims = new int[rank + 2];
        java.util.Arrays.fill(dims, i);
        dims[0] = 1;
        dims[1] = 2;
        Shape dst = spec.outputShape(Shape.of(dims));
        int[] pl = ConvShapes.padLeft(spec, Shape.of(dims));
        int[] pr = ConvShapes.padRight(spec, Shape.of(dims));
        for (int x = 0; x < rank; x++) {
            assertEquals(i, dst.spatial(x));
            assertEquals(d * (k - 1), pl[x] + pr[x]);
            assertTrue(pr[x] - pl[x] == 0 || pr[x] - pl[x] == 1, "the extra unit goes right");
        }
        Statistics.collect(rank, (d * (k - 1)) % 2 == 0 ? "even total" : "odd total");
    }

    @Property(tries = 300, seed = "20261125")
    void same_atStrideS_givesCeilOfInputOverStride(@ForAll @IntRange(min = 1, max = 100) int i,
                                                   @ForAll @IntRange(min = 1, max = 8) int k,
                                                   @ForAll @IntRange(min = 2, max = 5) int s,
                                                   @ForAll @IntRange(min = 1, max = 3) int d) {
        ConvSpec spec = ConvSpec.conv1d(1, 1, k).stride(s).dilation(d).padding("same").build();
        Shape src = Shape.of(1, 1, i);
        assertEquals((i + s - 1) / s, spec.outputShape(src).spatial(0));
        int pl = ConvShapes.padLeft(spec, src)[0];
        int pr = ConvShapes.padRight(spec, src)[0];
        assertTrue(pr - pl == 0 || pr - pl == 1, "the extra unit goes right");
        Statistics.collect("stride " + s, pl + pr == 0 ? "no padding" : "padded");
    }

    /**
     * A transposed convolution does the work of the convolution it is the adjoint of: same
     * MAC count when that convolution maps the transposed output back to its input.
     */
    @Property(tries = 300, seed = "20261125", edgeCases = EdgeCasesMode.NONE)
    void macs_transposedEqualsMatchingConvolution(@ForAll @IntRange(min = 1, max = 3) int rank,
                                                  @ForAll @IntRange(min = 1, max = 12) int i,
                                                  @ForAll @IntRange(min = 1, max = 4) int k,
                                                  @ForAll @IntRange(min = 1, max = 3) int s,
                                                  @ForAll @IntRange(min = 0, max = 2) int p,
                                                  @ForAll @IntRange(min = 1, max = 3) int g,
                                                  @ForAll @IntRange(min = 1, max = 3) int icPerG,
                                                  @ForAll @IntRange(min = 1, max = 3) int ocPerG) {
        int ic = g * icPerG;
        int oc = g * ocPerG;
        ConvSpec t = ConvSpec.builder(rank, ic, oc, k).stride(s).padding(p).groups(g).transposed(true).build();
        int[] dims = new int[rank + 2];
        java.util.Arrays.fill(dims, i);
        dims[0] = 2;
        dims[1] = ic;
        Shape src = Shape.of(dims);
        Assume.that(ConvShapes.transposedOutputSize(i, k, s, 1, p, p, 0) >= 1);
        Shape dst = t.outputShape(src);
        ConvSpec conv = ConvSpec.builder(rank, oc, ic, k).stride(s).padding(p).groups(g).build();
        Assume.that(conv.outputShape(dst).equals(src));
        assertEquals(ConvShapes.macs(conv, dst), ConvShapes.macs(t, src));
        Statistics.collect(rank, g > 1 ? "grouped" : "g1");
    }
}
