package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Tensor;
import java.nio.FloatBuffer;
import dev.conv4j.tensor.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The raw baseline on tiny problems: it builds, runs and names its kernel; the peak measurement on a small matmul. */
class OneDnnBaselineTest {

    record Case(String name, ConvSpec spec, Shape src) {}

    static final List<Case> CASES = List.of(
            new Case("3x3 pad 1", ConvSpec.conv2d(8, 16, 3).padding(1).build(), Shape.of(2, 8, 9, 9)),
            new Case("depthwise stride 2", ConvSpec.depthwise(2, 8, 1, 3).stride(2).padding(1).bias(false).build(), Shape.of(1, 8, 10, 10)),
            new Case("transposed 1-D", ConvSpec.transposed(1, 4, 6, 3).stride(2).padding(1).outputPadding(1).build(), Shape.of(1, 4, 7)),
            new Case("3-D dilated", ConvSpec.conv3d(2, 4, 3).dilation(2).build(), Shape.of(1, 2, 6, 6, 6)));

    @Test
    void inAFixedPolicysLayout_itIsThePlansOwnPrimitive() {
        int compared = 0;
        for (LayoutPolicy layout : new LayoutPolicy[] {LayoutPolicy.CHANNELS_LAST, LayoutPolicy.CHANNELS_FIRST, LayoutPolicy.ANY}) {
            for (Case c : CASES) {
                PlanOptions options = PlanOptions.DEFAULT.withLayout(layout);
                try (dev.conv4j.engine.Plan plan = dev.conv4j.engine.Engines.onednn().prepare(c.spec(), c.src(), options)) {
                    for (Direction d : Direction.values()) {
                        try (var raw = OneDnnBaseline.factory(layout).create(c.spec(), c.src(), d, true)) {
                            raw.run();
                            assertEquals(plan.implementation(d), raw.implementation(), c.name() + " " + layout + " " + d);
                            compared++;
                        }
                    }
                }
            }
        }
        assertEquals(3 * CASES.size() * 3, compared);
        assertThrows(IllegalArgumentException.class, () -> OneDnnBaseline.factory(LayoutPolicy.AUTO));
    }

    /**
     * With user layouts the baseline computes what the plan of the same policy returns, from
     * the same inputs: its conversions are the plan's. Under channels-last with channels-last
     * tensors, forward and backward-data convert nothing.
     */
    @Test
    void convertingToUserLayouts_computesWhatThePlanReturns() {
        int converted = 0;
        int compared = 0;
        for (LayoutPolicy policy : new LayoutPolicy[] {LayoutPolicy.CHANNELS_LAST, LayoutPolicy.CHANNELS_FIRST, LayoutPolicy.ANY}) {
            for (Layout tensors : Layout.values()) {
                for (Case c : CASES) {
                    PlanOptions options = PlanOptions.DEFAULT.withLayout(policy).withUserLayout(tensors);
                    try (Plan plan = Engines.onednn().prepare(c.spec(), c.src(), options)) {
                        Tensor x = filled(Tensor.allocate(plan.srcShape(), tensors));
                        Tensor w = filled(Tensor.allocate(plan.weiShape()));
                        Tensor b = plan.biaShape() == null ? null : filled(Tensor.allocate(plan.biaShape()));
                        Tensor dy = filled(Tensor.allocate(plan.dstShape(), tensors));
                        for (Direction d : Direction.values()) {
                            Tensor out;
                            switch (d) {
                                case FWD -> plan.forward(x, w, b, out = Tensor.allocate(plan.dstShape(), tensors));
                                case BWD_D -> plan.backwardData(dy, w, out = Tensor.allocate(plan.srcShape(), tensors));
                                default -> plan.backwardWeights(x, dy, out = Tensor.allocate(plan.weiShape()),
                                        b == null ? null : Tensor.allocate(plan.biaShape()));
                            }
                            try (OneDnnBaseline raw = OneDnnBaseline.create(c.spec(), c.src(), d, true, policy, tensors)) {
                                raw.run();
                                String what = c.name() + " " + policy + " " + tensors + " " + d;
                                assertClose(out, raw.output(), what);
                                if (policy == LayoutPolicy.CHANNELS_LAST && tensors == Layout.CHANNELS_LAST && d != Direction.BWD_W) {
                                    assertEquals(0, raw.conversions(), what);
                                }
                                converted += raw.conversions();
                                compared++;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(3 * 2 * CASES.size() * 3, compared);
        assertTrue(converted > 0, "no output was converted");
    }

    /**
     * A weight gradient the plan reorders in two steps ({@link ReorderRoute}: through padded
     * rows, through the tiles' outer block) the baseline reorders the same way (two reorders
     * after the convolution), to the same values.
     */
    @ParameterizedTest
    @CsvSource({"1024, 32, 1, to padded rows", "32, 48, 3, through Abcd16a"})
    void aGradientInTwoSteps_isReorderedAsThePlanDoes(int in, int out, int kernel, String route) {
        ConvSpec spec = ConvSpec.conv2d(in, out, kernel).build();
        Shape src = Shape.of(1, in, 5, 5);
        try (OneDnnPlan plan = (OneDnnPlan) Engines.onednn().prepare(spec, src, PlanOptions.DEFAULT.withLayout(LayoutPolicy.ANY))) {
            Tensor dw = Tensor.allocate(plan.weiShape());
            plan.backwardWeights(filled(Tensor.allocate(src)), filled(Tensor.allocate(plan.dstShape())), dw,
                    Tensor.allocate(plan.biaShape()));
            assertEquals(List.of(route), plan.pass(Direction.BWD_W).twoStepReorders, "the plan's route");
            try (OneDnnBaseline raw = OneDnnBaseline.create(spec, src, Direction.BWD_W, true, LayoutPolicy.ANY,
                    Layout.CHANNELS_FIRST)) {
                raw.run();
                assertEquals(2, raw.conversions(), "the baseline's reorders");
                assertClose(dw, raw.output(), "diff_wei");
            }
        }
    }

    private static Tensor filled(Tensor t) {
        for (int i = 0; i < t.size(); i++) {
            t.set(i, OneDnnBaseline.fillValue(i));
        }
        return t;
    }

    private static void assertClose(Tensor expected, FloatBuffer actual, String what) {
        assertEquals(expected.size(), actual.capacity(), what + ": size");
        float max = 0;
        for (int i = 0; i < expected.size(); i++) {
            max = Math.max(max, Math.abs(expected.get(i)));
        }
        assertTrue(max > 0, what + ": all zeros");
        for (int i = 0; i < expected.size(); i++) {
            float e = expected.get(i);
            float a = actual.get(i);
            assertTrue(Math.abs(e - a) <= 1e-5f * (1 + max), what + ": element " + i + " expected " + e + ", was " + a);
        }
    }

    @Test
    void everyDirectionBuildsAndRuns() {
        int ran = 0;
        for (Case c : CASES) {
            for (Direction d : Direction.values()) {
                try (OneDnnBaseline b = OneDnnBaseline.create(c.spec(), c.src(), d, true)) {
                    b.run();
                    b.run();
                    assertFalse(b.implementation().isEmpty(), c.name());
                    ran++;
                }
            }
        }
        assertEquals(CASES.size() * 3, ran);
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseFails() {
        OneDnnBaseline b = OneDnnBaseline.create(CASES.get(0).spec(), CASES.get(0).src(), Direction.FWD, false);
        b.close();
        b.close();
        assertEquals("baseline: used after close", assertThrows(IllegalStateException.class, b::run).getMessage());
    }

    /**
     * Closing a baseline while another thread runs it waits for the run in flight (closing
     * under it freed the primitive it was executing: a JVM crash, not an exception), and the
     * runner's next run fails clearly.
     */
    @Test
    void closeWaitsForARunInFlightAndLaterRunsFailClearly() throws Exception {
        ConvSpec spec = ConvSpec.conv2d(64, 64, 3).padding(1).build();
        OneDnnBaseline b = OneDnnBaseline.create(spec, Shape.of(4, 64, 56, 56), Direction.FWD, false);
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<String> ended = new java.util.concurrent.atomic.AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                while (true) {
                    b.run();
                    runs.incrementAndGet();
                }
            } catch (IllegalStateException e) {
                ended.set(e.getMessage());
            }
        }, "runner");
        runner.start();
        while (runs.get() < 2) {
            Thread.sleep(1);
        }
        b.close();
        runner.join(60_000);
        assertFalse(runner.isAlive());
        assertEquals("baseline: used after close", ended.get());
        b.close();   // idempotent
    }

    @Test
    void rejectsWhatHasNoRawPrimitiveBeforeAnyNativeCall() {
        ConvSpec reflect = ConvSpec.conv2d(2, 2, 3).padding(1).paddingMode(PaddingMode.REFLECT).build();
        assertEquals("baseline: padding_mode reflect has no raw oneDNN primitive (conv4j pre-pads it); use zeros",
                assertThrows(IllegalArgumentException.class,
                        () -> OneDnnBaseline.create(reflect, Shape.of(1, 2, 5, 5), Direction.FWD, false)).getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> OneDnnBaseline.create(CASES.get(0).spec(), Shape.of(1, 3, 9, 9), Direction.FWD, false));
    }

    /**
     * A transposed convolution whose output padding reaches the stride (allowed with a
     * dilation) is one oneDNN refuses as such: the plan computes it on a cropped destination,
     * and the baseline must time that same primitive, not fail. This was a raw oneDNN
     * exception in {@code bench --deconv --baseline} on the edge list's last line.
     */
    @Test
    void aCroppedTransposedDestination_runsThePlansPrimitive() {
        dev.conv4j.ProblemDesc p = dev.conv4j.ProblemDesc.parse("mb2ic4ih6oc4oh10kh3ph1dh1", true);
        ConvSpec spec = p.spec();
        Shape src = p.src();
        assertTrue(DnnlMapping.of(spec, src, Layout.CHANNELS_FIRST).cropped(), "the case must need the crop");
        int ran = 0;
        for (LayoutPolicy policy : new LayoutPolicy[] {LayoutPolicy.ANY, LayoutPolicy.CHANNELS_LAST}) {
            try (Plan plan = Engines.onednn().prepare(spec, src, PlanOptions.DEFAULT.withLayout(policy))) {
                for (Direction d : Direction.values()) {
                    for (Layout tensors : new Layout[] {null, Layout.CHANNELS_FIRST, Layout.CHANNELS_LAST}) {
                        try (OneDnnBaseline raw = OneDnnBaseline.create(spec, src, d, true, policy, tensors)) {
                            raw.run();
                            assertEquals(plan.implementation(d), raw.implementation(), policy + " " + d);
                            ran++;
                        }
                    }
                }
            }
        }
        assertEquals(2 * 3 * 3, ran);
    }

    @Test
    void machinePeakOfASmallMatmulIsPositive() {
        dev.conv4j.bench.MatmulFigure r = MachinePeak.measure(128, 2, 2, 0);
        assertEquals(2, r.runs());
        assertEquals(128, r.size());
        assertTrue(r.gflops() > 0 && Double.isFinite(r.gflops()), r.toString());
        // brg_matmul on AVX2 and wider; gemm:jit on SSE4.1: never a reference kernel.
        assertFalse(r.implementation().isEmpty() || r.implementation().startsWith("ref"), r.implementation());
        assertEquals("size: must be in 64..16384, got 8",
                assertThrows(IllegalArgumentException.class, () -> MachinePeak.measure(8, 1, 1, 0)).getMessage());
    }
}
