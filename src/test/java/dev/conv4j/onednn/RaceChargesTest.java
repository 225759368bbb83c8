package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.onednn.Pass.Role;
import dev.conv4j.tensor.Shape;
import java.nio.FloatBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

/**
 * What AUTO's race charges a backward-weights candidate: not the reorder of an input that a
 * pass built before it already converts into the same layout (in a training step that copy is
 * made by then), but every other one. And what it charges a forward candidate for its weights:
 * their reorder in every timed run when the plan's weights are updated between calls
 * (training), in none otherwise.
 */
class RaceChargesTest {
    // Channels-first tensors: under CHANNELS_LAST, forward and backward-weights both compute on
    // a channels-last copy of the source, so they share it, whatever kernels the CPU's ISA has.
    // (Under ANY, oneDNN picks a blocked layout for 16 channels on AVX2 and wider, but may compute
    // on the tensors as they are on a narrower ISA.)
    private static final ConvSpec SPEC = ConvSpec.conv2d(16, 16, 3).padding(1).bias(false).build();
    private static final Shape SRC = Shape.of(2, 16, 10, 10);

    /** What {@code body} finds out about the passes of this layer under {@code options}. */
    private interface Probe {
        long[] run(PassBuilder passes, ConvertedInputs converted, engine eng, stream s);
    }

    private static long[] probe(PlanOptions options, Probe body) {
        engine eng = NativeRuntime.get().engine();
        DnnlMapping m = DnnlMapping.of(SPEC, SRC, options.userLayout());
        String problem = NativeErrors.problem(SPEC, SRC);
        try (PointerScope scope = new PointerScope(); ConvertedInputs converted = new ConvertedInputs()) {
            stream s = new stream(eng);
            return body.run(new PassBuilder(eng, SPEC, SRC, options, m, problem, s.get(), converted, null), converted, eng, s);
        }
    }

    /** Reorders backward-weights skipped in one timed run, given what the race counts as converted already. */
    private static long skippedInATimedRun(boolean forwardConvertsFirst) {
        return probe(PlanOptions.DEFAULT.withLayout(LayoutPolicy.CHANNELS_LAST), (passes, converted, eng, s) -> {
            try (Pass fwd = passes.build(Direction.FWD)) {
                Set<ConvertedInputs.Copy> earlier = forwardConvertsFirst ? converted.snapshot() : Set.of();
                try (Pass bwdW = passes.build(Direction.BWD_W)) {
                    PassBuilder.shareScratchpad(eng, fwd, bwdW);
                    bwdW.beginTiming(s.get(), new EnumMap<>(Role.class), false, earlier);
                    bwdW.timeOnce(s.get(), false);
                    return new long[] {bwdW.reordersSkipped};
                }
            }
        })[0];
    }

    /** Weight reorders inside the timed runs of a forward pass on blocked weights (ANY), and whether it has one at all. */
    private static long[] weightReordersTimed(boolean weightsUpdated, int runs) {
        return probe(PlanOptions.DEFAULT.withLayout(LayoutPolicy.ANY).withWeightsUpdated(weightsUpdated), (passes, converted, eng, s) -> {
            try (Pass fwd = passes.build(Direction.FWD)) {
                PassBuilder.shareScratchpad(eng, fwd);
                Map<Role, FloatBuffer> zeros = new EnumMap<>(Role.class);
                for (int i = 0; i < runs; i++) {
                    fwd.beginTiming(s.get(), zeros, false, Set.of());
                    fwd.timeOnce(s.get(), weightsUpdated);
                }
                return new long[] {fwd.weightReordersTimed, fwd.reordersWeights() ? 1 : 0};
            }
        });
    }

    @Test void updatedWeights_areReorderedInEveryTimedRun_fixedOnesInNone() {
        long[] updated = weightReordersTimed(true, 3);
        assertEquals(1, updated[1], "ANY keeps this layer's weights blocked: a reorder exists");
        assertEquals(3, updated[0]);
        assertEquals(0, weightReordersTimed(false, 3)[0]);
    }

    @Test void theSourceForwardConverts_isNotCharged_theGradientIs() {
        assertEquals(1, skippedInATimedRun(true), "the source's reorder (forward's copy); the gradient's is timed");
    }

    @Test void withNoEarlierPass_everyReorderIsCharged() {
        assertEquals(0, skippedInATimedRun(false));
    }
}
