package dev.conv4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Known answers computed by hand, one or more per kind. Integer data keeps every float32 sum
 * exact, so each comparison is exact. Arrays are written row by row in PyTorch's layouts
 * ({@code [N, C, spatial...]}, weights {@code [OC, IC/G, K...]}, transposed {@code [IC, OC/G, K...]}).
 */
public class ReferenceGoldenTest {

    /** The engine under test; the oneDNN engine runs the same known answers by overriding this. */
    protected Engine engine() {
        return Engines.reference();
    }

    /** A 5×5 integer image. */
    private static final float[] IMAGE = {
            1, 2, 0, 1, 3,
            0, 1, 2, 3, 1,
            2, 0, 1, 0, 2,
            1, 3, 2, 1, 0,
            0, 1, 1, 2, 1,
    };

    /** Sobel-x, a horizontal-gradient edge kernel; asymmetric, so a flipped or transposed kernel shows. */
    private static final float[] SOBEL_X = {
            -1, 0, 1,
            -2, 0, 2,
            -1, 0, 1,
    };

    // ---- standard ------------------------------------------------------------------------------

    @Test
    void edgeKernelValid() {
        // y[0,0] = (-1·1 + 1·0) + (-2·0 + 2·2) + (-1·2 + 1·1) = 2
        assertArrayEquals(new float[] {
                2, 3, 2,
                1, 0, -1,
                2, -3, -3,
        }, forward(ConvSpec.conv2d(1, 1, 3).bias(false).build(), shape(1, 1, 5, 5), IMAGE, SOBEL_X, null));
    }

    @Test
    void edgeKernelPadding1() {
        // The border reads zeros: y[0,0] = 2·x[0,1] + 1·x[1,1] = 4 + 1 = 5 (the rest of the
        // window is padding or the kernel's zero column)
        assertArrayEquals(new float[] {
                5, 0, 0, 5, -5,
                4, 2, 3, 2, -7,
                4, 1, 0, -1, -4,
                7, 2, -3, -3, -4,
                5, 3, 0, -2, -5,
        }, forward(ConvSpec.conv2d(1, 1, 3).padding(1).bias(false).build(), shape(1, 1, 5, 5), IMAGE, SOBEL_X, null));
    }

    @Test
    void edgeKernelPadding1Stride2WithBias() {
        // Rows and columns 0, 2, 4 of the padded result above, plus the bias 0.5.
        assertArrayEquals(new float[] {
                5.5f, 0.5f, -4.5f,
                4.5f, 0.5f, -3.5f,
                5.5f, 0.5f, -4.5f,
        }, forward(ConvSpec.conv2d(1, 1, 3).padding(1).stride(2).build(), shape(1, 1, 5, 5), IMAGE, SOBEL_X,
                new float[] {0.5f}));
    }

    @Test
    void dilation2() {
        // A 3×3 kernel 1..9 at dilation 2 covers the whole 5×5 image and reads its even rows
        // and columns: 1·1 + 2·0 + 3·3 + 4·2 + 5·1 + 6·2 + 7·0 + 8·1 + 9·1 = 52.
        assertArrayEquals(new float[] {52}, forward(ConvSpec.conv2d(1, 1, 3).dilation(2).bias(false).build(),
                shape(1, 1, 5, 5), IMAGE, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, null));
        // 1-D: y[a] = x[a] + 10·x[a + 2] + 100·x[a + 4]
        assertArrayEquals(new float[] {531, 642}, forward(ConvSpec.conv1d(1, 1, 3).dilation(2).bias(false).build(),
                shape(1, 1, 6), new float[] {1, 2, 3, 4, 5, 6}, new float[] {1, 10, 100}, null));
    }

    @Test
    void grouped() {
        // Groups 2 over 4 input channels: output 0 reads channels 0-1, output 1 reads channels 2-3.
        float[] x = {
                1, 2, 3,    // channel 0
                0, 1, 0,    // channel 1
                2, 2, 2,    // channel 2
                1, 0, -1,   // channel 3
        };
        float[] w = {
                1, 1,   10, 10,     // output 0: [in 0, in 1] of group 0
                1, -1,  100, 0,     // output 1: [in 2, in 3] of group 1
        };
        // y0[a] = x0[a] + x0[a+1] + 10·(x1[a] + x1[a+1]) + 0.5 = [3 + 10, 5 + 10] + 0.5
        // y1[a] = x2[a] − x2[a+1] + 100·x3[a] − 1 = [0 + 100, 0 + 0] − 1
        assertArrayEquals(new float[] {13.5f, 15.5f, 99, -1},
                forward(ConvSpec.conv1d(4, 2, 2).groups(2).build(), shape(1, 4, 3), x, w, new float[] {0.5f, -1}));
    }

    @Test
    void depthwiseMultiplier2() {
        // Output channel j reads input channel j / 2 (PyTorch's order for groups = in_channels).
        float[] x = {1, 2, 3, 4, /* channel 1 */ 5, 6, 7, 8};
        float[] w = {
                1, 0,     // output 0 <- input 0: x0[a]
                0, 1,     // output 1 <- input 0: x0[a + 1]
                1, 1,     // output 2 <- input 1: x1[a] + x1[a + 1]
                1, -1,    // output 3 <- input 1: x1[a] − x1[a + 1]
        };
        assertArrayEquals(new float[] {
                1, 2, 3,
                2, 3, 4,
                11, 13, 15,
                -1, -1, -1,
        }, forward(ConvSpec.depthwise(1, 2, 2, 2).bias(false).build(), shape(1, 2, 4), x, w, null));
    }

    @Test
    void oneDimensional() {
        // y[i] = x[i − 1] − x[i + 1] with zeros outside
        assertArrayEquals(new float[] {-2, -2, -2, -2, 4}, forward(ConvSpec.conv1d(1, 1, 3).padding(1).bias(false).build(),
                shape(1, 1, 5), new float[] {1, 2, 3, 4, 5}, new float[] {1, 0, -1}, null));
    }

    @Test
    void threeDimensional() {
        float[] x = {
                1, 2, 3,   4, 5, 6,      // depth 0: 2 rows of 3
                7, 8, 9,   10, 11, 12,   // depth 1
        };
        Shape src = shape(1, 1, 2, 2, 3);
        // A 2×2×2 box: sums of columns {0, 1} and {1, 2} over both depths and rows.
        assertArrayEquals(new float[] {1 + 2 + 4 + 5 + 7 + 8 + 10 + 11, 2 + 3 + 5 + 6 + 8 + 9 + 11 + 12},
                forward(ConvSpec.conv3d(1, 1, 2).bias(false).build(), src, x, new float[] {1, 1, 1, 1, 1, 1, 1, 1}, null));
        // Along depth only (kernel 2×1×1): y[h,w] = x[0,h,w] + 10·x[1,h,w]
        assertArrayEquals(new float[] {71, 82, 93, 104, 115, 126},
                forward(ConvSpec.conv3d(1, 1, 2, 1, 1).bias(false).build(), src, x, new float[] {1, 10}, null));
        // Along width only (kernel 1×1×2): y[d,h,w] = x[d,h,w] + 10·x[d,h,w+1]
        assertArrayEquals(new float[] {21, 32, 54, 65, 87, 98, 120, 131},
                forward(ConvSpec.conv3d(1, 1, 1, 1, 2).bias(false).build(), src, x, new float[] {1, 10}, null));
    }

    // ---- padding ---------------------------------------------------------------------------

    /** A 1×1 identity kernel shows the padded input itself. */
    private float[] padded1d(PaddingMode mode, int left, int right) {
        ConvSpec spec = ConvSpec.conv1d(1, 1, 1).paddingMode(mode).padding(new int[] {left}, new int[] {right})
                .bias(false).build();
        return forward(spec, shape(1, 1, 4), new float[] {1, 2, 3, 4}, new float[] {1}, null);
    }

    @Test
    void paddingModes1d() {
        // PyTorch: F.pad([1, 2, 3, 4], (2, 2), mode) and (1, 3)
        assertArrayEquals(new float[] {0, 0, 1, 2, 3, 4, 0, 0}, padded1d(PaddingMode.ZEROS, 2, 2));
        assertArrayEquals(new float[] {3, 2, 1, 2, 3, 4, 3, 2}, padded1d(PaddingMode.REFLECT, 2, 2));
        assertArrayEquals(new float[] {1, 1, 1, 2, 3, 4, 4, 4}, padded1d(PaddingMode.REPLICATE, 2, 2));
        assertArrayEquals(new float[] {3, 4, 1, 2, 3, 4, 1, 2}, padded1d(PaddingMode.CIRCULAR, 2, 2));
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 0, 0, 0}, padded1d(PaddingMode.ZEROS, 1, 3));
        assertArrayEquals(new float[] {2, 1, 2, 3, 4, 3, 2, 1}, padded1d(PaddingMode.REFLECT, 1, 3));
        assertArrayEquals(new float[] {1, 1, 2, 3, 4, 4, 4, 4}, padded1d(PaddingMode.REPLICATE, 1, 3));
        assertArrayEquals(new float[] {4, 1, 2, 3, 4, 1, 2, 3}, padded1d(PaddingMode.CIRCULAR, 1, 3));
        // Circular padding may be as large as the input: a whole extra period.
        assertArrayEquals(new float[] {1, 2, 3, 4, 1, 2, 3, 4}, padded1d(PaddingMode.CIRCULAR, 4, 0));
    }

    @Test
    void paddingModes2d() {
        float[] x = {
                1, 2, 3,
                4, 5, 6,
        };
        assertArrayEquals(new float[] {
                5, 4, 5, 6, 5,
                2, 1, 2, 3, 2,
                5, 4, 5, 6, 5,
                2, 1, 2, 3, 2,
        }, padded2d(PaddingMode.REFLECT, x));
        assertArrayEquals(new float[] {
                1, 1, 2, 3, 3,
                1, 1, 2, 3, 3,
                4, 4, 5, 6, 6,
                4, 4, 5, 6, 6,
        }, padded2d(PaddingMode.REPLICATE, x));
        assertArrayEquals(new float[] {
                6, 4, 5, 6, 4,
                3, 1, 2, 3, 1,
                6, 4, 5, 6, 4,
                3, 1, 2, 3, 1,
        }, padded2d(PaddingMode.CIRCULAR, x));
    }

    private float[] padded2d(PaddingMode mode, float[] x) {
        return forward(ConvSpec.conv2d(1, 1, 1).paddingMode(mode).padding(1).bias(false).build(),
                shape(1, 1, 2, 3), x, new float[] {1}, null);
    }

    @Test
    void paddingModes3dPadTheDepth() {
        // Input [1, 2] along depth (H = W = 1), padding 1 in depth only.
        ConvSpec.Builder b = ConvSpec.conv3d(1, 1, 1).padding(1, 0, 0).bias(false);
        Shape src = shape(1, 1, 2, 1, 1);
        float[] x = {1, 2};
        float[] w = {1};
        assertArrayEquals(new float[] {2, 1, 2, 1}, forward(b.paddingMode(PaddingMode.REFLECT).build(), src, x, w, null));
        assertArrayEquals(new float[] {1, 1, 2, 2}, forward(b.paddingMode(PaddingMode.REPLICATE).build(), src, x, w, null));
        assertArrayEquals(new float[] {2, 1, 2, 1}, forward(b.paddingMode(PaddingMode.CIRCULAR).build(), src, x, w, null));
        assertArrayEquals(new float[] {0, 1, 2, 0}, forward(b.paddingMode(PaddingMode.ZEROS).build(), src, x, w, null));
    }

    @Test
    void reflectWithAKernel() {
        // reflect-padded [2, 1, 2, 3, 4, 3] summed in windows of 3
        assertArrayEquals(new float[] {5, 6, 9, 10}, forward(
                ConvSpec.conv1d(1, 1, 3).padding(1).paddingMode(PaddingMode.REFLECT).bias(false).build(),
                shape(1, 1, 4), new float[] {1, 2, 3, 4}, new float[] {1, 1, 1}, null));
    }

    @Test
    void samePadding() {
        float[] ones4 = {1, 1, 1, 1};
        float[] ones3 = {1, 1, 1};
        // Stride 1, even kernel 4: total padding 3, one on the left and two on the right (PyTorch).
        // Padded [0, 1, 2, 3, 4, 5, 0, 0] in windows of 4.
        assertArrayEquals(new float[] {6, 10, 14, 12, 9}, forward(ConvSpec.conv1d(1, 1, 4).padding("same").bias(false).build(),
                shape(1, 1, 5), new float[] {1, 2, 3, 4, 5}, ones4, null));
        // Stride 2 (Keras): out = ceil(5 / 2) = 3, total max((3 − 1)·2 + 3 − 5, 0) = 2 -> [1, 1]:
        // padded [0, 1, 2, 3, 4, 5, 0], windows at 0, 2, 4.
        assertArrayEquals(new float[] {3, 9, 9}, forward(ConvSpec.conv1d(1, 1, 3).stride(2).padding("same").bias(false).build(),
                shape(1, 1, 5), new float[] {1, 2, 3, 4, 5}, ones3, null));
        // Input 6: out 3, total max(4 + 3 − 6, 0) = 1 -> [0, 1]: padded [1, 2, 3, 4, 5, 6, 0].
        assertArrayEquals(new float[] {6, 12, 11}, forward(ConvSpec.conv1d(1, 1, 3).stride(2).padding("same").bias(false).build(),
                shape(1, 1, 6), new float[] {1, 2, 3, 4, 5, 6}, ones3, null));
        // 'valid' is no padding at all.
        assertArrayEquals(new float[] {6, 9, 12}, forward(ConvSpec.conv1d(1, 1, 3).padding("valid").bias(false).build(),
                shape(1, 1, 5), new float[] {1, 2, 3, 4, 5}, ones3, null));
    }

    // ---- transposed ------------------------------------------------------------------------

    @Test
    void transposedOfASinglePixelIsTheKernelPlusBias() {
        // Weights [IC = 1, OC = 2, 3, 3]: output channel o is w[0, o] + b[o].
        float[] w = new float[18];
        for (int i = 0; i < w.length; i++) {
            w[i] = i + 1;
        }
        float[] b = {0.5f, -0.5f};
        float[] expected = new float[18];
        for (int i = 0; i < 18; i++) {
            expected[i] = w[i] + b[i / 9];
        }
        assertArrayEquals(expected, forward(ConvSpec.transposed(2, 1, 2, 3).build(), shape(1, 1, 1, 1),
                new float[] {1}, w, b));
        // 1-D and 3-D alike
        assertArrayEquals(new float[] {3.5f, 4.5f, 5.5f}, forward(ConvSpec.transposed(1, 1, 1, 3).build(), shape(1, 1, 1),
                new float[] {1}, new float[] {3, 4, 5}, new float[] {0.5f}));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, forward(ConvSpec.transposed(3, 1, 1, 2).bias(false).build(),
                shape(1, 1, 1, 1, 1), new float[] {1}, new float[] {1, 2, 3, 4, 5, 6, 7, 8}, null));
    }

    @Test
    void transposedStride2OutputPadding1d() {
        // Scatter y[2i + u] += x[i]·w[u]: [1, 10, 100 + 2, 20, 200], output_padding adds one
        // more position, which holds the bias alone.
        ConvSpec.Builder b = ConvSpec.transposed(1, 1, 1, 3).stride(2).outputPadding(1);
        float[] x = {1, 2};
        float[] w = {1, 10, 100};
        assertArrayEquals(new float[] {1.5f, 10.5f, 102.5f, 20.5f, 200.5f, 0.5f},
                forward(b.build(), shape(1, 1, 2), x, w, new float[] {0.5f}));
        // padding 1 crops one position on each side of that: (2 − 1)·2 − 2 + 3 + 1 = 4 outputs.
        assertArrayEquals(new float[] {10, 102, 20, 200}, forward(b.padding(1).bias(false).build(), shape(1, 1, 2), x, w, null));
    }

    @Test
    void transposedStride2OutputPadding2d() {
        // Kernel 2 at stride 2 tiles the output with x[i, j]·w; output_padding 1 adds a last
        // row and column that no input reaches.
        assertArrayEquals(new float[] {
                1, 10, 2, 20, 0,
                100, 1000, 200, 2000, 0,
                3, 30, 4, 40, 0,
                300, 3000, 400, 4000, 0,
                0, 0, 0, 0, 0,
        }, forward(ConvSpec.transposed(2, 1, 1, 2).stride(2).outputPadding(1).bias(false).build(), shape(1, 1, 2, 2),
                new float[] {1, 2, 3, 4}, new float[] {1, 10, 100, 1000}, null));
    }

    @Test
    void transposedBackward() {
        // The 1-D layer above (x = [1, 2], w = [1, 10, 100], stride 2, output_padding 1) with dy = 1..6:
        // dx[i] = Σ_u w[u]·dy[2i + u]: [1 + 20 + 300, 3 + 40 + 500]
        // dw[u] = Σ_i x[i]·dy[2i + u]: [1 + 2·3, 2 + 2·4, 3 + 2·5]; db = Σ dy = 21
        ConvSpec spec = ConvSpec.transposed(1, 1, 1, 3).stride(2).outputPadding(1).build();
        try (Plan plan = engine().prepare(spec, shape(1, 1, 2))) {
            Tensor dy = Tensor.of(plan.dstShape(), 1, 2, 3, 4, 5, 6);
            Tensor dx = Tensor.allocate(plan.srcShape());
            plan.backwardData(dy, Tensor.of(plan.weiShape(), 1, 10, 100), dx);
            assertArrayEquals(new float[] {321, 543}, dx.toArray());
            Tensor dw = Tensor.allocate(plan.weiShape());
            Tensor db = Tensor.allocate(plan.biaShape());
            plan.backwardWeights(Tensor.of(plan.srcShape(), 1, 2), dy, dw, db);
            assertArrayEquals(new float[] {7, 10, 13}, dw.toArray());
            assertArrayEquals(new float[] {21}, db.toArray());
        }
    }

    // ---- backward --------------------------------------------------------------------------

    @Test
    void backwardData1d() {
        // x of 4, w = [1, 2, 3], y of 2. dx[i] = Σ_a dy[a]·w[i − a] with dy = [1, 10]:
        // [1·1, 1·2 + 10·1, 1·3 + 10·2, 10·3]
        assertArrayEquals(new float[] {1, 12, 23, 30}, backwardData(ConvSpec.conv1d(1, 1, 3).build(), shape(1, 1, 4),
                new float[] {1, 10}, new float[] {1, 2, 3}));
        // Stride 2, padding 1: y[a] = Σ_u w[u]·x[2a + u − 1], dy = [1, 10, 100]:
        // dx = [1·2, 1·3 + 10·1, 10·2, 10·3 + 100·1, 100·2]
        assertArrayEquals(new float[] {2, 13, 20, 130, 200}, backwardData(ConvSpec.conv1d(1, 1, 3).stride(2).padding(1).build(),
                shape(1, 1, 5), new float[] {1, 10, 100}, new float[] {1, 2, 3}));
    }

    @Test
    void backwardDataFoldsThePaddingBack() {
        // Identity kernel, padding 2 on [x0, x1, x2, x3], dy = 1..8 over the padded positions:
        // each input collects the gradient of every position that copies it.
        float[] dy = {1, 2, 3, 4, 5, 6, 7, 8};
        // replicate [x0 x0 x0 x1 x2 x3 x3 x3]
        assertArrayEquals(new float[] {1 + 2 + 3, 4, 5, 6 + 7 + 8}, fold(PaddingMode.REPLICATE, dy));
        // reflect [x2 x1 x0 x1 x2 x3 x2 x1]
        assertArrayEquals(new float[] {3, 2 + 4 + 8, 1 + 5 + 7, 6}, fold(PaddingMode.REFLECT, dy));
        // circular [x2 x3 x0 x1 x2 x3 x0 x1]
        assertArrayEquals(new float[] {3 + 7, 4 + 8, 1 + 5, 2 + 6}, fold(PaddingMode.CIRCULAR, dy));
        // zeros [0 0 x0 x1 x2 x3 0 0]
        assertArrayEquals(new float[] {3, 4, 5, 6}, fold(PaddingMode.ZEROS, dy));
    }

    private float[] fold(PaddingMode mode, float[] dy) {
        return backwardData(ConvSpec.conv1d(1, 1, 1).padding(2).paddingMode(mode).build(), shape(1, 1, 4), dy, new float[] {1});
    }

    @Test
    void backwardWeights() {
        // 1-D: dw[u] = Σ_a dy[a]·x[a + u] with x = [1, 2, 3, 4], dy = [1, 10]; db = Σ dy
        ConvSpec spec = ConvSpec.conv1d(1, 1, 3).build();
        try (Plan plan = engine().prepare(spec, shape(1, 1, 4))) {
            Tensor dw = Tensor.allocate(plan.weiShape());
            Tensor db = Tensor.allocate(plan.biaShape());
            plan.backwardWeights(Tensor.of(plan.srcShape(), 1, 2, 3, 4), Tensor.of(plan.dstShape(), 1, 10), dw, db);
            assertArrayEquals(new float[] {1 + 20, 2 + 30, 3 + 40}, dw.toArray());
            assertArrayEquals(new float[] {11}, db.toArray());
        }
        // 2-D: x = 1..9 (3×3), kernel 2×2, dy = [[1, 0], [0, 1]]: dw[u,v] = x[u,v] + x[1+u,1+v]
        try (Plan plan = engine().prepare(ConvSpec.conv2d(1, 1, 2).build(), shape(1, 1, 3, 3))) {
            Tensor dw = Tensor.allocate(plan.weiShape());
            Tensor db = Tensor.allocate(plan.biaShape());
            plan.backwardWeights(Tensor.of(plan.srcShape(), 1, 2, 3, 4, 5, 6, 7, 8, 9),
                    Tensor.of(plan.dstShape(), 1, 0, 0, 1), dw, db);
            assertArrayEquals(new float[] {1 + 5, 2 + 6, 4 + 8, 5 + 9}, dw.toArray());
            assertArrayEquals(new float[] {2}, db.toArray());
        }
    }

    // ---- layouts ---------------------------------------------------------------------------

    @Test
    void channelsLastUserTensorsGiveTheSameValues() {
        int checked = 0;
        for (ConvSpec spec : new ConvSpec[] {
                ConvSpec.conv2d(3, 4, 3).stride(2).padding(1).build(),
                ConvSpec.conv2d(2, 2, 3).padding(1).paddingMode(PaddingMode.REFLECT).build(),
                ConvSpec.transposed(2, 2, 4, 3).groups(2).stride(2).outputPadding(1).build()}) {
            Shape src = shape(2, spec.inChannels(), 4, 5);
            Random rnd = new Random(7);
            try (Plan first = engine().prepare(spec, src);
                 Plan last = engine().prepare(spec, src, PlanOptions.DEFAULT.withUserLayout(Layout.CHANNELS_LAST))) {
                Tensor x = Checks.random(src, Layout.CHANNELS_FIRST, rnd);
                Tensor w = Checks.random(first.weiShape(), Layout.CHANNELS_FIRST, rnd);
                Tensor b = Checks.random(first.biaShape(), Layout.CHANNELS_FIRST, rnd);
                Tensor dy = Checks.random(first.dstShape(), Layout.CHANNELS_FIRST, rnd);
                Tensor xLast = x.toLayout(Layout.CHANNELS_LAST);
                Tensor dyLast = dy.toLayout(Layout.CHANNELS_LAST);
                assertFalse(Arrays.equals(x.toArray(), xLast.toArray()), "the layouts differ in storage");

                Tensor y = Tensor.allocate(first.dstShape());
                first.forward(x, w, b, y);
                Tensor yLast = Tensor.allocate(first.dstShape(), Layout.CHANNELS_LAST);
                last.forward(xLast, w, b, yLast);
                assertArrayEquals(y.toArray(), yLast.toLayout(Layout.CHANNELS_FIRST).toArray());

                Tensor dx = Tensor.allocate(src);
                first.backwardData(dy, w, dx);
                Tensor dxLast = Tensor.allocate(src, Layout.CHANNELS_LAST);
                last.backwardData(dyLast, w, dxLast);
                assertArrayEquals(dx.toArray(), dxLast.toLayout(Layout.CHANNELS_FIRST).toArray());

                Tensor dw = Tensor.allocate(first.weiShape());
                Tensor db = Tensor.allocate(first.biaShape());
                first.backwardWeights(x, dy, dw, db);
                Tensor dwLast = Tensor.allocate(first.weiShape());
                Tensor dbLast = Tensor.allocate(first.biaShape());
                last.backwardWeights(xLast, dyLast, dwLast, dbLast);
                assertArrayEquals(dw.toArray(), dwLast.toArray());
                assertArrayEquals(db.toArray(), dbLast.toArray());

                // A weight tensor is read and written by its own layout too.
                Tensor wLast = w.toLayout(Layout.CHANNELS_LAST);
                Tensor y2 = Tensor.allocate(first.dstShape());
                first.forward(x, wLast, b, y2);
                assertArrayEquals(y.toArray(), y2.toArray());
                Tensor dx2 = Tensor.allocate(src);
                first.backwardData(dy, wLast, dx2);
                assertArrayEquals(dx.toArray(), dx2.toArray());
                Tensor dw2 = Tensor.allocate(first.weiShape(), Layout.CHANNELS_LAST);
                first.backwardWeights(x, dy, dw2, db);
                assertArrayEquals(dw.toArray(), dw2.toLayout(Layout.CHANNELS_FIRST).toArray());
                checked++;
            }
        }
        assertEquals(3, checked);
    }

    // ---- helpers ---------------------------------------------------------------------------

    static Shape shape(int... dims) {
        return Shape.of(dims);
    }

    /** Runs the engine's forward pass on channels-first values; {@code b} may be null without bias. */
    float[] forward(ConvSpec spec, Shape src, float[] x, float[] w, float[] b) {
        try (Plan plan = engine().prepare(spec, src)) {
            Tensor y = Tensor.allocate(plan.dstShape());
            plan.forward(Tensor.of(src, x), Tensor.of(plan.weiShape(), w),
                    b == null ? null : Tensor.of(plan.biaShape(), b), y);
            return y.toArray();
        }
    }

    /** Runs the engine's backward-data pass on channels-first values. */
    float[] backwardData(ConvSpec spec, Shape src, float[] dy, float[] w) {
        try (Plan plan = engine().prepare(spec, src)) {
            Tensor dx = Tensor.allocate(src);
            plan.backwardData(Tensor.of(plan.dstShape(), dy), Tensor.of(plan.weiShape(), w), dx);
            return dx.toArray();
        }
    }
}
