package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.engine.Engines;
import dev.conv4j.nn.Layer;
import dev.conv4j.nn.Parameter;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link Layer}'s promise for the Java layers and {@link Sequential}: a call that overlaps one
 * running on another thread fails with {@link IllegalStateException} naming that thread,
 * instead of corrupting the layer's reused buffers (a ReLU shared by two threads returned the
 * other thread's activations for 18 of 400 calls, silently), and the layer works again once
 * the first call returned.
 */
class JavaLayerThreadsTest {

    /** Each Java layer with an input it takes. */
    private record Case(Supplier<JavaLayer> layer, Shape input) {}

    private static final List<Case> CASES = List.of(
            new Case(ReLU::new, Shape.of(2, 3, 4, 4)),
            new Case(() -> new MaxPool2d(2), Shape.of(2, 3, 4, 4)),
            new Case(() -> new Dropout(0.5, 7), Shape.of(2, 3, 4, 4)),
            new Case(Flatten::new, Shape.of(2, 3, 4, 4)),
            new Case(() -> new Dense(6, 5, 7), Shape.of(3, 6)),
            new Case(() -> new Dense(6, 5, true, 7, Engines.reference()), Shape.of(3, 6)));

    @Test
    void aJavaLayerHeldByAnotherThread_refusesEveryCall_thenWorksAgain() throws Exception {
        int checked = 0;
        for (Case c : CASES) {
            try (JavaLayer layer = c.layer().get()) {
                Tensor x = random(c.input(), 11);
                Tensor y = Tensor.allocate(layer.outputShape(x.shape()));
                layer.forward(x, y);
                Tensor dx = Tensor.allocate(x.shape());
                // Another thread is inside a call of the layer's: every entry point must say so.
                Holder holder = new Holder(layer::enter, layer::exit);
                try {
                    refused(layer, () -> layer.forward(x, y));
                    refused(layer, () -> layer.forward(x));
                    refused(layer, () -> layer.backward(y, dx));
                    refused(layer, () -> layer.backward(y));
                    refused(layer, layer::eval);
                    refused(layer, layer::train);
                } finally {
                    holder.release();
                }
                layer.forward(x, y);
                layer.backward(y, dx);
                assertEquals(x.shape(), dx.shape());
                checked++;
            }
        }
        assertEquals(CASES.size(), checked);
    }

    @Test
    void aSequentialRunningOnAnotherThread_refusesEveryCall_thenWorksAgain() throws Exception {
        Blocking first = new Blocking();
        Tensor x = random(Shape.of(2, 6), 12);
        try (Sequential model = new Sequential(first, new ReLU(), new Dense(6, 4, 12))) {
            first.entered = new CountDownLatch(1);
            first.release = new CountDownLatch(1);
            Thread holder = new Thread(() -> model.forward(x), "holder");
            holder.start();
            assertTrue(first.entered.await(60, TimeUnit.SECONDS));
            try {
                // The other thread is in the first layer: a forward here would overwrite the
                // activations it is about to read, though no one layer is called by both.
                refused(model, () -> model.forward(x));
                refused(model, () -> model.backward(Tensor.allocate(Shape.of(2, 4))));
                refused(model, model::eval);
                refused(model, model::train);
                refused(model, model::close);
            } finally {
                first.release.countDown();
                holder.join(60_000);
            }
            first.entered = null;
            Tensor y = model.forward(x);
            model.backward(y);
            assertEquals(Shape.of(2, 4), y.shape());
        }
    }

    /**
     * Separate models on two threads at once, the use the README recommends: each gets the
     * results it gets alone, bit for bit.
     */
    @Test
    void separateModelsOnTwoThreads_matchTheirSingleThreadedResults() throws Exception {
        Tensor x = random(Shape.of(4, 3, 8, 8), 13);
        float[][] alone = {steps(x, 1), steps(x, 2)};
        float[][] together = new float[2][];
        Thread[] threads = new Thread[2];
        Throwable[] failed = new Throwable[2];
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < 2; t++) {
            int i = t;
            threads[t] = new Thread(() -> {
                try {
                    start.await();
                    together[i] = steps(x, i + 1);
                } catch (Throwable e) {
                    failed[i] = e;
                }
            });
            threads[t].start();
        }
        start.countDown();
        for (int t = 0; t < 2; t++) {
            threads[t].join(120_000);
            assertEquals(null, failed[t], "thread " + t);
            assertArrayEquals(alone[t], together[t], "model " + (t + 1));
        }
    }

    /** Three SGD steps of a small model of seed {@code seed}; its logits and first weight gradient. */
    private static float[] steps(Tensor x, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        try (Sequential model = new Sequential(new ReLU(), new MaxPool2d(2), new Dropout(0.25, seeds.nextLong()),
                new Flatten(), new Dense(48, 16, seeds.nextLong()), new ReLU(),
                new Dense(16, 10, true, seeds.nextLong(), Engines.reference()))) {
            Sgd sgd = new Sgd(model.parameters(), 0.1, 0.9, 0);
            Tensor y = null;
            for (int i = 0; i < 200; i++) {
                sgd.zeroGrad();
                y = model.forward(x);
                model.backward(y);
                sgd.step();
            }
            float[] logits = y.toArray();
            float[] grad = model.parameters().get(0).grad().toArray();
            float[] out = new float[logits.length + grad.length];
            System.arraycopy(logits, 0, out, 0, logits.length);
            System.arraycopy(grad, 0, out, logits.length, grad.length);
            return out;
        }
    }

    private static void refused(Object owner, Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call, owner::toString);
        assertTrue(e.getMessage().contains("is in use by thread 'holder'"), e.getMessage());
        assertTrue(e.getMessage().contains("not thread-safe"), e.getMessage());
    }

    /** A thread named 'holder' that has run {@code enter} when built, and runs {@code exit} on {@link #release()}. */
    private static final class Holder {
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch done = new CountDownLatch(1);
        private final Thread thread;
        private volatile Throwable failure;

        Holder(Runnable enter, Runnable exit) throws InterruptedException {
            thread = new Thread(() -> {
                try {
                    enter.run();
                    entered.countDown();
                    done.await();
                    exit.run();
                } catch (Throwable e) {
                    failure = e;
                }
            }, "holder");
            thread.start();
            assertTrue(entered.await(60, TimeUnit.SECONDS));
        }

        void release() throws InterruptedException {
            done.countDown();
            thread.join(60_000);
            assertEquals(null, failure, "holder");
        }
    }

    /** A layer whose forward waits, once {@link #entered} is set, until {@link #release} opens. */
    private static final class Blocking implements Layer {
        volatile CountDownLatch entered;
        volatile CountDownLatch release;

        @Override public Tensor forward(Tensor x) {
            CountDownLatch e = entered;
            if (e != null) {
                e.countDown();
                try {
                    assertTrue(release.await(60, TimeUnit.SECONDS));
                } catch (InterruptedException ex) {
                    throw new IllegalStateException(ex);
                }
            }
            return x.copy();
        }

        @Override public Tensor backward(Tensor dy) {
            return dy.copy();
        }

        @Override public Map<String, Parameter> namedParameters() {
            return Map.of();
        }

        @Override public void train() {}

        @Override public void eval() {}

        @Override public boolean isTraining() {
            return true;
        }

        @Override public void close() {}

        @Override public String toString() {
            return "Blocking()";
        }
    }

    private static Tensor random(Shape s, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.allocate(s);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, (float) (r.nextDouble() * 2 - 1));
        }
        return t;
    }
}
