package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.conv4j.ConvSpec;
import dev.conv4j.engine.Engines;
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
    // 16 channels under ANY: oneDNN computes in a blocked layout, so every activation is reordered.
    private static final ConvSpec SPEC = ConvSpec.conv2d(16, 16, 3).padding(1).bias(false).build();
    private static final Shape SRC = Shape.of(2, 16, 10, 10);

    private static Tensor random(Shape s, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor t = Tensor.allocate(s);
        for (int i = 0; i < t.size(); i++) {
            t.buffer().put(i, (float) (rnd.nextDouble() * 2 - 1));
        }
        t.markModified();
        return t;
    }

    private static OneDnnPlan plan() {
        return (OneDnnPlan) Engines.onednn().prepare(SPEC, SRC, PlanOptions.DEFAULT);
    }

    /** Backward-weights on a plan that has seen nothing before: no copy can be current. */
    private static float[] freshDiffWei(Tensor x, Tensor dy) {
        try (Plan q = Engines.onednn().prepare(SPEC, SRC, PlanOptions.DEFAULT)) {
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

    @Test void trainingStep_backwardWeightsReusesBothReorderedInputs() {
        Tensor x = random(SRC, 1);
        Tensor w = random(dev.conv4j.ConvShapes.wei(SPEC), 2);
        try (OneDnnPlan p = plan()) {
            Tensor dy = random(p.dstShape(), 3);
            assertEquals(2, p.convertedInputs(), "one source copy and one gradient copy, shared by the passes");
            p.forward(x, w, null, Tensor.allocate(p.dstShape()));
            p.backwardData(dy, w, Tensor.allocate(SRC));
            assertEquals(0, p.reordersSkipped());
            float[] dw = diffWei(p, x, dy);
            assertEquals(2, p.reordersSkipped(), "source from forward, gradient from backward-data");
            assertArrayEquals(freshDiffWei(x, dy), dw);
        }
    }

    @Test void aChangedVersionOrAnotherTensor_isReorderedAgain() {
        Tensor x = random(SRC, 4);
        Tensor w = random(dev.conv4j.ConvShapes.wei(SPEC), 5);
        try (OneDnnPlan p = plan()) {
            Tensor dy = random(p.dstShape(), 6);
            p.forward(x, w, null, Tensor.allocate(p.dstShape()));
            p.backwardData(dy, w, Tensor.allocate(SRC));

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
        Tensor x = random(SRC, 7);
        Tensor w = random(dev.conv4j.ConvShapes.wei(SPEC), 8);
        try (OneDnnPlan p = plan()) {
            Tensor dy = random(p.dstShape(), 9);
            p.forward(x, w, null, Tensor.allocate(p.dstShape()));
            x.buffer().put(0, 100f);   // no markModified()
            float[] stale = diffWei(p, x, dy);
            assertFalse(Arrays.equals(freshDiffWei(x, dy), stale));
        }
    }
}
