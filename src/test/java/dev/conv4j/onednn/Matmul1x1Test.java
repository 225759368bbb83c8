package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.ProblemDesc;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Fill;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The 1×1 convolution as a oneDNN matmul ({@link Matmul1x1}): forced onto the matmul, it matches
 * the reference for ranks 1-3, mb 1 and 3, bias on and off, channels-last and channels-first
 * tensors, weights in place and packed, in every direction it covers; ineligible problems never
 * get it; strided channels-last backward-weights, gathered first, matches it too; AUTO on a ResNet-50 1×1 layer with channels-last tensors ends on some candidate that
 * matches the reference.
 */
class Matmul1x1Test {
    private static final long SEED = 20261125L;

    private static OneDnnPlan forced(ConvSpec spec, Shape src, Layout layout, Candidate c) {
        return new OneDnnPlan(NativeRuntime.get(), spec, src, PlanOptions.DEFAULT.withUserLayout(layout), c);
    }

    /** {@code [mb, IC, size(2), size(3)...]}: spatial dimension {@code k} (counted from 2) of {@code size(k)}. */
    private static Shape src(ConvSpec spec, int mb, java.util.function.IntUnaryOperator size) {
        int[] dims = new int[spec.rank() + 2];
        dims[0] = mb;
        dims[1] = spec.inChannels();
        for (int k = 2; k < dims.length; k++) {
            dims[k] = size.applyAsInt(k);
        }
        return Shape.of(dims);
    }

    /**
     * Parity of {@code dir} on both fills: a failure, or no trusted pass at all (a MISTRUSTED
     * fill alone proves nothing), goes to {@code failures} under {@code what}. Returns the
     * number of results.
     */
    private static int checkTrusted(Plan plan, Direction dir, long seed, String what, List<String> failures) {
        Result[] results = Parity.check(plan, dir, seed);
        boolean trusted = java.util.Arrays.stream(results).anyMatch(r -> r.status() == Status.PASSED);
        for (Result r : results) {
            if (!trusted || r.status() == Status.FAILED) {
                failures.add(what + ": " + r.describe());
            }
        }
        return results.length;
    }

    private static Plan channelsFirstView(OneDnnPlan plan, Layout layout) {
        return new ConvertingPlan(plan, layout == Layout.CHANNELS_LAST ? ConvertingPlan.CHANNELS_LAST : t -> t,
                plan + " " + layout);
    }

    @Test void forcedMatmul_everyEligibleDirection_matchesReference() {
        List<ConvSpec> specs = List.of(
                ConvSpec.conv1d(5, 7, 1).build(), ConvSpec.conv1d(5, 7, 1).bias(false).build(),
                ConvSpec.conv2d(6, 10, 1).build(), ConvSpec.conv2d(6, 10, 1).bias(false).build(),
                ConvSpec.conv3d(4, 6, 1).bias(false).build(), ConvSpec.conv3d(4, 6, 1).build());
        List<String> failures = new ArrayList<>();
        int checks = 0;
        int matmulDirections = 0;
        java.util.Set<String> packedReorders = new java.util.TreeSet<>();
        for (ConvSpec spec : specs) {
            for (int mb : new int[] {1, 3}) {
                Shape src = src(spec, mb, k -> 3 + k);
                for (Layout layout : Layout.values()) {
                    for (Candidate c : new Candidate[] {Candidate.MATMUL, Candidate.MATMUL_PACKED}) {
                        try (OneDnnPlan plan = forced(spec, src, layout, c)) {
                            if (Matmul1x1.eligible(spec, src, layout, Direction.BWD_W)) {
                                assertEquals(0, plan.convertedInputs(), "no activation is reordered");
                            }
                            Plan view = channelsFirstView(plan, layout);
                            for (Direction dir : Direction.values()) {
                                boolean eligible = Matmul1x1.eligible(spec, src, layout, dir);
                                assertEquals(eligible, plan.candidate(dir).matmul(), plan + " " + dir.label());
                                if (!eligible) {
                                    continue;
                                }
                                matmulDirections++;
                                if (plan.pass(dir).reordersWeights()) {
                                    assertEquals(Candidate.MATMUL_PACKED, c, "the plain matmul reads the weights in place");
                                    packedReorders.add(layout + " " + dir.label());
                                }
                                assertTrue(plan.implementation(dir).contains("(1x1 as matmul"), plan.implementation(dir));
                                for (Result r : Parity.check(view, dir, SEED + checks)) {
                                    checks++;
                                    if (r.status() != Status.PASSED) {
                                        failures.add(plan + " " + layout + " " + c + ": " + r.describe());
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        // 6 specs x 2 mb x 2 layouts x 2 candidates x 3 directions, less channels-first bwd_w at mb 3
        assertEquals(6 * 2 * 2 * 2 * 3 - 6 * 2, matmulDirections);
        assertEquals(2 * matmulDirections, checks);
        // Packed weights are a candidate of their own only because oneDNN does pack some (here, avx2:
        // channels-last fwd and bwd_d).
        assertFalse(packedReorders.isEmpty(), "MATMUL_PACKED never packed the weights");
    }

    /**
     * A 1×1 layer on a 1×1 image (a classifier head, MobileNet's last layer): single rows and
     * columns, whose strides BLAS never takes but still checks. Every candidate, both tensor
     * layouts, mb 1 and 2, against the reference. Channels-first tensors of one pixel are the
     * same memory as channels-last ones, so every direction is a product of rows, backward-weights
     * at mb 2 included (a channels-first image of more pixels has none there).
     */
    @Test void onePixelImages_everyCandidate_matchReference() {
        ConvSpec spec = ConvSpec.conv2d(16, 5, 1).build();
        List<String> failures = new ArrayList<>();
        int plans = 0;
        for (int mb : new int[] {1, 2}) {
            Shape src = Shape.of(mb, 16, 1, 1);
            for (Layout layout : Layout.values()) {
                for (Candidate c : Candidate.values()) {
                    // GEMM_PADDED applies to 1024 input channels or more: its own test below;
                    // GEMM_IM2COL to kernels larger than 1x1 (Im2colTest); GEMM_PARTS to 32 channels
                    // or more on two threads (ThreadPartsTest).
                    if (!c.matmul() || c == Candidate.GEMM_PADDED || c == Candidate.GEMM_IM2COL || c == Candidate.GEMM_PARTS
                            || !PassBuilder.anyMatmul(spec, src, layout)) {
                        continue;
                    }
                    try (OneDnnPlan plan = forced(spec, src, layout, c)) {
                        plans++;
                        for (Direction dir : Direction.values()) {
                            assertTrue(plan.candidate(dir).matmul(), plan + " " + layout + " " + c + " " + dir.label());
                            checkTrusted(channelsFirstView(plan, layout), dir, SEED + plans,
                                    plan + " " + layout + " " + c + " " + plan.implementation(dir), failures);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(2 * 2 * 5, plans);
    }

    /**
     * Backward-weights of a strided 1×1 layer (channels-last): the source gathered into a dense
     * buffer, then the product in either orientation, on the matmul primitive or on sgemm;
     * ranks 1-3, mb 1 and 3, bias on and off, strides 2 and 3 (2x3 mixed at rank 2), 1024 input
     * channels (a gathered buffer with padded rows, {@link PaddedRows#paddedRow}). At stride
     * 1, the transposed orientation and both sgemm ones in both tensor layouts (the plain matmul
     * is covered above).
     */
    @Test void forcedBackwardWeights_gatheredTransposedAndSgemm_matchReference() {
        List<ConvSpec> specs = List.of(
                ConvSpec.conv1d(5, 7, 1).stride(2).build(), ConvSpec.conv1d(5, 7, 1).stride(3).bias(false).build(),
                ConvSpec.conv2d(6, 10, 1).stride(2).bias(false).build(), ConvSpec.conv2d(6, 10, 1).stride(3).build(),
                ConvSpec.conv2d(6, 10, 1).stride(2, 3).build(),
                ConvSpec.conv3d(4, 6, 1).stride(2).build(), ConvSpec.conv3d(4, 6, 1).stride(3).bias(false).build(),
                ConvSpec.conv1d(5, 7, 1).build(), ConvSpec.conv2d(6, 10, 1).bias(false).build(),
                ConvSpec.conv3d(4, 6, 1).build(),
                ConvSpec.conv2d(1024, 8, 1).stride(2).build());   // gathered into rows padded by PaddedRows
        List<String> failures = new ArrayList<>();
        int checks = 0;
        int plans = 0;
        for (ConvSpec spec : specs) {
            boolean strided = spec.stride(0) != 1 || spec.stride(spec.rank() - 1) != 1;
            for (int mb : new int[] {1, 3}) {
                Shape src = src(spec, mb, k -> 6);   // strides 2 and 3 skip its last row(s)
                for (Layout layout : Layout.values()) {
                    boolean eligible = Matmul1x1.eligible(spec, src, layout, Direction.BWD_W);
                    assertEquals(layout == Layout.CHANNELS_LAST || !strided && mb == 1, eligible, spec + " " + layout);
                    assertEquals(!strided || layout == Layout.CHANNELS_LAST, Matmul1x1.eligible(spec, src, layout, Direction.FWD),
                            spec + " " + layout + " fwd");
                    assertEquals(!strided, Matmul1x1.eligible(spec, src, layout, Direction.BWD_D), spec + " " + layout + " bwd_d");
                    if (!eligible) {
                        continue;
                    }
                    Candidate[] candidates = strided
                            ? new Candidate[] {Candidate.MATMUL, Candidate.MATMUL_TRANSPOSED, Candidate.GEMM, Candidate.GEMM_TRANSPOSED}
                            : new Candidate[] {Candidate.MATMUL_TRANSPOSED, Candidate.GEMM, Candidate.GEMM_TRANSPOSED};
                    for (Candidate c : candidates) {
                        try (OneDnnPlan plan = forced(spec, src, layout, c)) {
                            plans++;
                            assertEquals(c, plan.candidate(Direction.BWD_W));
                            assertTrue(plan.candidate(Direction.FWD).matmul());
                            String impl = plan.implementation(Direction.BWD_W);
                            assertFalse(impl.startsWith("ref"), impl);
                            String stride = spec.stride(0) == spec.stride(spec.rank() - 1) ? "" + spec.stride(0) : "2x3";
                            boolean gemm = c == Candidate.GEMM || c == Candidate.GEMM_TRANSPOSED;
                            boolean transposed = c == Candidate.MATMUL_TRANSPOSED || c == Candidate.GEMM_TRANSPOSED;
                            String expect = (gemm ? "(1x1 as sgemm" : "(1x1 as matmul")
                                    + (strided ? ", gathered stride " + stride : "")
                                    + (transposed ? ", diff_wei transposed)" : ")");
                            assertTrue(impl.endsWith(expect), impl);
                            // A stride-3 layer of 6 positions has 2 output pixels: its integer fill can sum to
                            // mostly zeros (MISTRUSTED: equal, but too sparse to prove anything). Every plan
                            // still needs one trusted pass and no failure.
                            checks += checkTrusted(channelsFirstView(plan, layout), Direction.BWD_W, SEED + checks,
                                    plan + " " + layout + " " + c + " " + impl, failures);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        // 8 strided specs x 2 mb x 4 candidates (channels-last), 3 stride-1 specs x 3 plan kinds (mb 1 both
        // layouts, mb 3 channels-last) x 3 candidates
        assertEquals(8 * 2 * 4 + 3 * 3 * 3, plans);
        assertEquals(2 * plans, checks);
    }

    /**
     * {@link Candidate#GEMM_PADDED}: a layer whose channels-last source (at stride 1) or
     * gradient has rows a multiple of 4 KB apart has them copied into padded rows first, and
     * matches the reference (ranks 1-3, mb 1 and 3, bias on and off, source, gradient or both,
     * a strided source gathered); other directions are the plain matmul. Where no rows need
     * padding, or the tensors are channels-first, the candidate does not apply.
     */
    @Test void forcedBackwardWeights_operandsInPaddedRows_matchReference() {
        String src = "x64:sgemm (1x1 as sgemm, source in padded rows)";
        String dy = "x64:sgemm (1x1 as sgemm, diff_dst in padded rows)";
        List<Object[]> cases = List.of(
                new Object[] {ConvSpec.conv1d(1024, 8, 1).build(), src},
                new Object[] {ConvSpec.conv2d(1024, 16, 1).bias(false).build(), src},
                new Object[] {ConvSpec.conv2d(2048, 8, 1).build(), src},
                new Object[] {ConvSpec.conv3d(1024, 4, 1).build(), src},
                new Object[] {ConvSpec.conv2d(8, 1024, 1).build(), dy},
                new Object[] {ConvSpec.conv2d(8, 2048, 1).bias(false).build(), dy},
                new Object[] {ConvSpec.conv2d(1024, 1024, 1).build(),
                        "x64:sgemm (1x1 as sgemm, source in padded rows, diff_dst in padded rows)"},
                new Object[] {ConvSpec.conv2d(8, 1024, 1).stride(2).build(),
                        "x64:sgemm (1x1 as sgemm, gathered stride 2, diff_dst in padded rows)"});
        List<String> failures = new ArrayList<>();
        int plans = 0;
        for (Object[] c : cases) {
            ConvSpec spec = (ConvSpec) c[0];
            for (int mb : new int[] {1, 3}) {
                Shape shape = src(spec, mb, k -> 4);
                try (OneDnnPlan plan = forced(spec, shape, Layout.CHANNELS_LAST, Candidate.GEMM_PADDED)) {
                    assertEquals(Candidate.GEMM_PADDED, plan.candidate(Direction.BWD_W));
                    String impl = plan.implementation(Direction.BWD_W);
                    assertEquals(c[1], impl, spec.toString());
                    checkTrusted(channelsFirstView(plan, Layout.CHANNELS_LAST), Direction.BWD_W, SEED + plans,
                            spec + " mb " + mb + " " + impl, failures);
                    plans++;
                }
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(2 * cases.size(), plans);
        // Not applicable: rows 2 KB apart, a strided layer with a narrow gradient, channels-first tensors,
        // another direction.
        ConvSpec wide = ConvSpec.conv2d(1024, 8, 1).build();
        Shape s = Shape.of(1, 1024, 4, 4);
        assertTrue(Matmul1x1.applies(Candidate.GEMM_PADDED, wide, s, Layout.CHANNELS_LAST, Direction.BWD_W));
        assertFalse(Matmul1x1.applies(Candidate.GEMM_PADDED, wide, s, Layout.CHANNELS_LAST, Direction.FWD));
        assertFalse(Matmul1x1.applies(Candidate.GEMM_PADDED, wide, s, Layout.CHANNELS_FIRST, Direction.BWD_W));
        assertFalse(Matmul1x1.applies(Candidate.GEMM_PADDED, ConvSpec.conv2d(1024, 8, 1).stride(2).build(), s,
                Layout.CHANNELS_LAST, Direction.BWD_W));
        assertFalse(Matmul1x1.applies(Candidate.GEMM_PADDED, ConvSpec.conv2d(512, 8, 1).build(), Shape.of(1, 512, 4, 4),
                Layout.CHANNELS_LAST, Direction.BWD_W));
        assertTrue(Matmul1x1.applies(Candidate.GEMM, ConvSpec.conv2d(512, 8, 1).build(), Shape.of(1, 512, 4, 4),
                Layout.CHANNELS_LAST, Direction.BWD_W));
        assertTrue(Matmul1x1.applies(Candidate.GEMM_PADDED, ConvSpec.conv2d(8, 1024, 1).stride(2).build(),
                Shape.of(1, 8, 4, 4), Layout.CHANNELS_LAST, Direction.BWD_W));   // the gradient's rows
        for (Object[] c : new Object[][] {{ConvSpec.conv2d(512, 8, 1).build(), Layout.CHANNELS_LAST},
                {ConvSpec.conv2d(1024, 8, 1).stride(2).build(), Layout.CHANNELS_LAST},
                {ConvSpec.conv2d(1024, 8, 1).build(), Layout.CHANNELS_FIRST}}) {
            ConvSpec spec = (ConvSpec) c[0];
            Layout layout = (Layout) c[1];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> forced(spec, src(spec, 1, k -> 4), layout, Candidate.GEMM_PADDED).close(), spec + " " + layout);
            assertTrue(e.getMessage().startsWith("candidate: GEMM_PADDED does not apply to "), e.getMessage());
        }
    }

    /**
     * Forward of a strided 1×1 layer (channels-last): the source's rows gathered into a dense
     * buffer, then the matmul, with the weights read in place or packed; ranks 1-3, mb 1 and 3,
     * bias on and off, strides 2, 3 and 2x3, 1024 input channels (rows padded by {@link
     * PaddedRows#paddedRow}), against the reference.
     */
    @Test void forcedForward_gatheredStride_matchesReference() {
        List<ConvSpec> specs = List.of(
                ConvSpec.conv1d(5, 7, 1).stride(2).build(), ConvSpec.conv1d(5, 7, 1).stride(3).bias(false).build(),
                ConvSpec.conv2d(6, 10, 1).stride(2).bias(false).build(), ConvSpec.conv2d(6, 10, 1).stride(2, 3).build(),
                ConvSpec.conv3d(4, 6, 1).stride(2).build(),
                ConvSpec.conv2d(1024, 8, 1).stride(2).build());
        List<String> failures = new ArrayList<>();
        int checks = 0;
        int plans = 0;
        for (ConvSpec spec : specs) {
            for (int mb : new int[] {1, 3}) {
                Shape src = src(spec, mb, k -> 6);
                assertFalse(Matmul1x1.eligible(spec, src, Layout.CHANNELS_FIRST, Direction.FWD), spec + " channels-first");
                for (Candidate c : new Candidate[] {Candidate.MATMUL, Candidate.MATMUL_PACKED}) {
                    try (OneDnnPlan plan = forced(spec, src, Layout.CHANNELS_LAST, c)) {
                        plans++;
                        String impl = plan.implementation(Direction.FWD);
                        assertTrue(plan.candidate(Direction.FWD).matmul(), impl);
                        assertFalse(impl.startsWith("ref"), impl);
                        assertTrue(impl.contains(", gathered stride "), impl);
                        checks += checkTrusted(channelsFirstView(plan, Layout.CHANNELS_LAST), Direction.FWD, SEED + checks,
                                plan + " " + c + " " + impl, failures);
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(specs.size() * 2 * 2, plans);
        assertEquals(2 * plans, checks);
    }

    @Test void ineligibleProblems_neverGetTheMatmul() {
        Shape s2 = Shape.of(1, 4, 6, 6);
        List<ConvSpec> specs = List.of(
                ConvSpec.conv2d(4, 4, 3).padding(1).build(),
                ConvSpec.conv2d(4, 4, 1).stride(2).build(),
                ConvSpec.conv2d(4, 4, 1).padding(1).build(),
                ConvSpec.conv2d(4, 4, 1).groups(2).build(),
                ConvSpec.transposed(2, 4, 4, 1).build(),
                ConvSpec.conv2d(4, 4, 1).paddingMode(PaddingMode.REFLECT).build());
        int checked = 0;
        for (ConvSpec spec : specs) {
            for (Layout layout : Layout.values()) {
                // A stride is gathered for channels-last forward and backward-weights (see above): nothing else.
                boolean gathered = spec == specs.get(1) && layout == Layout.CHANNELS_LAST;
                for (Direction dir : Direction.values()) {
                    assertEquals(gathered && dir != Direction.BWD_D, Matmul1x1.eligible(spec, s2, layout, dir),
                            spec + " " + layout + " " + dir.label());
                    checked++;
                }
                if (!gathered) {
                    assertThrows(IllegalArgumentException.class, () -> forced(spec, s2, layout, Candidate.MATMUL),
                            spec.toString());
                }
            }
        }
        assertEquals(specs.size() * 2 * 3, checked);
        // Channels-first backward-weights sums over the batch: no single matmul for mb > 1.
        ConvSpec oneByOne = ConvSpec.conv2d(4, 4, 1).build();
        assertFalse(Matmul1x1.eligible(oneByOne, Shape.of(2, 4, 6, 6), Layout.CHANNELS_FIRST, Direction.BWD_W));
        // A stride that does not divide the input size has no strided view to gather through.
        assertFalse(Matmul1x1.eligible(specs.get(1), Shape.of(2, 4, 7, 6), Layout.CHANNELS_LAST, Direction.BWD_W));
        assertFalse(Matmul1x1.eligible(specs.get(1), Shape.of(2, 4, 6, 5), Layout.CHANNELS_LAST, Direction.BWD_W));
        assertTrue(Matmul1x1.eligible(oneByOne, Shape.of(2, 4, 6, 6), Layout.CHANNELS_LAST, Direction.BWD_W));
        // AUTO does not offer it either (a shape no other test uses; stride 2 does not divide 7 or 9).
        try (OneDnnPlan p = (OneDnnPlan) dev.conv4j.engine.Engines.onednn().prepare(specs.get(1), Shape.of(1, 4, 7, 9),
                PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO).withUserLayout(Layout.CHANNELS_LAST))) {
            for (Direction dir : Direction.values()) {
                assertFalse(p.candidate(dir).matmul(), dir.label() + ": " + p.implementation(dir));
            }
        }
    }

    @Test void auto_onAResNet50OneByOneLayer_channelsLast_matchesReference() {
        ProblemDesc p = ProblemDesc.parse("mb1ic256ih14oc1024oh14kh1n\"resnet_50:res4a_branch1-like\"");
        int checked = 0;
        try (OneDnnPlan plan = (OneDnnPlan) dev.conv4j.engine.Engines.onednn().prepare(p.spec(), p.src(),
                PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO).withUserLayout(Layout.CHANNELS_LAST))) {
            Plan view = channelsFirstView(plan, Layout.CHANNELS_LAST);
            for (Direction dir : Direction.values()) {
                assertNotNull(plan.candidate(dir));
                assertFalse(plan.implementation(dir).startsWith("ref"), plan.implementation(dir));
                Result r = Parity.check(view, dir, Fill.NORMALS, SEED + dir.ordinal());
                assertEquals(Status.PASSED, r.status(), plan.candidate(dir) + " " + r.describe());
                checked++;
            }
        }
        assertEquals(3, checked);
    }
}
