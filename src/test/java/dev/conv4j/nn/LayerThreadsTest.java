package dev.conv4j.nn;

import static dev.conv4j.nn.NnTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The documented threading pattern: one layer per thread (same weights through
 * copyParametersFrom) gives exactly the single-threaded results; a layer handed between
 * threads works; overlapping calls on one layer fail clearly instead of corrupting data.
 */
class LayerThreadsTest {
    private static final int THREADS = 4;
    private static final int ITERATIONS = 5;

    @Test
    void oneLayerPerThreadMatchesSingleThreaded() throws Exception {
        for (Engine engine : NnTesting.engines()) {
            Shape in = Shape.of(2, 3, 8, 8);
            List<Tensor> inputs = new ArrayList<>();
            Random rng = new Random(31);
            for (int t = 0; t < THREADS * ITERATIONS; t++) {
                inputs.add(randn(in, rng));
            }
            try (Conv2d master = Conv2d.builder(3, 4, 3).padding(1).engine(engine).seed(31).build()) {
                // Single-threaded expectations.
                List<float[]> expectedY = new ArrayList<>();
                List<float[]> expectedDx = new ArrayList<>();
                for (Tensor x : inputs) {
                    Tensor y = master.forward(x);
                    expectedY.add(y.toArray());
                    expectedDx.add(master.backward(y).toArray());
                }
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                try {
                    List<Future<Integer>> results = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        int thread = t;
                        results.add(pool.submit(() -> {
                            int matched = 0;
                            try (Conv2d mine = Conv2d.builder(3, 4, 3).padding(1).engine(engine).seed(thread).build()) {
                                mine.copyParametersFrom(master);
                                for (int i = thread; i < inputs.size(); i += THREADS) {
                                    Tensor y = mine.forward(inputs.get(i));
                                    assertArrayEquals(expectedY.get(i), y.toArray());
                                    assertArrayEquals(expectedDx.get(i), mine.backward(y).toArray());
                                    matched++;
                                }
                            }
                            return matched;
                        }));
                    }
                    int total = 0;
                    for (Future<Integer> f : results) {
                        total += f.get(60, TimeUnit.SECONDS);
                    }
                    assertEquals(THREADS * ITERATIONS, total);
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    @Test
    void aLayerCanBeHandedBetweenThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Conv1d layer = Conv1d.builder(2, 2, 3).seed(5).build()) {
            Tensor x = randn(Shape.of(1, 2, 9), new Random(5));
            Tensor y = pool.submit(() -> layer.forward(x)).get(60, TimeUnit.SECONDS);
            Tensor dx = pool.submit(() -> layer.backward(y)).get(60, TimeUnit.SECONDS);
            assertEquals(x.shape(), dx.shape());
            assertTrue(NnTesting.nonZero(layer.weight().grad()) > 0);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void overlappingCallsFailClearly() throws Exception {
        CountingEngine engine = new CountingEngine(Engines.reference());
        Tensor x = randn(Shape.of(1, 1, 5), new Random(6));
        try (Conv1d layer = Conv1d.builder(1, 1, 3).engine(engine).seed(6).build()) {
            layer.forward(x);   // prepare the plan before holding it
            engine.forwardEntered = new CountDownLatch(1);
            engine.releaseForward = new CountDownLatch(1);
            Thread holder = new Thread(() -> layer.forward(x), "holder");
            holder.start();
            assertTrue(engine.forwardEntered.await(60, TimeUnit.SECONDS));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.forward(x));
            assertTrue(e.getMessage().contains("in use by thread 'holder'"), e.getMessage());
            assertTrue(e.getMessage().contains("not thread-safe"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> layer.backward(x));
            engine.releaseForward.countDown();
            holder.join(60_000);
            engine.forwardEntered = null;
            assertEquals(x.shape().with(2, 3), layer.forward(x).shape(), "usable again once the first call returned");
        }
    }
}
