package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The layout policies: fixed ones are kept, AUTO decides once per (spec, shape, direction) among
 * the fixed ones and oneDNN's implementations of each, never keeps a reference kernel, and
 * remembers.
 */
class LayoutPolicyTest {
    private static final ConvSpec SPEC = ConvSpec.conv2d(16, 16, 3).padding(1).build();
    private static final Shape WEI = ConvShapes.wei(SPEC);

    private static OneDnnPlan prepare(Shape src, LayoutPolicy policy) {
        return (OneDnnPlan) Engines.onednn().prepare(SPEC, src, PlanOptions.DEFAULT.withLayout(policy));
    }

    @Test void fixedPolicies_areUsedForEveryDirection() {
        Shape src = Shape.of(1, 16, 9, 9);
        for (LayoutPolicy policy : new LayoutPolicy[] {LayoutPolicy.ANY, LayoutPolicy.CHANNELS_LAST,
                LayoutPolicy.CHANNELS_FIRST}) {
            try (OneDnnPlan p = prepare(src, policy)) {
                for (Direction dir : Direction.values()) {
                    assertEquals(Candidate.of(policy), p.candidate(dir), dir.label());
                }
            }
        }
    }

    @Test void auto_decidesOncePerDirection_thenReusesTheDecision() {
        Shape src = Shape.of(1, 16, 11, 13);   // a shape no other test uses
        LayoutChoice.Key fwd = new LayoutChoice.Key(SPEC, src, Direction.FWD, PlanOptions.DEFAULT.userLayout(), true, false);
        assertEquals(null, LayoutChoice.lookup(fwd));
        Candidate[] first = new Candidate[3];
        try (OneDnnPlan p = prepare(src, LayoutPolicy.AUTO)) {
            for (Direction dir : Direction.values()) {
                first[dir.ordinal()] = p.candidate(dir);
            }
        }
        assertNotNull(LayoutChoice.lookup(fwd));
        for (Direction dir : Direction.values()) {
            LayoutChoice.Key key = new LayoutChoice.Key(SPEC, src, dir, PlanOptions.DEFAULT.userLayout(), true, false);
            assertEquals(first[dir.ordinal()], LayoutChoice.lookup(key).candidate(), dir.label());
        }
        try (OneDnnPlan again = prepare(src, LayoutPolicy.AUTO)) {
            for (Direction dir : Direction.values()) {
                assertEquals(first[dir.ordinal()], again.candidate(dir), "the cached decision is reused");
            }
        }
    }

    @Test void auto_neverSettlesOnAReferenceKernel() {
        // The seed's first layer: with channels-first source and destination forced, oneDNN
        // has no JIT kernel for some directions; AUTO must not time or keep such a candidate.
        ConvSpec first = ConvSpec.conv2d(3, 8, 3).padding(1).build();
        Shape src = Shape.of(1, 3, 17, 19);   // a shape no other test uses
        int checked = 0;
        try (OneDnnPlan p = (OneDnnPlan) Engines.onednn().prepare(first, src, PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO))) {
            for (Direction dir : Direction.values()) {
                assertTrue(!p.implementation(dir).startsWith("ref"), dir.label() + ": " + p.implementation(dir));
                checked++;
            }
        }
        assertEquals(3, checked);
    }

    /** Backward-weights' candidates are timed after the plan's forward and backward-data, as a training step runs them. */
    @Test void auto_timesBackwardWeightsAfterThePlansOtherPasses() {
        // Passes whose kernels need a scratchpad: the earlier passes run in the race before the
        // plan points them at its own, and the one of their own race is freed by then (run on
        // it, the bench's ResNet-50 list crashed the JVM; here a freed buffer may still be mapped).
        // Which candidate wins a race depends on the minute, so forward and backward-data are
        // decided beforehand, on a candidate whose kernel needs a scratchpad; backward-weights races.
        ConvSpec wide = ConvSpec.conv2d(64, 64, 3).padding(1).build();
        Shape wideSrc = Shape.of(2, 64, 10, 12);
        Candidate[] withScratchpad = new Candidate[2];
        for (LayoutPolicy policy : new LayoutPolicy[] {LayoutPolicy.ANY, LayoutPolicy.CHANNELS_LAST,
                LayoutPolicy.CHANNELS_FIRST}) {
            try (OneDnnPlan p = (OneDnnPlan) Engines.onednn().prepare(wide, wideSrc, PlanOptions.DEFAULT.withLayout(policy))) {
                for (Direction dir : new Direction[] {Direction.FWD, Direction.BWD_D}) {
                    if (withScratchpad[dir.ordinal()] == null && p.pass(dir).scratchpadBytes() > 0) {
                        withScratchpad[dir.ordinal()] = Candidate.of(policy);
                    }
                }
            }
        }
        assertTrue(withScratchpad[0] != null || withScratchpad[1] != null, "no candidate of " + wide + " needs a scratchpad");
        for (Direction dir : new Direction[] {Direction.FWD, Direction.BWD_D}) {
            Candidate c = withScratchpad[dir.ordinal()] != null ? withScratchpad[dir.ordinal()] : Candidate.ANY;
            LayoutChoice.Key key = new LayoutChoice.Key(wide, wideSrc, dir, PlanOptions.DEFAULT.userLayout(), true, false);
            LayoutChoice.Choice choice = new LayoutChoice.Choice(c, 0);
            LayoutChoice.remember(key, choice);
            assertEquals(choice, LayoutChoice.lookup(key), "remembered (nothing decided this key before)");
        }
        try (OneDnnPlan p = (OneDnnPlan) Engines.onednn().prepare(wide, wideSrc, PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO))) {
            assertTrue(p.pass(Direction.FWD).scratchpadBytes() > 0 || p.pass(Direction.BWD_D).scratchpadBytes() > 0,
                    p.implementation(Direction.FWD) + " / " + p.implementation(Direction.BWD_D));
            assertTrue(p.pass(Direction.FWD).preludeRuns > 0, "backward-weights raced after the passes with a scratchpad");
        }
        Shape src = Shape.of(2, 16, 6, 9);   // a shape no other test uses
        try (OneDnnPlan p = prepare(src, LayoutPolicy.AUTO)) {
            assertTrue(p.pass(Direction.FWD).preludeRuns > 0, "forward ran before backward-weights' timed runs");
            assertTrue(p.pass(Direction.BWD_D).preludeRuns > 0, "backward-data too");
            assertEquals(p.pass(Direction.FWD).preludeRuns, p.pass(Direction.BWD_D).preludeRuns);
            assertEquals(0, p.pass(Direction.BWD_W).preludeRuns);
        }
        try (OneDnnPlan p = prepare(src, LayoutPolicy.AUTO)) {
            assertEquals(0, p.pass(Direction.FWD).preludeRuns, "a decision already taken times nothing");
        }
        // After the race the plan computes with the caller's tensors, not the race's zeros.
        try (OneDnnPlan auto = prepare(Shape.of(2, 16, 6, 11), LayoutPolicy.AUTO);
             OneDnnPlan any = prepare(Shape.of(2, 16, 6, 11), LayoutPolicy.ANY)) {
            float[][] out = new float[2][];
            int k = 0;
            for (OneDnnPlan p : new OneDnnPlan[] {auto, any}) {
                Tensor in = Tensor.allocate(p.srcShape());
                for (int i = 0; i < in.size(); i++) {
                    in.buffer().put(i, (float) Math.sin(i * 0.29));
                }
                Tensor w = Tensor.allocate(WEI);
                w.fill(0.125f);
                Tensor dy = Tensor.allocate(p.dstShape());
                dy.fill(0.5f);
                Tensor y = Tensor.allocate(p.dstShape());
                Tensor dx = Tensor.allocate(p.srcShape());
                Tensor dw = Tensor.allocate(WEI);
                Tensor db = Tensor.allocate(p.biaShape());
                p.forward(in, w, db, y);
                p.backwardData(dy, w, dx);
                p.backwardWeights(in, dy, dw, db);
                out[k++] = dw.toArray();
            }
            for (int i = 0; i < out[0].length; i++) {
                assertEquals(out[1][i], out[0][i], 1e-3f * (1 + Math.abs(out[1][i])), "weight gradient " + i);
            }
        }
    }

    @Test void auto_followsARememberedDecisionWithoutTiming() {
        Shape src = Shape.of(1, 16, 7, 10);   // a shape no other test uses
        for (Direction dir : Direction.values()) {
            LayoutChoice.remember(new LayoutChoice.Key(SPEC, src, dir, PlanOptions.DEFAULT.userLayout(), true, false),
                    new LayoutChoice.Choice(switch (dir) {
                        case FWD -> Candidate.CHANNELS_LAST;
                        case BWD_D -> Candidate.CHANNELS_FIRST;
                        case BWD_W -> Candidate.ANY;
                    }, 0));
        }
        try (OneDnnPlan p = prepare(src, LayoutPolicy.AUTO)) {
            assertEquals(Candidate.CHANNELS_LAST, p.candidate(Direction.FWD));
            assertEquals(Candidate.CHANNELS_FIRST, p.candidate(Direction.BWD_D));
            assertEquals(Candidate.ANY, p.candidate(Direction.BWD_W));
        }
    }

    @Test void auto_followsARememberedLaterImplementation_andComputesTheSameAnswer() {
        // oneDNN always lists more than one implementation (JIT kernels, gemm, reference): a
        // remembered choice of its second one must run that one, not oneDNN's first choice.
        Shape src = Shape.of(1, 16, 9, 14);   // a shape no other test uses
        LayoutChoice.remember(new LayoutChoice.Key(SPEC, src, Direction.FWD, PlanOptions.DEFAULT.userLayout(), true, false),
                new LayoutChoice.Choice(Candidate.ANY, 1));
        Tensor x = Tensor.allocate(src);
        Tensor w = Tensor.allocate(WEI);
        for (int i = 0; i < x.size(); i++) {
            x.buffer().put(i, (float) Math.sin(i * 0.37));
        }
        for (int i = 0; i < w.size(); i++) {
            w.buffer().put(i, (float) Math.cos(i * 0.11));
        }
        x.markModified();
        w.markModified();
        try (OneDnnPlan first = prepare(src, LayoutPolicy.ANY); OneDnnPlan second = prepare(src, LayoutPolicy.AUTO)) {
            assertNotEquals(first.implementation(Direction.FWD), second.implementation(Direction.FWD));
            Tensor a = Tensor.allocate(first.dstShape());
            Tensor b = Tensor.allocate(second.dstShape());
            Tensor bias = Tensor.allocate(first.biaShape());
            first.forward(x, w, bias, a);
            second.forward(x, w, bias, b);
            float[] av = a.toArray();
            float[] bv = b.toArray();
            for (int i = 0; i < av.length; i++) {
                assertEquals(av[i], bv[i], 1e-4f * (1 + Math.abs(av[i])), "element " + i);
            }
        }
    }
}
