package dev.conv4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.conv4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Known output sizes from PyTorch's documented formulas (the examples in the {@code Conv*d} and
 * {@code ConvTranspose*d} docs, worked by hand), {@code same}/{@code valid}, asymmetric padding,
 * dilation, output padding; weight and bias shapes; MAC and FLOP counts.
 *
 * <pre>
 * conv:        o = floor((i + pl + pr − d·(k − 1) − 1) / s) + 1
 * transposed:  o = (i − 1)·s − pl − pr + d·(k − 1) + output_padding + 1
 * </pre>
 */
class ConvShapesTest {

    // ---- PyTorch docs examples ---------------------------------------------------------------

    @Test
    void conv2d_docsExamples() {
        // nn.Conv2d(16, 33, 3, stride=2)(torch.randn(20, 16, 50, 100))
        assertEquals(Shape.of(20, 33, 24, 49),
                ConvSpec.conv2d(16, 33, 3).stride(2).build().outputShape(Shape.of(20, 16, 50, 100)));
        // nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1))
        // H: floor((50 + 8 − 6 − 1) / 2) + 1 = 26; W: (100 + 4 − 4 − 1) + 1 = 100
        assertEquals(Shape.of(20, 33, 26, 100), ConvSpec.conv2d(16, 33, 3, 5).stride(2, 1).padding(4, 2)
                .dilation(3, 1).build().outputShape(Shape.of(20, 16, 50, 100)));
    }

    @Test
    void conv1dAndConv3d_docsExamples() {
        // nn.Conv1d(16, 33, 3, stride=2)(torch.randn(20, 16, 50))
        assertEquals(Shape.of(20, 33, 24), ConvSpec.conv1d(16, 33, 3).stride(2).build().outputShape(Shape.of(20, 16, 50)));
        // nn.Conv3d(16, 33, 3, stride=2)(torch.randn(20, 16, 10, 50, 100))
        assertEquals(Shape.of(20, 33, 4, 24, 49),
                ConvSpec.conv3d(16, 33, 3).stride(2).build().outputShape(Shape.of(20, 16, 10, 50, 100)));
        // nn.Conv3d(16, 33, (3, 5, 2), stride=(2, 1, 1), padding=(4, 2, 0))
        assertEquals(Shape.of(20, 33, 8, 50, 99), ConvSpec.conv3d(16, 33, 3, 5, 2).stride(2, 1, 1).padding(4, 2, 0)
                .build().outputShape(Shape.of(20, 16, 10, 50, 100)));
    }

    @Test
    void convTranspose2d_docsExamples() {
        // nn.ConvTranspose2d(16, 33, 3, stride=2): H = 49·2 + 3 = 101, W = 99·2 + 3 = 201
        assertEquals(Shape.of(20, 33, 101, 201),
                ConvSpec.transposed(2, 16, 33, 3).stride(2).build().outputShape(Shape.of(20, 16, 50, 100)));
        // nn.ConvTranspose2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2)): H = 98 − 8 + 3 = 93, W = 99 − 4 + 5 = 100
        assertEquals(Shape.of(20, 33, 93, 100), ConvSpec.transposed(2, 16, 33, 3, 5).stride(2, 1).padding(4, 2)
                .build().outputShape(Shape.of(20, 16, 50, 100)));
        // The docs' down/up pair: Conv2d(16, 16, 3, stride=2, padding=1) takes 12 to 6 and
        // ConvTranspose2d(16, 16, 3, stride=2, padding=1) needs output_padding 1 to get 12 back.
        Shape down = ConvSpec.conv2d(16, 16, 3).stride(2).padding(1).build().outputShape(Shape.of(1, 16, 12, 12));
        assertEquals(Shape.of(1, 16, 6, 6), down);
        assertEquals(Shape.of(1, 16, 11, 11), ConvSpec.transposed(2, 16, 16, 3).stride(2).padding(1).build().outputShape(down));
        assertEquals(Shape.of(1, 16, 12, 12),
                ConvSpec.transposed(2, 16, 16, 3).stride(2).padding(1).outputPadding(1).build().outputShape(down));
    }

    // ---- one dimension at a time -------------------------------------------------------------

    @ParameterizedTest(name = "conv i={0} k={1} s={2} d={3} p=({4},{5}) -> {6}")
    @CsvSource({
        // i,  k, s, d, pl, pr, o
        "10,   3, 1, 1, 0,  0,  8",    // valid
        "10,   3, 1, 1, 1,  1,  10",   // symmetric padding keeps the size
        "10,   3, 2, 1, 1,  1,  5",    // floor((10 + 2 − 3) / 2) + 1
        "11,   3, 2, 1, 1,  1,  6",
        "5,    3, 1, 1, 2,  0,  5",    // asymmetric padding
        "5,    3, 1, 1, 0,  2,  5",
        "6,    4, 2, 1, 3,  0,  3",    // floor((6 + 3 − 4) / 2) + 1
        "10,   3, 1, 2, 0,  0,  6",    // dilation 2: dk = 5
        "10,   3, 1, 3, 3,  3,  10",   // dilation 3: dk = 7, padding 3 keeps the size
        "7,    1, 3, 1, 0,  0,  3",    // 1x1 stride 3: rows 0, 3, 6
        "5,    5, 1, 1, 0,  0,  1",    // kernel covers the input
    })
    void convOutputSize_knownRows(int i, int k, int s, int d, int pl, int pr, int o) {
        assertEquals(o, ConvShapes.convOutputSize(i, k, s, d, pl, pr));
        ConvSpec spec = ConvSpec.conv1d(1, 1, k).stride(s).dilation(d).padding(new int[] {pl}, new int[] {pr}).build();
        assertEquals(Shape.of(1, 1, o), spec.outputShape(Shape.of(1, 1, i)));
    }

    @ParameterizedTest(name = "transposed i={0} k={1} s={2} d={3} p=({4},{5}) op={6} -> {7}")
    @CsvSource({
        // i, k, s, d, pl, pr, op, o
        "5,   3, 1, 1, 0,  0,  0,  7",    // (5 − 1) + 3
        "5,   3, 2, 1, 0,  0,  0,  11",   // 4·2 + 3
        "5,   3, 2, 1, 1,  1,  0,  9",
        "5,   3, 2, 1, 1,  1,  1,  10",   // output_padding 1 (< stride 2)
        "5,   4, 2, 1, 1,  1,  0,  10",   // the usual k4 s2 p1 upsampling doubles the size
        "5,   3, 1, 2, 0,  0,  0,  9",    // dilation 2: dk = 5
        "5,   3, 1, 3, 0,  0,  2,  13",   // output_padding 2 < dilation 3 at stride 1
        "5,   3, 2, 1, 2,  0,  0,  9",    // asymmetric padding
        "1,   3, 1, 1, 1,  1,  0,  1",
    })
    void transposedOutputSize_knownRows(int i, int k, int s, int d, int pl, int pr, int op, int o) {
        assertEquals(o, ConvShapes.transposedOutputSize(i, k, s, d, pl, pr, op));
        ConvSpec spec = ConvSpec.transposed(1, 1, 1, k).stride(s).dilation(d)
                .padding(new int[] {pl}, new int[] {pr}).outputPadding(op).build();
        assertEquals(Shape.of(1, 1, o), spec.outputShape(Shape.of(1, 1, i)));
    }

    // ---- same / valid ------------------------------------------------------------------------

    @ParameterizedTest(name = "same i={0} k={1} s={2} d={3} -> o={4}, pad ({5}, {6})")
    @CsvSource({
        // i,  k, s, d, o, pl, pr
        "10,   3, 1, 1, 10, 1, 1",
        "10,   4, 1, 1, 10, 1, 2",   // even kernel: the extra unit goes right (PyTorch)
        "10,   2, 1, 1, 10, 0, 1",
        "10,   4, 1, 2, 10, 3, 3",   // dk = 7
        "10,   2, 1, 3, 10, 1, 2",   // dk = 4
        "10,   3, 2, 1, 5,  0, 1",   // TF: o = ceil(10/2) = 5, total (5−1)·2 + 3 − 10 = 1
        "11,   3, 2, 1, 6,  1, 1",   // total (6−1)·2 + 3 − 11 = 2
        "224,  7, 2, 1, 112, 2, 3",  // ResNet's first layer in TF: total 5
        "7,    1, 3, 1, 3,  0, 0",   // total max((3−1)·3 + 1 − 7, 0) = 0
        "5,    2, 3, 1, 2,  0, 0",   // total max(3 + 2 − 5, 0) = 0
    })
    void same_pyTorchAtStrideOne_tensorFlowAbove(int i, int k, int s, int d, int o, int pl, int pr) {
        ConvSpec spec = ConvSpec.conv1d(1, 1, k).stride(s).dilation(d).padding("same").build();
        Shape src = Shape.of(1, 1, i);
        assertEquals(Shape.of(1, 1, o), spec.outputShape(src));
        assertArrayEquals(new int[] {pl}, ConvShapes.padLeft(spec, src));
        assertArrayEquals(new int[] {pr}, ConvShapes.padRight(spec, src));
        if (s > 1) {
            assertEquals(o, ConvShapes.sameOutputSize(i, s));
        }
    }

    @Test
    void same_transposed_kerasOutputIsInputTimesStride() {
        Shape src = Shape.of(1, 1, 5);
        ConvSpec k3 = ConvSpec.transposed(1, 1, 1, 3).stride(2).padding("same").build();
        assertEquals(Shape.of(1, 1, 10), k3.outputShape(src));
        assertArrayEquals(new int[] {0}, ConvShapes.padLeft(k3, src));
        assertArrayEquals(new int[] {1}, ConvShapes.padRight(k3, src));
        // kernel shorter than the stride: no padding, the output grows on the right instead
        ConvSpec k1 = ConvSpec.transposed(1, 1, 1, 1).stride(2).padding("same").build();
        assertEquals(Shape.of(1, 1, 10), k1.outputShape(src));
        assertArrayEquals(new int[] {0}, ConvShapes.padRight(k1, src));
        assertArrayEquals(new int[] {-1}, ConvShapes.exactPadRight(k1, src));
    }

    @Test
    void valid_isNoPadding() {
        ConvSpec spec = ConvSpec.conv2d(1, 1, 3).stride(2).padding("valid").build();
        Shape src = Shape.of(1, 1, 10, 9);
        assertEquals(Shape.of(1, 1, 4, 4), spec.outputShape(src));
        assertArrayEquals(new int[] {0, 0}, ConvShapes.padLeft(spec, src));
        assertArrayEquals(new int[] {0, 0}, ConvShapes.padRight(spec, src));
    }

    @Test
    void exactPadRight_isOneDnnsPaddingR() {
        // 10, k3, s2, p1: o = 5, and (5 − 1)·2 + 3 − 10 − 1 = 0: the floor drops the last padded row
        ConvSpec conv = ConvSpec.conv1d(1, 1, 3).stride(2).padding(1).build();
        assertArrayEquals(new int[] {0}, ConvShapes.exactPadRight(conv, Shape.of(1, 1, 10)));
        assertArrayEquals(new int[] {1}, ConvShapes.exactPadRight(conv, Shape.of(1, 1, 11)));
        // transposed: padding_r = pr − output_padding
        ConvSpec t = ConvSpec.transposed(1, 1, 1, 3).stride(2).padding(1).outputPadding(1).build();
        assertArrayEquals(new int[] {0}, ConvShapes.exactPadRight(t, Shape.of(1, 1, 5)));
        assertEquals(-1, ConvShapes.exactPadRight(false, 10, 5, 1, 2, 1, 0));
        assertEquals(1, ConvShapes.padLeftForOutput(false, 56, 56, 3, 1, 1));
        assertEquals(0, ConvShapes.padLeftForOutput(false, 56, 28, 1, 2, 1));  // −1/2 truncates to 0
        assertEquals(-3, ConvShapes.padLeftForOutput(false, 10, 2, 1, 2, 1));
    }

    // ---- weights, bias, work -----------------------------------------------------------------

    @Test
    void weiAndBia_pyTorchLayouts() {
        assertEquals(Shape.of(33, 16, 3, 5), ConvShapes.wei(ConvSpec.conv2d(16, 33, 3, 5).build()));
        assertEquals(Shape.of(32, 16, 3, 3), ConvShapes.wei(ConvSpec.conv2d(64, 32, 3).groups(4).build()));
        assertEquals(Shape.of(16, 1, 3, 3), ConvShapes.wei(ConvSpec.depthwise(2, 8, 2, 3).build()));
        assertEquals(Shape.of(16, 33, 3, 5), ConvShapes.wei(ConvSpec.transposed(2, 16, 33, 3, 5).build()));
        assertEquals(Shape.of(8, 3, 4), ConvShapes.wei(ConvSpec.transposed(1, 8, 12, 4).groups(4).build()));
        assertEquals(Shape.of(4, 2, 1, 2, 3), ConvShapes.wei(ConvSpec.conv3d(2, 4, 1, 2, 3).build()));
        assertEquals(Shape.of(33), ConvShapes.bia(ConvSpec.conv2d(16, 33, 3).build()));
        assertEquals(Shape.of(33), ConvShapes.bia(ConvSpec.transposed(2, 16, 33, 3).build()));
        assertNull(ConvShapes.bia(ConvSpec.conv2d(16, 33, 3).bias(false).build()));
    }

    @Test
    void macsAndFlops_countEveryKernelTap() {
        // the seed layer: 1·64·224·224 outputs, 3·3·3 taps each
        ConvSpec seed = ConvSpec.conv2d(3, 64, 3).padding(1).build();
        Shape src = Shape.of(1, 3, 224, 224);
        assertEquals(86_704_128L, ConvShapes.macs(seed, src));
        for (Direction dir : Direction.values()) {
            assertEquals(173_408_256.0, ConvShapes.flops(seed, src, dir));
        }
        // grouped: 2·6·3 outputs, (4/2)·3 taps each
        assertEquals(216L, ConvShapes.macs(ConvSpec.conv1d(4, 6, 3).groups(2).build(), Shape.of(2, 4, 5)));
        // transposed: every input element meets (OC/G)·k weights: 2·4·5·3·3
        assertEquals(360L, ConvShapes.macs(ConvSpec.transposed(1, 4, 6, 3).groups(2).build(), Shape.of(2, 4, 5)));
        // depthwise 3x3 on 1x32x112x112, multiplier 1
        assertEquals(32L * 112 * 112 * 9,
                ConvShapes.macs(ConvSpec.depthwise(2, 32, 1, 3).padding(1).build(), Shape.of(1, 32, 112, 112)));
    }

    @Test
    void spatial_dropsBatchAndChannels() {
        assertArrayEquals(new int[] {5, 6, 7}, ConvShapes.spatial(Shape.of(1, 2, 5, 6, 7)));
    }
}
