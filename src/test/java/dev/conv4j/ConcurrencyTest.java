package dev.conv4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Several threads on shared and per-thread plans. What the engines promise (see the README's
 * "Reliability" section):
 *
 * <ul>
 *   <li>reference plans keep no mutable state between calls: one plan may be shared by any
 *       number of threads, and every result is bit-for-bit the single-threaded one;</li>
 *   <li>oneDNN plans are confined to one thread at a time (they own reused native memory):
 *       one plan per thread gives the single-threaded results bit for bit; a second thread
 *       entering a busy plan gets {@link IllegalStateException} "in use by another thread"
 *       and nothing is written, so data is never corrupted; closing a plan another thread is
 *       running waits for that call, and later calls fail with "is closed".</li>
 * </ul>
 *
 * {@value #THREADS} threads, {@value #ITERATIONS} iterations each (forward, backward-data and
 * backward-weights per iteration) over two specs and both engines; the shared oneDNN plan test
 * runs rounds of {@value #THREADS} × {@value #ITERATIONS} forward calls until an overlap was
 * turned away.
 */
class ConcurrencyTest {
    static final int THREADS = 4;
    static final int ITERATIONS = 12;

    /** A grouped 2-D convolution with reflect padding, and a strided transposed one. */
    static final List<ConvSpec> SPECS = List.of(
            ConvSpec.conv2d(4, 6, 3).groups(2).padding(1).paddingMode(PaddingMode.REFLECT).build(),
            ConvSpec.transposed(2, 4, 3, 3).stride(2).padding(1).outputPadding(1).build());
    static final Shape SRC = Shape.of(2, 4, 9, 9);

    static List<Engine> engines() {
        return List.of(Engines.reference(), Engines.onednn());
    }

    /** Inputs of one iteration and the three results. */
    record Step(Tensor src, Tensor diffDst, float[] dst, float[] diffSrc, float[] diffWei, float[] diffBia) {}

    /** The shared weights and bias of one spec, and each iteration's inputs with single-threaded results. */
    static final class Work {
        final Tensor wei;
        final Tensor bia;
        final List<Step> steps = new ArrayList<>();

        Work(Engine engine, ConvSpec spec) {
            Random r = new Random(spec.hashCode());
            wei = ValidationFuzzProperties.random(ConvShapes.wei(spec), dev.conv4j.tensor.Layout.CHANNELS_FIRST, r);
            bia = ValidationFuzzProperties.random(ConvShapes.bia(spec), dev.conv4j.tensor.Layout.CHANNELS_FIRST, r);
            Shape dst = spec.outputShape(SRC);
            try (Plan plan = engine.prepare(spec, SRC)) {
                for (int i = 0; i < THREADS * ITERATIONS; i++) {
                    Tensor x = ValidationFuzzProperties.random(SRC, dev.conv4j.tensor.Layout.CHANNELS_FIRST, r);
                    Tensor dy = ValidationFuzzProperties.random(dst, dev.conv4j.tensor.Layout.CHANNELS_FIRST, r);
                    Step s = run(plan, x, dy);
                    steps.add(s);
                }
            }
        }

        Step run(Plan plan, Tensor x, Tensor dy) {
            Tensor y = Tensor.allocate(plan.dstShape());
            Tensor dx = Tensor.allocate(plan.srcShape());
            Tensor dw = Tensor.allocate(plan.weiShape());
            Tensor db = Tensor.allocate(plan.biaShape());
            plan.forward(x, wei, bia, y);
            plan.backwardData(dy, wei, dx);
            plan.backwardWeights(x, dy, dw, db);
            return new Step(x, dy, y.toArray(), dx.toArray(), dw.toArray(), db.toArray());
        }

        /** Runs iteration {@code i} on {@code plan} and checks all three results bit for bit. */
        void check(Plan plan, int i) {
            Step want = steps.get(i);
            Step got = run(plan, want.src(), want.diffDst());
            assertArrayEquals(want.dst(), got.dst(), "dst of iteration " + i);
            assertArrayEquals(want.diffSrc(), got.diffSrc(), "diff_src of iteration " + i);
            assertArrayEquals(want.diffWei(), got.diffWei(), "diff_wei of iteration " + i);
            assertArrayEquals(want.diffBia(), got.diffBia(), "diff_bia of iteration " + i);
        }
    }

    /** Runs {@code body(thread)} on {@value #THREADS} threads started together; returns the sum of their counts. */
    static int onThreads(IntFunction<Integer> body) throws Exception {
        return TestThreads.onThreads(THREADS, 120, body);
    }

    @Test
    void onePlanPerThreadGivesTheSingleThreadedResults() throws Exception {
        int checked = 0;
        for (Engine engine : engines()) {
            for (ConvSpec spec : SPECS) {
                Work work = new Work(engine, spec);
                checked += onThreads(thread -> {
                    int n = 0;
                    try (Plan mine = engine.prepare(spec, SRC)) {
                        for (int i = thread; i < work.steps.size(); i += THREADS) {
                            work.check(mine, i);
                            n++;
                        }
                    }
                    return n;
                });
            }
        }
        assertEquals(engines().size() * SPECS.size() * THREADS * ITERATIONS, checked);
    }

    @Test
    void aSharedReferencePlanIsSafeAcrossThreads() throws Exception {
        Engine engine = Engines.reference();
        int checked = 0;
        for (ConvSpec spec : SPECS) {
            Work work = new Work(engine, spec);
            try (Plan shared = engine.prepare(spec, SRC)) {
                checked += onThreads(thread -> {
                    int n = 0;
                    for (int i = thread; i < work.steps.size(); i += THREADS) {
                        work.check(shared, i);
                        n++;
                    }
                    return n;
                });
            }
        }
        assertEquals(SPECS.size() * THREADS * ITERATIONS, checked);
    }

    @Test
    void aSharedOneDnnPlanRejectsOverlappingCallsAndNeverCorrupts() throws Exception {
        Engine engine = Engines.onednn();
        ConvSpec spec = ConvSpec.conv2d(16, 16, 3).padding(1).build();
        Shape srcShape = Shape.of(2, 16, 20, 20);
        Random r = new Random(7);
        Tensor wei = ValidationFuzzProperties.random(ConvShapes.wei(spec), dev.conv4j.tensor.Layout.CHANNELS_FIRST, r);
        Tensor bia = ValidationFuzzProperties.random(ConvShapes.bia(spec), dev.conv4j.tensor.Layout.CHANNELS_FIRST, r);
        List<Tensor> inputs = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        try (Plan plan = engine.prepare(spec, srcShape)) {
            for (int i = 0; i < THREADS * ITERATIONS; i++) {
                Tensor x = ValidationFuzzProperties.random(srcShape, dev.conv4j.tensor.Layout.CHANNELS_FIRST, r);
                Tensor y = Tensor.allocate(plan.dstShape());
                plan.forward(x, wei, bia, y);
                inputs.add(x);
                expected.add(y.toArray());
            }
        }
        AtomicInteger rejected = new AtomicInteger();
        int done = 0;
        int rounds = 0;
        try (Plan shared = engine.prepare(spec, srcShape)) {
            // Overlaps are a matter of timing: run rounds until some call was turned away.
            while (rejected.get() == 0 && rounds < 50) {
                rounds++;
                done += onThreads(thread -> {
                    int n = 0;
                    for (int i = thread; i < inputs.size(); i += THREADS) {
                        while (true) {
                            Tensor y = Tensor.allocate(shared.dstShape());
                            y.fill(SENTINEL);
                            try {
                                shared.forward(inputs.get(i), wei, bia, y);
                            } catch (IllegalStateException e) {
                                assertTrue(e.getMessage().contains("is in use by another thread"), e.getMessage());
                                for (int j = 0; j < y.size(); j++) {
                                    assertEquals(SENTINEL, y.get(j), "a rejected call wrote its output");
                                }
                                rejected.incrementAndGet();
                                continue;
                            }
                            assertArrayEquals(expected.get(i), y.toArray(), "dst of input " + i);
                            n++;
                            break;
                        }
                    }
                    return n;
                });
            }
        }
        assertTrue(rejected.get() > 0, "no overlapping call in " + rounds + " rounds");
        assertEquals(rounds * THREADS * ITERATIONS, done);
    }

    private static final float SENTINEL = 7.25f;

    @Test
    void closingAPlanWhileOtherThreadsRunItFailsTheirLaterCallsClearly() throws Exception {
        for (Engine engine : engines()) {
            ConvSpec spec = SPECS.get(0);
            Work work = new Work(engine, spec);
            Plan plan = engine.prepare(spec, SRC);
            AtomicInteger before = new AtomicInteger();
            AtomicInteger closedErrors = new AtomicInteger();
            int threads = onThreads(thread -> {
                if (thread == 0) {
                    // let the others run a little, then close under them
                    while (before.get() < THREADS) {
                        Thread.onSpinWait();
                    }
                    plan.close();
                    return 1;
                }
                for (int i = thread; ; i = (i + THREADS) % work.steps.size()) {
                    try {
                        work.check(plan, i);
                        before.incrementAndGet();
                    } catch (IllegalStateException e) {
                        if (e.getMessage().contains("in use by another thread")) {
                            continue;   // a oneDNN plan busy on another thread: nothing was written
                        }
                        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
                        closedErrors.incrementAndGet();
                        return 1;
                    }
                }
            });
            assertEquals(THREADS, threads);
            assertEquals(THREADS - 1, closedErrors.get(), engine.name());
            plan.close();   // idempotent
        }
    }

    /**
     * {@code close()} waits for a long call in flight on another thread without spinning on a
     * core: it spun until the call returned, taking a core from the call's OpenMP threads on a
     * 2-core machine. Calls run back to back on one thread; the first close that had to wait
     * at least 5 ms is measured (a close that fell between two calls waits for nothing; a
     * close waits for one call at most, as no call starts once it began).
     */
    @Test
    void closingAPlanWaitsForACallInFlightWithoutHoldingACore() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assertTrue(mx.isCurrentThreadCpuTimeSupported());
        ConvSpec spec = ConvSpec.conv2d(128, 128, 3).padding(1).build();
        Shape srcShape = Shape.of(8, 128, 56, 56);   // 7.4 GFLOP a call: about 15 ms on AVX-512, 50 on AVX2
        Tensor x = Tensor.allocate(srcShape);
        Tensor w = Tensor.allocate(ConvShapes.wei(spec));
        Tensor b = Tensor.allocate(ConvShapes.bia(spec));
        Tensor y = Tensor.allocate(spec.outputShape(srcShape));
        long waitedNanos = 0;
        long cpuNanos = 0;
        int tries = 0;
        while (waitedNanos < 5_000_000L && tries < 5) {
            tries++;
            Plan plan = Engines.onednn().prepare(spec, srcShape, dev.conv4j.engine.PlanOptions.inference());
            AtomicInteger calls = new AtomicInteger();
            Thread runner = new Thread(() -> {
                try {
                    while (true) {
                        plan.forward(x, w, b, y);
                        calls.incrementAndGet();
                    }
                } catch (IllegalStateException e) {
                    assertTrue(e.getMessage().contains("is closed"), e.getMessage());
                }
            }, "runner");
            runner.start();
            while (calls.get() == 0) {
                Thread.sleep(1);
            }
            long cpu0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            plan.close();
            waitedNanos = System.nanoTime() - t0;
            cpuNanos = mx.getCurrentThreadCpuTime() - cpu0;
            runner.join(60_000);
            assertFalse(runner.isAlive());
        }
        assertTrue(waitedNanos >= 5_000_000L, "no close had to wait in " + tries + " tries");
        assertTrue(cpuNanos < waitedNanos / 4, String.format(java.util.Locale.ROOT,
                "close() used %.1f ms of CPU while it waited %.1f ms for the call", cpuNanos / 1e6, waitedNanos / 1e6));
    }
}
