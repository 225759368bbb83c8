package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Backward-weights on the source's columns ({@link Im2col}, {@link Candidate#GEMM_IM2COL}):
 * forced onto it, layers of ranks 1-3 with strides, dilations, asymmetric padding, trailing
 * rows a stride skips, bias on and off, at mb 1 and 3 on channels-last tensors and mb 1 on
 * channels-first ones, match the reference; the other directions keep their convolution; the
 * problems it cannot take never get it.
 */
class Im2colTest {
    private static final long SEED = 20261127L;

    private static OneDnnPlan forced(ConvSpec spec, Shape src, Layout layout) {
        return new OneDnnPlan(NativeRuntime.get(), spec, src, PlanOptions.DEFAULT.withUserLayout(layout),
                Candidate.GEMM_IM2COL);
    }

    private static Shape src(ConvSpec spec, int mb, int... spatial) {
        int[] dims = new int[spec.rank() + 2];
        dims[0] = mb;
        dims[1] = spec.inChannels();
        System.arraycopy(spatial, 0, dims, 2, spec.rank());
        return Shape.of(dims);
    }

    @Test void forcedBackwardWeights_onColumns_matchesReference() {
        List<Object[]> cases = List.of(
                new Object[] {ConvSpec.conv1d(5, 7, 3).padding(1).build(), new int[] {11}},
                new Object[] {ConvSpec.conv1d(4, 6, 5).stride(2).dilation(2).bias(false).build(), new int[] {23}},
                new Object[] {ConvSpec.conv2d(6, 10, 3).padding(1).build(), new int[] {7, 7}},
                new Object[] {ConvSpec.conv2d(6, 10, 3).padding(1).bias(false).build(), new int[] {5, 6}},
                // asymmetric padding, a rectangular kernel, stride 2 skipping the last row
                new Object[] {ConvSpec.conv2d(3, 8, 3).kernelSize(3, 2).stride(2).padding(new int[] {1, 0},
                        new int[] {0, 1}).build(), new int[] {8, 7}},
                // ResNet's first layer in small: 7×7, stride 2, pad 3, three channels
                new Object[] {ConvSpec.conv2d(3, 16, 7).stride(2).padding(3).build(), new int[] {20, 18}},
                new Object[] {ConvSpec.conv2d(4, 4, 3).dilation(2).padding(2).build(), new int[] {9, 9}},
                new Object[] {ConvSpec.conv2d(8, 8, 3).padding("same").build(), new int[] {6, 6}},
                new Object[] {ConvSpec.conv3d(3, 5, 3).padding(1).build(), new int[] {4, 5, 4}},
                new Object[] {ConvSpec.conv3d(2, 4, 2).stride(2).bias(false).build(), new int[] {5, 4, 6}});
        List<String> failures = new ArrayList<>();
        int checks = 0;
        for (Object[] c : cases) {
            ConvSpec spec = (ConvSpec) c[0];
            for (Layout layout : Layout.values()) {
                for (int mb : layout == Layout.CHANNELS_LAST ? new int[] {1, 3} : new int[] {1}) {
                    Shape shape = src(spec, mb, (int[]) c[1]);
                    assertTrue(Im2col.applies(spec, shape, layout, Direction.BWD_W), spec + " " + shape);
                    try (OneDnnPlan plan = forced(spec, shape, layout)) {
                        assertEquals(Candidate.GEMM_IM2COL, plan.candidate(Direction.BWD_W));
                        assertEquals("x64:sgemm (as sgemm on im2col columns)", plan.implementation(Direction.BWD_W));
                        assertFalse(plan.candidate(Direction.FWD).matmul(), "forward keeps its convolution");
                        assertFalse(plan.candidate(Direction.BWD_D).matmul(), "backward-data keeps its convolution");
                        Plan view = new ConvertingPlan(plan, layout == Layout.CHANNELS_LAST ? ConvertingPlan.CHANNELS_LAST
                                : t -> t, plan + " " + layout);
                        for (Direction dir : Direction.values()) {
                            Result[] results = Parity.check(view, dir, SEED + checks);
                            boolean trusted = java.util.Arrays.stream(results).anyMatch(r -> r.status() == Status.PASSED);
                            for (Result r : results) {
                                checks++;
                                if (!trusted || r.status() == Status.FAILED) {
                                    failures.add(spec + " " + shape + " " + layout + " " + dir.label() + ": " + r.describe());
                                }
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        assertTrue(checks >= 10 * 3 * 3, "checks run: " + checks);
    }

    @Test void problemsItCannotTake_neverGetIt() {
        Shape s = Shape.of(1, 8, 6, 6);
        assertFalse(Im2col.applies(ConvSpec.conv2d(8, 8, 3).build(), s, Layout.CHANNELS_LAST, Direction.FWD));
        assertFalse(Im2col.applies(ConvSpec.conv2d(8, 8, 3).build(), s, Layout.CHANNELS_LAST, Direction.BWD_D));
        assertFalse(Im2col.applies(ConvSpec.conv2d(8, 8, 1).build(), s, Layout.CHANNELS_LAST, Direction.BWD_W),
                "a 1x1 layer is Matmul1x1's");
        assertFalse(Im2col.applies(ConvSpec.conv2d(8, 8, 3).groups(2).build(), s, Layout.CHANNELS_LAST, Direction.BWD_W));
        assertFalse(Im2col.applies(ConvSpec.conv2d(8, 8, 3).transposed(true).build(), s, Layout.CHANNELS_LAST,
                Direction.BWD_W));
        assertFalse(Im2col.applies(ConvSpec.conv2d(8, 8, 3).padding(1).paddingMode(PaddingMode.REFLECT).build(), s,
                Layout.CHANNELS_LAST, Direction.BWD_W));
        assertFalse(Im2col.applies(ConvSpec.conv2d(8, 8, 3).build(), Shape.of(2, 8, 6, 6), Layout.CHANNELS_FIRST,
                Direction.BWD_W), "channels-first over two images is no single product");
        assertTrue(Im2col.applies(ConvSpec.conv2d(8, 8, 3).build(), Shape.of(2, 8, 6, 6), Layout.CHANNELS_LAST,
                Direction.BWD_W));
        // 512 channels × 9 taps × 32 × 49 positions × 4 bytes = 28.9 MB: within the cap; at 64 images not.
        ConvSpec res5 = ConvSpec.conv2d(512, 512, 3).padding(1).build();
        assertTrue(Im2col.applies(res5, Shape.of(32, 512, 7, 7), Layout.CHANNELS_LAST, Direction.BWD_W));
        assertFalse(Im2col.applies(res5, Shape.of(64, 512, 7, 7), Layout.CHANNELS_LAST, Direction.BWD_W));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> forced(ConvSpec.conv2d(8, 8, 1).build(), s, Layout.CHANNELS_LAST).close());
        assertTrue(e.getMessage().startsWith("candidate: GEMM_IM2COL does not apply to "), e.getMessage());
    }
}
