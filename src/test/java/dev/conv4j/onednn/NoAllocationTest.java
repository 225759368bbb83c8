package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.lang.management.ManagementFactory;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A prepared plan allocates nothing on the Java heap per call: the bytes this thread
 * allocates over 1000 calls of each direction (measured by the JVM's per-thread counter)
 * stay below one byte per call. Direct tensors, heap tensors (staging) and channels-last
 * tensors, with weights that change every call (the reorder path) and weights that do not;
 * every non-zero padding mode (pre-padding and folding) and a cropped deconvolution.
 */
class NoAllocationTest {
    private static final int CALLS = 300;

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /**
     * Bytes allocated by {@code CALLS} calls, less what measuring an empty call allocates; the
     * least of three rounds, so that one-time JVM work (compilation, class loading) is not counted.
     */
    private static long measure(Runnable call) {
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            least = Math.min(least, Math.max(0, measureRaw(call) - measureRaw(() -> { })));
        }
        return least;
    }

    private static long measureRaw(Runnable call) {
        for (int i = 0; i < 50; i++) {   // first calls: class loading, lazy staging buffers
            call.run();
        }
        long before = allocated();
        for (int i = 0; i < CALLS; i++) {
            call.run();
        }
        return allocated() - before;
    }

    private static void check(ConvSpec spec, Shape shape, PlanOptions options, boolean heap) {
        check(spec, shape, options, heap, Layout.CHANNELS_FIRST);
    }

    /** {@code weiLayout}: of the weight tensors (a channels-last one is copied to channels-first). */
    private static void check(ConvSpec spec, Shape shape, PlanOptions options, boolean heap, Layout weiLayout) {
        check(Engines.onednn().prepare(spec, shape, options), options, heap, weiLayout);
    }

    private static void check(Plan plan, PlanOptions options, boolean heap, Layout weiLayout) {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean);
        Layout l = options.userLayout();
        ConvSpec spec = plan.spec();
        try (Plan p = plan) {
            Tensor src = heap ? Tensor.wrap(new float[(int) p.srcShape().elementCount()], p.srcShape(), l)
                    : Tensor.allocate(p.srcShape(), l);
            Tensor dst = Tensor.allocate(p.dstShape(), l);
            Tensor wei = Tensor.allocate(p.weiShape(), weiLayout);
            Tensor bia = p.biaShape() == null ? null : Tensor.allocate(p.biaShape());
            Tensor diffWei = Tensor.allocate(p.weiShape(), weiLayout);
            long fwd = measure(() -> p.forward(src, wei, bia, dst));
            long fwdNewWeights = measure(() -> {
                wei.set(1, wei.get(1) + 1);   // a new version: the weights are reordered again
                p.forward(src, wei, bia, dst);
            });
            long bwdData = measure(() -> p.backwardData(dst, wei, src));
            long bwdWeights = measure(() -> p.backwardWeights(src, dst, diffWei, bia));
            String report = String.format("%s %s %s heap=%s: fwd %d B, fwd+reorder %d B, bwd_d %d B, bwd_w %d B per %d calls",
                    spec, options.layout(), l, heap, fwd, fwdNewWeights, bwdData, bwdWeights, CALLS);
            assertTrue(fwd < CALLS && fwdNewWeights < CALLS && bwdData < CALLS && bwdWeights < CALLS, report);
        }
    }

    @Test void directTensors_noHeapAllocationPerCall() {
        check(ConvSpec.conv2d(4, 8, 3).padding(1).build(), Shape.of(1, 4, 6, 6), PlanOptions.DEFAULT, false);
    }

    @Test void passesOnOneThread_noHeapAllocationPerCall() {
        // Setting and restoring OpenMP's count around each call (JNA) allocates nothing either.
        ConvSpec spec = ConvSpec.conv2d(4, 8, 3).padding(1).build();
        Shape src = Shape.of(1, 4, 6, 7);   // a shape no other test uses
        PlanOptions options = PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO);
        for (Direction d : Direction.values()) {
            LayoutChoice.remember(new LayoutChoice.Key(spec, src, d, options.userLayout(), true, false),
                    new LayoutChoice.Choice(Candidate.ANY, 0, 1));
        }
        Plan plan = Engines.onednn().prepare(spec, src, options);
        assertEquals(1, plan.threads(Direction.FWD));
        check(plan, options, false, Layout.CHANNELS_FIRST);
    }

    @Test void passesInSlices_noHeapAllocationPerCall() {
        // Moving the views a slice at a time, heap tensors copied in and out a slice at a time.
        ConvSpec spec = ConvSpec.conv2d(4, 8, 3).padding(1).build();
        Shape src = Shape.of(4, 4, 6, 5);   // a shape no other test uses
        for (boolean heap : new boolean[] {false, true}) {
            PlanOptions options = PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO);
            for (Direction d : Direction.values()) {
                LayoutChoice.remember(new LayoutChoice.Key(spec, src, d, options.userLayout(), true, false),
                        new LayoutChoice.Choice(Candidate.ANY, 0, 0, 2));
            }
            Plan plan = Engines.onednn().prepare(spec, src, options);
            assertTrue(plan.implementation(Direction.BWD_W).endsWith("(in slices of 2 images)"), plan.implementation(Direction.BWD_W));
            check(plan, options, heap, Layout.CHANNELS_FIRST);
        }
    }

    @Test void heapTensors_throughStaging_noHeapAllocationPerCall() {
        check(ConvSpec.conv2d(4, 8, 3).padding(1).groups(2).build(), Shape.of(1, 4, 6, 6),
                PlanOptions.DEFAULT.withLayout(LayoutPolicy.CHANNELS_LAST), true);
    }

    @Test void transposedChannelsLast_noHeapAllocationPerCall() {
        check(ConvSpec.transposed(2, 4, 3, 3).stride(2).padding(1).build(), Shape.of(1, 4, 4, 4),
                PlanOptions.DEFAULT.withUserLayout(Layout.CHANNELS_LAST), false);
    }

    static Stream<Arguments> paddingModes() {
        return Stream.of(PaddingMode.REFLECT, PaddingMode.REPLICATE, PaddingMode.CIRCULAR)
                .flatMap(mode -> Stream.of(Layout.CHANNELS_FIRST, Layout.CHANNELS_LAST).map(l -> Arguments.of(mode, l)));
    }

    /** Pre-padding the source (fwd, bwd_w) and folding the border gradient back (bwd_d). */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("paddingModes")
    void paddingMode_noHeapAllocationPerCall(PaddingMode mode, Layout layout) {
        ConvSpec spec = ConvSpec.conv2d(4, 8, 3).padding(1, 2).paddingMode(mode).build();
        Shape shape = Shape.of(2, 4, 6, 5);
        assertTrue(DnnlMapping.of(spec, shape, layout).prePadded());
        check(spec, shape, PlanOptions.DEFAULT.withUserLayout(layout), false, layout);
    }

    /** Output padding beyond the stride: the plan fills (fwd) and sums (bwd_w bias) the columns oneDNN leaves. */
    @ParameterizedTest
    @MethodSource("layouts")
    void croppedDeconvolution_noHeapAllocationPerCall(Layout layout) {
        ConvSpec spec = ConvSpec.transposed(2, 4, 6, 3).dilation(2).outputPadding(1).build();
        Shape shape = Shape.of(2, 4, 5, 4);
        assertTrue(DnnlMapping.of(spec, shape, layout).cropped());
        check(spec, shape, PlanOptions.DEFAULT.withUserLayout(layout), false, layout);
    }

    /**
     * A 1×1 layer on the matmul candidate: the weights in place or packed (reordered per
     * version), backward-weights with its bias matmul (or both on sgemm), heap tensors through
     * staging.
     */
    @ParameterizedTest(name = "{0} {1} heap={2}")
    @CsvSource({"CHANNELS_LAST, MATMUL, false", "CHANNELS_LAST, MATMUL_PACKED, true",
            "CHANNELS_FIRST, MATMUL, true", "CHANNELS_FIRST, MATMUL_PACKED, false",
            "CHANNELS_LAST, MATMUL_TRANSPOSED, false", "CHANNELS_FIRST, MATMUL_TRANSPOSED, true",
            "CHANNELS_LAST, GEMM, true", "CHANNELS_FIRST, GEMM, false", "CHANNELS_LAST, GEMM_TRANSPOSED, false"})
    void matmulOneByOne_noHeapAllocationPerCall(Layout layout, Candidate candidate, boolean heap) {
        ConvSpec spec = ConvSpec.conv2d(8, 16, 1).build();
        Shape shape = Shape.of(1, 8, 5, 6);   // mb 1: channels-first backward-weights is a matmul too
        PlanOptions options = PlanOptions.DEFAULT.withUserLayout(layout);
        OneDnnPlan plan = new OneDnnPlan(NativeRuntime.get(), spec, shape, options, candidate);
        for (Direction dir : Direction.values()) {
            assertTrue(plan.candidate(dir).matmul(), dir.label());
        }
        check(plan, options, heap, layout);
    }

    /**
     * Strided channels-last backward-weights: the gather reorder, the matmul (transposed: and
     * the reorder of its result into diff_wei), the bias matmul.
     */
    @ParameterizedTest(name = "{0} heap={1}")
    @CsvSource({"MATMUL, false", "MATMUL_TRANSPOSED, true", "GEMM, true", "GEMM_TRANSPOSED, false"})
    void gatheredStridedOneByOne_noHeapAllocationPerCall(Candidate candidate, boolean heap) {
        ConvSpec spec = ConvSpec.conv2d(8, 16, 1).stride(2).build();
        Shape shape = Shape.of(2, 8, 8, 6);
        PlanOptions options = PlanOptions.DEFAULT.withUserLayout(Layout.CHANNELS_LAST);
        OneDnnPlan plan = new OneDnnPlan(NativeRuntime.get(), spec, shape, options, candidate);
        assertTrue(plan.candidate(Direction.BWD_W).matmul());
        assertTrue(plan.implementation(Direction.BWD_W).contains("gathered stride 2"), plan.implementation(Direction.BWD_W));
        check(plan, options, heap, Layout.CHANNELS_LAST);
    }

    /** Stride-1 backward-weights with the source first copied into padded rows ({@link Candidate#GEMM_PADDED}). */
    @ParameterizedTest(name = "heap={0}")
    @ValueSource(booleans = {false, true})
    void paddedSourceOneByOne_noHeapAllocationPerCall(boolean heap) {
        ConvSpec spec = ConvSpec.conv2d(1024, 8, 1).build();
        Shape shape = Shape.of(1, 1024, 3, 2);
        PlanOptions options = PlanOptions.DEFAULT.withUserLayout(Layout.CHANNELS_LAST);
        OneDnnPlan plan = new OneDnnPlan(NativeRuntime.get(), spec, shape, options, Candidate.GEMM_PADDED);
        assertTrue(plan.implementation(Direction.BWD_W).contains("source in padded rows"), plan.implementation(Direction.BWD_W));
        check(plan, options, heap, Layout.CHANNELS_LAST);
    }

    /**
     * Backward-weights of a 3×3 layer on the source's columns ({@link Candidate#GEMM_IM2COL}):
     * the border copy, one window copy per tap, the product and the bias product.
     */
    @ParameterizedTest(name = "{0} heap={1}")
    @CsvSource({"CHANNELS_LAST, false", "CHANNELS_LAST, true", "CHANNELS_FIRST, false"})
    void columnsOfALargerKernel_noHeapAllocationPerCall(Layout layout, boolean heap) {
        ConvSpec spec = ConvSpec.conv2d(8, 16, 3).stride(2).padding(1).build();
        Shape shape = Shape.of(1, 8, 9, 7);
        PlanOptions options = PlanOptions.DEFAULT.withUserLayout(layout);
        OneDnnPlan plan = new OneDnnPlan(NativeRuntime.get(), spec, shape, options, Candidate.GEMM_IM2COL);
        assertEquals(Candidate.GEMM_IM2COL, plan.candidate(Direction.BWD_W));
        check(plan, options, heap, layout);
    }

    /**
     * Backward-weights in thread parts ({@link Candidate#GEMM_PARTS}): split by input channels,
     * by output channels with the gradient copied, and with a gathered source. Neither the
     * calling thread nor OpenMP's other threads, which run Java code of their part, allocate.
     */
    @ParameterizedTest(name = "{0} stride {1} heap={2}")
    @CsvSource({"64, 48, 1, false", "24, 1024, 1, true", "64, 48, 2, false"})
    void threadParts_noHeapAllocationPerCall(int ic, int oc, int stride, boolean heap) {
        assumeTrue(OpenMpThreads.available() && OpenMpThreads.processThreads() >= 2);
        ConvSpec spec = ConvSpec.conv2d(ic, oc, 1).stride(stride).build();
        Shape shape = Shape.of(1, ic, 4, 6);
        PlanOptions options = PlanOptions.DEFAULT.withUserLayout(Layout.CHANNELS_LAST);
        OneDnnPlan plan = new OneDnnPlan(NativeRuntime.get(), spec, shape, options, Candidate.GEMM_PARTS);
        assertTrue(plan.implementation(Direction.BWD_W).contains("thread parts"), plan.implementation(Direction.BWD_W));
        long workers = workerBytes();
        check(plan, options, heap, Layout.CHANNELS_LAST);
        // check() ran 4 × 3 × (50 + 300) calls of each direction, each backward-weights call a region.
        long perCall = (workerBytes() - workers) / (3 * (50 + CALLS));
        assertTrue(perCall < 1, "OpenMP's other threads allocated " + (workerBytes() - workers) + " B");
    }

    /** Bytes allocated so far by the threads that run parts for OpenMP ({@link OpenMpThreads#attachAsDaemons}). */
    private static long workerBytes() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long bytes = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("conv4j-openmp-worker")) {
                bytes += Math.max(0, mx.getThreadAllocatedBytes(t.getId()));
            }
        }
        return bytes;
    }

    static Stream<Layout> layouts() {
        return Stream.of(Layout.CHANNELS_FIRST, Layout.CHANNELS_LAST);
    }
}
