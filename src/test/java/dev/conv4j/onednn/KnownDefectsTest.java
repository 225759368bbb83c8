package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.NativeBackendException;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

/**
 * oneDNN's {@code jit_1x1} backward-weights writes past its workspace on a strided 1×1 layer
 * with a channels-last source and few channels ({@link ConvPrimitives#defective}): no walk over
 * oneDNN's implementations offers it there, and it stays available where it is sound.
 */
class KnownDefectsTest {
    private static List<String> backwardWeights(ConvSpec spec, Shape src, LayoutPolicy layout) {
        try (PointerScope scope = new PointerScope()) {
            return PassBuilder.implementations(NativeRuntime.get().engine(),
                    DnnlMapping.of(spec, src, Layout.CHANNELS_LAST), true, Direction.BWD_W, layout);
        }
    }

    private static boolean anyJit1x1(List<String> names) {
        return names.stream().anyMatch(n -> n.startsWith("jit_1x1"));
    }

    @Test void stridedOneByOne_channelsLast_fewChannels_neverOffersJit1x1() {
        for (ConvSpec spec : new ConvSpec[] {
                ConvSpec.conv2d(4, 6, 1).stride(2).build(),
                ConvSpec.conv2d(12, 16, 1).stride(2).build(),
                ConvSpec.conv2d(32, 8, 1).stride(2).build(),                         // few output channels
                ConvSpec.conv1d(4, 8, 1).stride(2).build()}) {
            Shape src = spec.rank() == 1 ? Shape.of(2, spec.inChannels(), 12) : Shape.of(2, spec.inChannels(), 6, 8);
            List<String> names = backwardWeights(spec, src, LayoutPolicy.CHANNELS_LAST);
            assertFalse(names.isEmpty(), spec.toString());
            assertFalse(anyJit1x1(names), spec + ": " + names);
        }
    }

    /** Every implementation oneDNN lists for backward-weights, no filter applied (the first one aside, which the factory may have stepped past). */
    private static List<String> unfiltered(ConvSpec spec, Shape src, LayoutPolicy layout) {
        return NativeRuntime.withoutPrimitiveCache(() -> {
            try (PointerScope scope = new PointerScope()) {
                engine eng = NativeRuntime.get().engine();
                DnnlMapping m = DnnlMapping.of(spec, src, Layout.CHANNELS_LAST);
                primitive_desc pd = ConvPrimitives.backwardWeights(eng, m, layout, ConvPrimitives.forward(eng, m, layout, true));
                List<String> names = new ArrayList<>();
                do {
                    names.add(pd.impl_info_str().getString());
                } while (pd.next_impl());
                return names;
            }
        });
    }

    @Test void jit1x1_staysWhereItIsSound() {
        // Sixteen channels, or unit stride (no workspace), or a blocked source: the filter takes
        // nothing away from what oneDNN lists, so it is no blanket ban. Which kernels oneDNN
        // lists depends on the CPU's ISA; on AVX2 (measured), jit_1x1 is among them.
        Object[][] sound = {
                {ConvSpec.conv2d(16, 16, 1).stride(2).build(), LayoutPolicy.CHANNELS_LAST},
                {ConvSpec.conv2d(4, 6, 1).build(), LayoutPolicy.CHANNELS_LAST},
                {ConvSpec.conv2d(4, 6, 1).stride(2).build(), LayoutPolicy.ANY}};
        int withJit1x1 = 0;
        for (Object[] c : sound) {
            ConvSpec spec = (ConvSpec) c[0];
            Shape src = Shape.of(2, spec.inChannels(), 6, 8);
            List<String> all = unfiltered(spec, src, (LayoutPolicy) c[1]);
            assertEquals(all, backwardWeights(spec, src, (LayoutPolicy) c[1]), spec.toString());
            withJit1x1 += anyJit1x1(all) ? 1 : 0;
        }
        if (NativeRuntime.get().effectiveIsa().startsWith("avx2")) {
            assertEquals(sound.length, withJit1x1, "oneDNN lists jit_1x1 in every sound case on " + NativeRuntime.get().effectiveIsa());
        }
    }

    @Test void theFirstImplementation_skipsTheDefectiveOne() {
        // CHANNELS_LAST builds oneDNN's first listed implementation: here that is no longer jit_1x1.
        ConvSpec spec = ConvSpec.conv2d(4, 6, 1).stride(2).build();
        Shape src = Shape.of(2, 4, 6, 4);
        try (OneDnnPlan p = new OneDnnPlan(NativeRuntime.get(), spec, src,
                PlanOptions.DEFAULT.withLayout(LayoutPolicy.CHANNELS_LAST).withUserLayout(Layout.CHANNELS_LAST))) {
            assertFalse(p.implementation(Direction.BWD_W).startsWith("jit_1x1"), p.implementation(Direction.BWD_W));
            assertEquals(backwardWeights(spec, src, LayoutPolicy.CHANNELS_LAST).get(0), p.implementation(Direction.BWD_W));
        }
    }

    /**
     * A strided transposed 1×1 layer with few channels has no channels-last backward-weights
     * kernel but the defective one: the plan refuses it saying why and what computes it, and
     * the layouts it names do.
     */
    @Test void aTransposedLayerWithOnlyTheDefectiveKernel_isRefusedSayingWhy_andAnyComputesIt() {
        ConvSpec spec = ConvSpec.transposed(2, 12, 8, 1).stride(2).dilation(2, 1).outputPadding(1).build();
        Shape src = Shape.of(1, 12, 5, 1);
        OneDnnEngine engine = OneDnnEngine.get();
        PlanOptions channelsLast = PlanOptions.DEFAULT.withLayout(LayoutPolicy.CHANNELS_LAST).withUserLayout(Layout.CHANNELS_LAST);
        NativeBackendException e = assertThrows(NativeBackendException.class, () -> engine.prepare(spec, src, channelsLast).close());
        assertTrue(e.getMessage().contains("bwd_w (layout CHANNELS_LAST: its jit_1x1 kernel is passed over"), e.getMessage());
        assertTrue(e.getMessage().contains("layout ANY or AUTO may compute it"), e.getMessage());
        for (LayoutPolicy ok : new LayoutPolicy[] {LayoutPolicy.ANY, LayoutPolicy.AUTO}) {
            try (Plan plan = engine.prepare(spec, src, channelsLast.withLayout(ok))) {
                assertFalse(plan.implementation(Direction.BWD_W).isEmpty(), ok.toString());
            }
        }
    }
}
