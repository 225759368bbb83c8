package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.conv4j.ConvSpec;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Reordered source and destination-gradient copies shared between a plan's passes: the
 * second reader of an unchanged tensor skips its reorder and gets the same answer, and any
 * change of tensor or version makes it reorder again.
 */
class ConvertedInputsTest {
    // Channels-first tensors under CHANNELS_LAST: every activation is reordered, whatever kernels
    // the CPU's ISA has (under ANY a narrow ISA may compute on the tensors as they are).
    private static final ConvSpec SPEC = ConvSpec.conv2d(16, 16, 3).padding(1).bias(false).build();
    private static final Shape SRC = Shape.of(2, 16, 10, 10);
    private static final PlanOptions OPTIONS = PlanOptions.DEFAULT.withLayout(LayoutPolicy.CHANNELS_LAST);

    private static Tensor random(Shape s, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor t = Tensor.allocate(s);
        for (int i = 0; i < t.size(); i++) {
            t.buffer().put(i, (float) (rnd.nextDouble() * 2 - 1));
        }
        t.markModified();
        return t;
    }

    private static OneDnnPlan newPlan() {
        return (OneDnnPlan) Engines.onednn().prepare(SPEC, SRC, OPTIONS);
    }

    /** Backward-weights on a plan that has seen nothing before: no copy can be current. */
    private static float[] freshDiffWei(Tensor x, Tensor dy) {
        try (Plan q = Engines.onednn().prepare(SPEC, SRC, OPTIONS)) {
            Tensor dw = Tensor.allocate(q.weiShape());
            q.backwardWeights(x, dy, dw, null);
            return dw.toArray();
        }
    }

    private static float[] diffWei(Plan p, Tensor x, Tensor dy) {
        Tensor dw = Tensor.allocate(p.weiShape());
        p.backwardWeights(x, dy, dw, null);
        return dw.toArray();
    }

    /** A plan after the forward (and backward-data) of one training step, with its tensors. */
    private record Step(OneDnnPlan plan, Tensor x, Tensor dy) implements AutoCloseable {
        static Step run(long seed, boolean backwardData) {
            OneDnnPlan p = newPlan();
            Tensor x = random(SRC, seed);
            Tensor w = random(dev.conv4j.ConvShapes.wei(SPEC), seed + 1);
            Tensor dy = random(p.dstShape(), seed + 2);
            p.forward(x, w, null, Tensor.allocate(p.dstShape()));
            if (backwardData) {
                p.backwardData(dy, w, Tensor.allocate(SRC));
            }
            return new Step(p, x, dy);
        }

        @Override public void close() {
            plan.close();
        }
    }

    @Test void trainingStep_backwardWeightsReusesBothReorderedInputs() {
        try (Step s = Step.run(1, true)) {
            assertEquals(2, s.plan.convertedInputs(), "one source copy and one gradient copy, shared by the passes");
            assertEquals(0, s.plan.reordersSkipped());
            float[] dw = diffWei(s.plan, s.x, s.dy);
            assertEquals(2, s.plan.reordersSkipped(), "source from forward, gradient from backward-data");
            assertArrayEquals(freshDiffWei(s.x, s.dy), dw);
        }
    }

    @Test void aChangedVersionOrAnotherTensor_isReorderedAgain() {
        try (Step s = Step.run(4, true)) {
            OneDnnPlan p = s.plan;
            Tensor x = s.x;
            Tensor dy = s.dy;
            x.set(0, 7f);   // a write through the tensor bumps its version
            assertArrayEquals(freshDiffWei(x, dy), diffWei(p, x, dy));
            assertEquals(1, p.reordersSkipped(), "only the gradient was current");

            x.buffer().put(1, -3f);
            x.markModified();
            assertArrayEquals(freshDiffWei(x, dy), diffWei(p, x, dy));
            assertEquals(2, p.reordersSkipped());

            Tensor sameValues = x.copy();
            assertArrayEquals(freshDiffWei(x, dy), diffWei(p, sameValues, dy));
            assertEquals(3, p.reordersSkipped(), "a different tensor object is reordered");

            Tensor heap = Tensor.wrap(x.toArray(), x.shape(), x.layout());
            assertArrayEquals(freshDiffWei(x, dy), diffWei(p, heap, dy));
            assertArrayEquals(freshDiffWei(x, dy), diffWei(p, heap, dy));
            assertEquals(6, p.reordersSkipped(), "the heap tensor's second call skips its copy-in and reorder");
        }
    }

    @Test void aWriteWithoutMarkModified_isNotSeen_whichIsWhyTheContractAsksForIt() {
        // Proves the version check is what keeps results right: bypass it and the copy is stale.
        try (Step s = Step.run(7, false)) {
            s.x.buffer().put(0, 100f);   // no markModified()
            float[] stale = diffWei(s.plan, s.x, s.dy);
            assertFalse(Arrays.equals(freshDiffWei(s.x, s.dy), stale));
        }
    }
}
