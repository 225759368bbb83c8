package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every native object a plan creates is released by {@code close()}: JavaCPP's count of live
 * native objects returns to its baseline after many prepare/close cycles and does not move
 * during many calls. The pointer deallocator thread is stopped first, so that the garbage
 * collector cannot hide a leak by freeing an unreachable object behind our back.
 */
class ResourceTest {

    private static final List<ConvSpec> SPECS = List.of(
            ConvSpec.conv2d(3, 8, 3).padding(1).build(),
            ConvSpec.conv2d(4, 4, 3).groups(4).stride(2).padding(1).bias(false).build(),
            ConvSpec.transposed(2, 4, 3, 3).stride(2).padding(1).outputPadding(1).build(),
            ConvSpec.conv1d(2, 3, 3).padding(1).paddingMode(PaddingMode.REFLECT).build(),
            ConvSpec.conv3d(2, 2, 2).build());

    private static Shape srcOf(ConvSpec spec) {
        return switch (spec.rank()) {
            case 1 -> Shape.of(2, spec.inChannels(), 9);
            case 2 -> Shape.of(2, spec.inChannels(), 7, 7);
            default -> Shape.of(1, spec.inChannels(), 4, 4, 4);
        };
    }

    @BeforeAll static void countEveryPointer() {
        Pointer.interruptDeallocatorThread();
        Engines.onednn();   // load once: the runtime's engine lives for the process
        long before = Pointer.totalCount();
        FloatPointer probe = new FloatPointer(4);
        assertEquals(before + 1, Pointer.totalCount(),
                "JavaCPP does not count native objects in this JVM (is -Dorg.bytedeco.javacpp.nopointergc=true set?)");
        probe.close();
        assertEquals(before, Pointer.totalCount());
    }

    private static void runAll(Plan p) {
        runAll(p, Layout.CHANNELS_FIRST);
    }

    @Test void prepareAndClose_manyTimes_pointerCountBackToBaseline() {
        // Warm up: first use of every kind may create process-wide state in oneDNN.
        for (ConvSpec spec : SPECS) {
            try (Plan p = Engines.onednn().prepare(spec, srcOf(spec))) {
                runAll(p);
            }
        }
        long baseline = Pointer.totalCount();
        int cycles = 0;
        LayoutPolicy[] policies = LayoutPolicy.values();
        for (int i = 0; i < 40; i++) {
            for (ConvSpec spec : SPECS) {
                PlanOptions options = PlanOptions.DEFAULT.withLayout(policies[i % policies.length]).withTraining(i % 2 == 0);
                Plan p = Engines.onednn().prepare(spec, srcOf(spec), options);
                if (options.training()) {
                    runAll(p);
                }
                p.close();
                cycles++;
            }
        }
        assertEquals(200, cycles);
        assertEquals(baseline, Pointer.totalCount(), "native objects leaked by prepare/close");
    }

    private static void runAll(Plan p, Layout layout) {
        Tensor src = Tensor.allocate(p.srcShape(), layout);
        Tensor dst = Tensor.allocate(p.dstShape(), layout);
        Tensor wei = Tensor.allocate(p.weiShape());
        Tensor bia = p.biaShape() == null ? null : Tensor.allocate(p.biaShape());
        p.forward(src, wei, bia, dst);
        p.backwardData(dst, wei, src);
        p.backwardWeights(src, dst, wei, bia);
    }

    /** 1×1 layers on the matmul candidates (and AUTO, which builds and discards them): nothing leaks, calls allocate nothing. */
    @Test void matmulPlans_prepareAndClose_pointerCountBackToBaseline() {
        ConvSpec spec = ConvSpec.conv2d(4, 6, 1).build();
        Shape src = Shape.of(1, 4, 5, 5);
        Candidate[] candidates = {Candidate.MATMUL, Candidate.MATMUL_PACKED, Candidate.MATMUL_TRANSPOSED,
                Candidate.GEMM, Candidate.GEMM_TRANSPOSED};
        for (Layout layout : Layout.values()) {
            for (Candidate c : candidates) {
                try (Plan p = new OneDnnPlan(NativeRuntime.get(), spec, src, PlanOptions.DEFAULT.withUserLayout(layout), c)) {
                    runAll(p, layout);
                }
            }
        }
        long baseline = Pointer.totalCount();
        int cycles = 0;
        for (int i = 0; i < 40; i++) {
            Layout layout = Layout.values()[i % 2];
            PlanOptions options = PlanOptions.DEFAULT.withUserLayout(layout);
            Plan p = i % 8 == 7
                    ? Engines.onednn().prepare(spec, src, options.withLayout(LayoutPolicy.AUTO))
                    : new OneDnnPlan(NativeRuntime.get(), spec, src, options, candidates[(i / 2) % candidates.length]);
            runAll(p, layout);
            if (i == 0) {
                long before = Pointer.totalCount();
                for (int k = 0; k < 200; k++) {
                    runAll(p, layout);
                }
                assertEquals(before, Pointer.totalCount(), "native objects allocated per call");
            }
            p.close();
            LayoutChoice.clear();   // AUTO times its candidates again next time
            cycles++;
        }
        assertEquals(40, cycles);
        assertEquals(baseline, Pointer.totalCount(), "native objects leaked by prepare/close");
    }

    private static final Candidate[] GATHERED = {Candidate.MATMUL, Candidate.MATMUL_TRANSPOSED, Candidate.GEMM,
            Candidate.GEMM_TRANSPOSED};

    /** Strided channels-last backward-weights, gathered into a buffer of the pass, forced and under AUTO. */
    @Test void gatheredMatmulPlans_prepareAndClose_pointerCountBackToBaseline() {
        prepareCloseCycles(ConvSpec.conv2d(4, 6, 1).stride(2).build(), Shape.of(2, 4, 6, 4), GATHERED);
    }

    /**
     * Backward-weights of a 3×3 layer on the source's columns (the zero-bordered copy and the
     * columns, read and written through views), forced and under AUTO.
     */
    @Test void columnPlans_prepareAndClose_pointerCountBackToBaseline() {
        prepareCloseCycles(ConvSpec.conv2d(4, 6, 3).stride(2).padding(1).build(), Shape.of(2, 4, 7, 6),
                new Candidate[] {Candidate.GEMM_IM2COL});
    }

    /** Strided backward-weights in thread parts, each gathering its own channels; forced and under AUTO. */
    @Test void threadPartsPlans_prepareAndClose_pointerCountBackToBaseline() {
        assumeTrue(OpenMpThreads.available() && OpenMpThreads.processThreads() >= 2);
        prepareCloseCycles(ConvSpec.conv2d(64, 48, 1).stride(2).build(), Shape.of(2, 64, 6, 4),
                new Candidate[] {Candidate.GEMM_PARTS});
    }

    /**
     * Twelve plans of {@code spec} on channels-last {@code src}, forced onto {@code forced} in
     * turn and every fourth under AUTO: a call allocates no native object, and prepare/close
     * leaves none behind.
     */
    private static void prepareCloseCycles(ConvSpec spec, Shape src, Candidate[] forced) {
        PlanOptions options = PlanOptions.DEFAULT.withUserLayout(Layout.CHANNELS_LAST);
        try (Plan p = new OneDnnPlan(NativeRuntime.get(), spec, src, options, forced[0])) {
            runAll(p, Layout.CHANNELS_LAST);
        }
        long baseline = Pointer.totalCount();
        int cycles = 0;
        for (int i = 0; i < 12; i++) {
            Plan p = i % 4 == 3 ? Engines.onednn().prepare(spec, src, options.withLayout(LayoutPolicy.AUTO))
                    : new OneDnnPlan(NativeRuntime.get(), spec, src, options, forced[i % forced.length]);
            runAll(p, Layout.CHANNELS_LAST);
            if (i == 0) {
                long before = Pointer.totalCount();
                for (int k = 0; k < 100; k++) {
                    runAll(p, Layout.CHANNELS_LAST);
                }
                assertEquals(before, Pointer.totalCount(), "native objects allocated per call");
            }
            p.close();
            LayoutChoice.clear();
            cycles++;
        }
        assertEquals(12, cycles);
        assertEquals(baseline, Pointer.totalCount(), "native objects leaked by prepare/close");
    }

    @Test void manyCalls_allocateNoNativeObjects() {
        ConvSpec spec = ConvSpec.conv2d(3, 8, 3).padding(1).build();
        try (Plan p = Engines.onednn().prepare(spec, Shape.of(2, 3, 8, 8))) {
            Tensor src = Tensor.allocate(p.srcShape());
            Tensor dst = Tensor.allocate(p.dstShape());
            Tensor wei = Tensor.allocate(p.weiShape());
            Tensor bia = Tensor.allocate(p.biaShape());
            Tensor heapSrc = Tensor.wrap(new float[src.size()], p.srcShape(), src.layout());
            runAll(p);
            p.forward(heapSrc, wei, bia, dst);   // creates the staging buffer once
            long before = Pointer.totalCount();
            for (int i = 0; i < 1000; i++) {
                wei.set(0, i);   // forces the weight reorder path too
                p.forward(i % 2 == 0 ? src : heapSrc, wei, bia, dst);
                p.backwardData(dst, wei, src);
                p.backwardWeights(src, dst, wei, bia);
            }
            assertEquals(before, Pointer.totalCount(), "native objects allocated per call");
        }
    }

    @Test void failedPrepare_leaksNothing() {
        long before = Pointer.totalCount();
        ConvSpec spec = ConvSpec.conv2d(3, 8, 5).build();
        assertThrows(IllegalArgumentException.class, () -> Engines.onednn().prepare(spec, Shape.of(1, 3, 3, 3)));
        assertEquals(before, Pointer.totalCount());
    }

    @Test void closeTwice_isNoOp_andUseAfterCloseNamesThePlan() {
        ConvSpec spec = ConvSpec.conv2d(3, 8, 3).padding(1).build();
        Plan p = Engines.onednn().prepare(spec, Shape.of(1, 3, 8, 8));
        Tensor src = Tensor.allocate(p.srcShape());
        Tensor dst = Tensor.allocate(p.dstShape());
        Tensor wei = Tensor.allocate(p.weiShape());
        Tensor bia = Tensor.allocate(p.biaShape());
        p.close();
        assertDoesNotThrow(p::close);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.forward(src, wei, bia, dst));
        assertTrue(e.getMessage().startsWith("Plan for mb1ic3ih8oc8"), e.getMessage());
        assertTrue(e.getMessage().contains("Conv2d(3, 8, kernel_size=[3, 3]"), e.getMessage());
        assertTrue(e.getMessage().contains(") is closed"), e.getMessage());
        assertTrue(e.getMessage().contains("conv4j.trackResources"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> p.backwardData(dst, wei, src));
        assertThrows(IllegalStateException.class, () -> p.backwardWeights(src, dst, wei, bia));
        assertThrows(IllegalStateException.class, () -> p.implementation(Direction.FWD));
    }

    @Test void inferencePlan_rejectsBackward() {
        ConvSpec spec = ConvSpec.conv2d(3, 8, 3).padding(1).build();
        try (Plan p = Engines.onednn().prepare(spec, Shape.of(1, 3, 8, 8), PlanOptions.inference())) {
            Tensor src = Tensor.allocate(p.srcShape());
            Tensor dst = Tensor.allocate(p.dstShape());
            Tensor wei = Tensor.allocate(p.weiShape());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.backwardData(dst, wei, src));
            assertTrue(e.getMessage().contains("inference only"), e.getMessage());
        }
    }
}
