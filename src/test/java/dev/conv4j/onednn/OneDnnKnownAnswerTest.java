package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Tiny hand-computed cases, run through oneDNN: exact answers, no second program involved. */
class OneDnnKnownAnswerTest {

    private static Tensor t(float[] v, int... dims) {
        return Tensor.of(Shape.of(dims), v);
    }

    private static float[] forward(ConvSpec spec, Tensor src, Tensor wei, Tensor bia) {
        try (Plan p = Engines.onednn().prepare(spec, src.shape())) {
            Tensor dst = Tensor.allocate(p.dstShape());
            p.forward(src, wei, bia, dst);
            return dst.toArray();
        }
    }

    @Test void forward_1d_differenceKernelWithBias() {
        ConvSpec spec = ConvSpec.conv1d(1, 1, 3).build();
        float[] y = forward(spec, t(new float[] {1, 2, 3, 4}, 1, 1, 4), t(new float[] {1, 0, -1}, 1, 1, 3),
                t(new float[] {0.5f}, 1));
        assertArrayEquals(new float[] {-1.5f, -1.5f}, y);
    }

    @Test void forward_2d_windowSums() {
        ConvSpec spec = ConvSpec.conv2d(1, 1, 2).bias(false).build();
        float[] y = forward(spec, t(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3),
                t(new float[] {1, 1, 1, 1}, 1, 1, 2, 2), null);
        assertArrayEquals(new float[] {12, 16, 24, 28}, y);
    }

    @Test void forward_strideAndPadding() {
        ConvSpec spec = ConvSpec.conv1d(1, 1, 3).stride(2).padding(1).bias(false).build();
        float[] y = forward(spec, t(new float[] {1, 2, 3}, 1, 1, 3), t(new float[] {1, 1, 1}, 1, 1, 3), null);
        assertArrayEquals(new float[] {3, 5}, y);
    }

    @Test void forward_dilation() {
        ConvSpec spec = ConvSpec.conv1d(1, 1, 2).dilation(2).bias(false).build();
        float[] y = forward(spec, t(new float[] {1, 2, 3, 4, 5}, 1, 1, 5), t(new float[] {1, 1}, 1, 1, 2), null);
        assertArrayEquals(new float[] {4, 6, 8}, y);
    }

    @Test void forward_groupsScaleEachChannel() {
        ConvSpec spec = ConvSpec.conv1d(2, 2, 1).groups(2).bias(false).build();
        float[] y = forward(spec, t(new float[] {1, 2, 10, 20}, 1, 2, 2), t(new float[] {2, 3}, 2, 1, 1), null);
        assertArrayEquals(new float[] {2, 4, 30, 60}, y);
    }

    @Test void forward_depthwiseMultiplier2() {
        ConvSpec spec = ConvSpec.depthwise(1, 2, 2, 1).bias(false).build();
        float[] y = forward(spec, t(new float[] {1, 2, 10, 20}, 1, 2, 2), t(new float[] {1, 2, 3, 4}, 4, 1, 1), null);
        assertArrayEquals(new float[] {1, 2, 2, 4, 30, 60, 40, 80}, y);
    }

    @Test void forward_reflectPadding() {
        ConvSpec spec = ConvSpec.conv1d(1, 1, 3).padding(1).paddingMode(PaddingMode.REFLECT).bias(false).build();
        float[] y = forward(spec, t(new float[] {1, 2, 3}, 1, 1, 3), t(new float[] {1, 1, 1}, 1, 1, 3), null);
        assertArrayEquals(new float[] {5, 6, 7}, y);   // padded [2, 1, 2, 3, 2]
    }

    @Test void forward_circularPadding() {
        ConvSpec spec = ConvSpec.conv1d(1, 1, 3).padding(1).paddingMode(PaddingMode.CIRCULAR).bias(false).build();
        float[] y = forward(spec, t(new float[] {1, 2, 3}, 1, 1, 3), t(new float[] {1, 1, 1}, 1, 1, 3), null);
        assertArrayEquals(new float[] {6, 6, 6}, y);   // padded [3, 1, 2, 3, 1]
    }

    @Test void forward_transposedStride2() {
        ConvSpec spec = ConvSpec.transposed(1, 1, 1, 3).stride(2).bias(false).build();
        float[] y = forward(spec, t(new float[] {1, 2}, 1, 1, 2), t(new float[] {1, 2, 3}, 1, 1, 3), null);
        assertArrayEquals(new float[] {1, 2, 5, 4, 6}, y);
    }

    @Test void forward_transposedOutputPadding() {
        ConvSpec spec = ConvSpec.transposed(1, 1, 1, 3).stride(2).padding(1).outputPadding(1).bias(false).build();
        float[] y = forward(spec, t(new float[] {1, 2}, 1, 1, 2), t(new float[] {1, 1, 1}, 1, 1, 3), null);
        assertArrayEquals(new float[] {1, 3, 2, 2}, y);   // full [1, 1, 3, 2, 2], cropped left 1
    }

    @Test void forward_transposedWeightsAreInputChannelsFirst() {
        // PyTorch layout (IC=2, OC=1, k=1): out = 1*x0 + 10*x1
        ConvSpec spec = ConvSpec.transposed(1, 2, 1, 1).bias(false).build();
        float[] y = forward(spec, t(new float[] {1, 2, 3, 4}, 1, 2, 2), t(new float[] {1, 10}, 2, 1, 1), null);
        assertArrayEquals(new float[] {31, 42}, y);
    }

    @Test void backwardData_countsWindowsPerInput() {
        ConvSpec spec = ConvSpec.conv2d(1, 1, 2).bias(false).build();
        try (Plan p = Engines.onednn().prepare(spec, Shape.of(1, 1, 3, 3))) {
            Tensor diffSrc = Tensor.allocate(p.srcShape());
            p.backwardData(t(new float[] {1, 1, 1, 1}, 1, 1, 2, 2), t(new float[] {1, 1, 1, 1}, 1, 1, 2, 2), diffSrc);
            assertArrayEquals(new float[] {1, 2, 1, 2, 4, 2, 1, 2, 1}, diffSrc.toArray());
        }
    }

    @Test void backwardData_reflectFoldsBorderGradient() {
        // padded [x1, x0, x1, x2, x1]; with ones everywhere each padded position gets the
        // number of windows covering it: [1, 2, 3, 2, 1] -> x0: 2, x1: 1 + 3 + 1, x2: 2
        ConvSpec spec = ConvSpec.conv1d(1, 1, 3).padding(1).paddingMode(PaddingMode.REFLECT).bias(false).build();
        try (Plan p = Engines.onednn().prepare(spec, Shape.of(1, 1, 3))) {
            Tensor diffSrc = Tensor.allocate(p.srcShape());
            p.backwardData(t(new float[] {1, 1, 1}, 1, 1, 3), t(new float[] {1, 1, 1}, 1, 1, 3), diffSrc);
            assertArrayEquals(new float[] {2, 5, 2}, diffSrc.toArray());
        }
    }

    @Test void backwardWeights_windowSumsAndBiasCount() {
        ConvSpec spec = ConvSpec.conv2d(1, 1, 2).build();
        try (Plan p = Engines.onednn().prepare(spec, Shape.of(1, 1, 3, 3))) {
            Tensor diffWei = Tensor.allocate(p.weiShape());
            Tensor diffBia = Tensor.allocate(p.biaShape());
            p.backwardWeights(t(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3),
                    t(new float[] {1, 1, 1, 1}, 1, 1, 2, 2), diffWei, diffBia);
            assertArrayEquals(new float[] {12, 16, 24, 28}, diffWei.toArray());
            assertArrayEquals(new float[] {4}, diffBia.toArray());
        }
    }

    @Test void backwardWeights_transposed() {
        // y = w * x spread with stride 2: dL/dw[k] = sum_i x[i] * dy[2i + k]
        ConvSpec spec = ConvSpec.transposed(1, 1, 1, 3).stride(2).bias(true).build();
        try (Plan p = Engines.onednn().prepare(spec, Shape.of(1, 1, 2))) {
            Tensor diffWei = Tensor.allocate(p.weiShape());
            Tensor diffBia = Tensor.allocate(p.biaShape());
            p.backwardWeights(t(new float[] {1, 2}, 1, 1, 2), t(new float[] {1, 2, 3, 4, 5}, 1, 1, 5), diffWei, diffBia);
            assertArrayEquals(new float[] {1 + 2 * 3, 2 + 2 * 4, 3 + 2 * 5}, diffWei.toArray());
            assertArrayEquals(new float[] {15}, diffBia.toArray());
        }
    }
}
