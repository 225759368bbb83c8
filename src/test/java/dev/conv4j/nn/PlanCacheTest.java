package dev.conv4j.nn;

import static dev.conv4j.nn.NnTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** One plan per input shape and mode, prepared lazily, reused, bounded, closed on eviction and close. */
class PlanCacheTest {

    @Test
    void onePlanPerShapeReusedAndBounded() {
        CountingEngine engine = new CountingEngine(Engines.reference());
        Random rng = new Random(1);
        try (Conv2d layer = Conv2d.builder(2, 3, 3).padding(1).planCacheSize(2).engine(engine).seed(1).build()) {
            assertEquals(0, engine.plans.size(), "plans are prepared lazily");
            Shape a = Shape.of(1, 2, 5, 5);
            Shape b = Shape.of(2, 2, 5, 5);
            Shape c = Shape.of(1, 2, 6, 4);
            for (int i = 0; i < 3; i++) {
                layer.forward(randn(a, rng));
            }
            assertEquals(1, engine.plans.size());
            assertEquals(3, engine.plans.get(0).forwards);
            layer.forward(randn(b, rng));
            layer.forward(randn(a, rng));          // a is now the most recently used
            assertEquals(2, engine.plans.size());
            layer.forward(randn(c, rng));          // evicts b, the least recently used
            assertEquals(3, engine.plans.size());
            assertTrue(engine.plans.get(1).closed, "the evicted plan is closed");
            assertFalse(engine.plans.get(0).closed);
            assertEquals(2, layer.cachedPlans());
            assertEquals(2, engine.open());
            assertArrayEquals(new int[] {3, 1}, layer.planStats());
        }
        assertEquals(0, engine.open(), "close() closes every plan");
    }

    @Test
    void trainingAndInferenceUseSeparatePlans() {
        CountingEngine engine = new CountingEngine(Engines.reference());
        Random rng = new Random(2);
        try (Conv1d layer = Conv1d.builder(2, 2, 3).engine(engine).seed(2).build()) {
            Tensor x = randn(Shape.of(1, 2, 8), rng);
            Tensor yTrain = layer.forward(x);
            layer.eval();
            assertFalse(layer.isTraining());
            Tensor yEval = layer.forward(x);
            assertEquals(2, engine.plans.size());
            assertTrue(engine.plans.get(0).options.training());
            assertEquals(PlanOptions.inference(), engine.plans.get(1).options);
            assertArrayEquals(yTrain.toArray(), yEval.toArray());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.backward(yEval));
            assertTrue(e.getMessage().contains("inference mode"), e.getMessage());
            layer.train();
            layer.forward(x);
            assertEquals(2, engine.plans.size(), "the training plan is reused");
        }
    }

    @Test
    void weightUpdatesAreSeenAfterMarkModified() {
        for (Engine engine : NnTesting.engines()) {
            Random rng = new Random(3);
            try (Conv2d layer = Conv2d.builder(2, 4, 3).engine(engine).seed(3).build()) {
                Tensor x = randn(Shape.of(1, 2, 6, 6), rng);
                Tensor y0 = layer.forward(x);
                // An optimizer step written straight into the buffer, then marked.
                Tensor w = layer.weight().value();
                long before = w.version();
                for (int i = 0; i < w.size(); i++) {
                    w.buffer().put(i, w.get(i) * 0.5f - 0.01f);
                }
                layer.weight().markModified();
                assertTrue(w.version() > before);
                Tensor y1 = layer.forward(x);
                try (Plan plan = engine.prepare(layer.spec(), x.shape())) {
                    Tensor ref = Tensor.allocate(plan.dstShape());
                    plan.forward(x, w, layer.bias().value(), ref);
                    assertArrayEquals(ref.toArray(), y1.toArray(), engine.name());
                }
                assertFalse(Arrays.equals(y0.toArray(), y1.toArray()));
            }
        }
    }

    @Test
    void setEngineClosesPlansAndMoves() {
        CountingEngine first = new CountingEngine(Engines.reference());
        CountingEngine second = new CountingEngine(Engines.reference());
        Random rng = new Random(4);
        try (Conv1d layer = Conv1d.builder(1, 1, 2).engine(first).seed(4).build()) {
            Tensor x = randn(Shape.of(1, 1, 4), rng);
            Tensor y = layer.forward(x);
            layer.setEngine(second);
            assertEquals(0, first.open());
            assertThrows(IllegalStateException.class, () -> layer.backward(y), "a pending backward needs a new forward");
            assertArrayEquals(y.toArray(), layer.forward(x).toArray());
            assertEquals(1, second.plans.size());
        }
    }
}
