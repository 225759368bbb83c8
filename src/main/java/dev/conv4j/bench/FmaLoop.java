package dev.conv4j.bench;

import dev.conv4j.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A tight loop of vector fused multiply-adds, timed: {@value #CHAINS} independent
 * accumulators of {@link FloatVector#SPECIES_PREFERRED} (256 bits, 8 lanes, with AVX2;
 * 512 bits, 16 lanes, with AVX-512), each updated as {@code acc = acc·a + b} {@value #UNROLL}
 * times per iteration, on {@code threads} threads running together. A chunk of
 * {@code iterations} is {@code 2 · lanes · chains · UNROLL · iterations} FLOPs; the figure is
 * the sum over threads of each thread's fastest chunk, after a warm-up that lets the JIT
 * compile the loop ({@link #measure}).
 *
 * <p>This class uses the Vector API, an incubator module in Java 17: it runs only in a JVM
 * started with {@code --add-modules jdk.incubator.vector}, as the child JVM that
 * {@link FmaPeak} starts, which names it only as a string, so the conv4j JVM never loads it.
 */
final class FmaLoop {
    private FmaLoop() {}

    /** Independent accumulator chains per thread: 4-cycle FMA latency × 2 FMA units need 8. */
    static final int CHAINS = 12;

    /** Updates of every chain per loop iteration. */
    static final int UNROLL = 4;

    /** The multiplier and addend of the loop: values converge to b/(1-a) = 2, never denormal. */
    static final float A = 0.5f;
    static final float B = 1.0f;

    /** fp32 lanes of the preferred vector species on this machine. */
    static int lanes() {
        return FloatVector.SPECIES_PREFERRED.length();
    }

    /**
     * Runs the loop body {@code iterations} times ({@code UNROLL · iterations} updates of each
     * chain) on one thread from the given start values and returns the accumulators, chain
     * after chain ({@code CHAINS · lanes()} values), so that the work is observable and its
     * arithmetic can be checked.
     *
     * @param start {@code CHAINS · lanes()} start values; read
     */
    static float[] loop(float[] start, float a, float b, int iterations) {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        int n = s.length();
        Check.arg(start.length == CHAINS * n, "start: expected %d values, got %d", CHAINS * n, start.length);
        FloatVector va = FloatVector.broadcast(s, a);
        FloatVector vb = FloatVector.broadcast(s, b);
        // Named locals, not an array: the JIT keeps each chain in a register.
        FloatVector c0 = FloatVector.fromArray(s, start, 0);
        FloatVector c1 = FloatVector.fromArray(s, start, n);
        FloatVector c2 = FloatVector.fromArray(s, start, 2 * n);
        FloatVector c3 = FloatVector.fromArray(s, start, 3 * n);
        FloatVector c4 = FloatVector.fromArray(s, start, 4 * n);
        FloatVector c5 = FloatVector.fromArray(s, start, 5 * n);
        FloatVector c6 = FloatVector.fromArray(s, start, 6 * n);
        FloatVector c7 = FloatVector.fromArray(s, start, 7 * n);
        FloatVector c8 = FloatVector.fromArray(s, start, 8 * n);
        FloatVector c9 = FloatVector.fromArray(s, start, 9 * n);
        FloatVector c10 = FloatVector.fromArray(s, start, 10 * n);
        FloatVector c11 = FloatVector.fromArray(s, start, 11 * n);
        for (int i = 0; i < iterations; i++) {
            // Unrolled 4 times: with one update per chain and iteration the loop's own
            // instructions held a Zen 3 core to 70-85 % of its FMA rate, unrolled to 100 %.
            c0 = c0.fma(va, vb);
            c1 = c1.fma(va, vb);
            c2 = c2.fma(va, vb);
            c3 = c3.fma(va, vb);
            c4 = c4.fma(va, vb);
            c5 = c5.fma(va, vb);
            c6 = c6.fma(va, vb);
            c7 = c7.fma(va, vb);
            c8 = c8.fma(va, vb);
            c9 = c9.fma(va, vb);
            c10 = c10.fma(va, vb);
            c11 = c11.fma(va, vb);
            c0 = c0.fma(va, vb);
            c1 = c1.fma(va, vb);
            c2 = c2.fma(va, vb);
            c3 = c3.fma(va, vb);
            c4 = c4.fma(va, vb);
            c5 = c5.fma(va, vb);
            c6 = c6.fma(va, vb);
            c7 = c7.fma(va, vb);
            c8 = c8.fma(va, vb);
            c9 = c9.fma(va, vb);
            c10 = c10.fma(va, vb);
            c11 = c11.fma(va, vb);
            c0 = c0.fma(va, vb);
            c1 = c1.fma(va, vb);
            c2 = c2.fma(va, vb);
            c3 = c3.fma(va, vb);
            c4 = c4.fma(va, vb);
            c5 = c5.fma(va, vb);
            c6 = c6.fma(va, vb);
            c7 = c7.fma(va, vb);
            c8 = c8.fma(va, vb);
            c9 = c9.fma(va, vb);
            c10 = c10.fma(va, vb);
            c11 = c11.fma(va, vb);
            c0 = c0.fma(va, vb);
            c1 = c1.fma(va, vb);
            c2 = c2.fma(va, vb);
            c3 = c3.fma(va, vb);
            c4 = c4.fma(va, vb);
            c5 = c5.fma(va, vb);
            c6 = c6.fma(va, vb);
            c7 = c7.fma(va, vb);
            c8 = c8.fma(va, vb);
            c9 = c9.fma(va, vb);
            c10 = c10.fma(va, vb);
            c11 = c11.fma(va, vb);
        }
        float[] out = new float[CHAINS * n];
        c0.intoArray(out, 0);
        c1.intoArray(out, n);
        c2.intoArray(out, 2 * n);
        c3.intoArray(out, 3 * n);
        c4.intoArray(out, 4 * n);
        c5.intoArray(out, 5 * n);
        c6.intoArray(out, 6 * n);
        c7.intoArray(out, 7 * n);
        c8.intoArray(out, 8 * n);
        c9.intoArray(out, 9 * n);
        c10.intoArray(out, 10 * n);
        c11.intoArray(out, 11 * n);
        return out;
    }

    /** Distinct start values {@code 1 + k/64} for accumulator lane {@code k}. */
    static float[] startValues() {
        float[] start = new float[CHAINS * lanes()];
        for (int k = 0; k < start.length; k++) {
            start[k] = 1f + k / 64f;
        }
        return start;
    }

    /**
     * Measures on {@code threads} threads: after a warm-up on this thread, every thread runs
     * the loop at once for {@code budgetMillis}, timing its own chunks of about
     * {@code chunkMillis} each; a thread's rate is its fastest chunk, and the figure is the
     * sum of those rates.
     *
     * <p>Why chunks, not one timed run of all threads: on a machine with few cores, a JIT or
     * OS thread that takes a core for a few milliseconds slows one chunk of one thread, not
     * the whole measurement. Every counted chunk but a thread's first ends before the common
     * deadline, so it ran while all the other threads were running too (at the all-core clock);
     * the first counts wherever it ends, so that a thread too slowed to end one in time gives a
     * low figure rather than none.
     */
    static FmaPeak.Result measure(int threads, int minChunks, long chunkMillis, long budgetMillis) throws InterruptedException {
        Check.arg(threads >= 1 && threads <= 1024, "threads: must be in 1..1024, got %d", threads);
        Check.arg(minChunks >= 1, "chunks: must be >= 1, got %d", minChunks);
        Check.arg(chunkMillis >= 1, "chunk: must be >= 1 ms, got %d", chunkMillis);
        float[] start = startValues();
        // Warm-up: at least half the budget, up to 500 ms; steady for a fifth, up to 200 ms.
        long budgetNanos = budgetMillis * 1_000_000L;
        double nanosPerIteration = warmUp(start, Math.min(500_000_000L, budgetNanos / 2),
                Math.min(200_000_000L, budgetNanos / 5));
        long chunkNanos = chunkMillis * 1_000_000L;
        int iterations = size(chunkNanos, nanosPerIteration);
        long window = Math.max(budgetNanos, 2L * minChunks * chunkNanos);
        long[] deadline = new long[1];
        CyclicBarrier ready = new CyclicBarrier(threads, () -> deadline[0] = System.nanoTime() + window);
        long[] best = new long[threads];
        int[] chunks = new int[threads];
        Throwable[] failure = new Throwable[1];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                try {
                    ready.await();
                    long end = deadline[0];
                    long fastest = Long.MAX_VALUE;
                    int n = 0;
                    while (true) {
                        long t0 = System.nanoTime();
                        sink(loop(start, A, B, iterations));
                        long t1 = System.nanoTime();
                        // A chunk ending past the window is not counted, unless it is the
                        // thread's first: a chunk slowed tenfold (the loop's compiled code thrown
                        // away, a machine busier than its cores) gives a low figure, not none.
                        if (t1 > end && n > 0) {
                            break;
                        }
                        fastest = Math.min(fastest, t1 - t0);
                        n++;
                    }
                    best[id] = fastest;
                    chunks[id] = n;
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                }
            }, "fma-peak-" + t);
            w.setDaemon(true);
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join();
        }
        synchronized (failure) {
            if (failure[0] != null) {
                throw new IllegalStateException("fma peak: a loop thread failed: " + failure[0], failure[0]);
            }
        }
        double flopsPerChunk = 2.0 * lanes() * CHAINS * UNROLL * (double) iterations;
        double gflops = 0;
        long slowestBest = 0;
        int fewestChunks = Integer.MAX_VALUE;
        for (int t = 0; t < threads; t++) {
            gflops += flopsPerChunk / best[t];
            slowestBest = Math.max(slowestBest, best[t]);
            fewestChunks = Math.min(fewestChunks, chunks[t]);
        }
        return new FmaPeak.Result(gflops, threads, lanes(), CHAINS, fewestChunks, slowestBest / 1e6);
    }

    private static int size(long targetNanos, double nanosPerIteration) {
        return (int) Math.max(16, Math.min(Integer.MAX_VALUE / 2, targetNanos / nanosPerIteration));
    }

    /**
     * Calls the loop in short calls, which get it compiled by C2 as a whole method (a long
     * first call runs an on-stack-replacement version first, measured at half the speed),
     * until every 5 ms batch of calls for {@code steadyNanos} ran within 10 % of the best speed,
     * and the best did not improve by 2 %; after at least {@code minNanos} and at most 3 s.
     * The speed must be steady, not only have been reached: on JDK 17, C2's first code for the
     * loop was thrown away once (an uncommon trap in the Vector API's index check), back to
     * slow code, and compiled again. Returns the best nanoseconds per iteration seen.
     */
    private static double warmUp(float[] start, long minNanos, long steadyNanos) {
        int iterations = 256;
        long begin = System.nanoTime();
        long lastChange = begin;
        double best = Double.MAX_VALUE;
        while (true) {
            long t0 = System.nanoTime();
            int calls = 0;
            do {
                sink(loop(start, A, B, iterations));
                calls++;
            } while (System.nanoTime() - t0 < 5_000_000L);
            long now = System.nanoTime();
            double perIteration = (double) (now - t0) / ((long) calls * iterations);
            if (perIteration < best * 0.98 || perIteration > best * 1.10) {
                lastChange = now;
            }
            best = Math.min(best, perIteration);
            long sinceStart = now - begin;
            if ((sinceStart > minNanos && now - lastChange > steadyNanos) || sinceStart > 3_000_000_000L) {
                return best;
            }
        }
    }

    /**
     * Starts {@code threads} loops together and returns the nanoseconds from the first start
     * to the last end (each thread reads the clock itself: on a busy machine the thread that
     * started them may not run again until one has finished).
     */

    private static volatile float sinkValue;

    /** Folds the accumulators into a volatile, so the JIT cannot drop the loop. */
    private static void sink(float[] acc) {
        float s = 0;
        for (float v : acc) {
            s += v;
        }
        sinkValue += s;
    }

    /**
     * Prints one line on standard output.
     *
     * <ul>
     *   <li>{@code [threads [budgetMillis]]} (defaults: available processors, 1000): measures and
     *       prints {@code fma_peak gflops=... threads=... lanes=... chains=... runs=... best_ms=...}.
     *   <li>{@code --check iterations}: runs the loop once on one thread from
     *       {@link #startValues()} with {@link #A} and {@link #B} and prints
     *       {@code fma_check lanes=N v1 v2 ...}, the accumulators' bits in hexadecimal, so that a
     *       test can compare them with a scalar computation.
     * </ul>
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length == 2 && args[0].equals("--check")) {
            float[] acc = loop(startValues(), A, B, Integer.parseInt(args[1]));
            StringBuilder b = new StringBuilder(FmaPeak.CHECK_TAG).append(" lanes=").append(lanes());
            for (float v : acc) {
                b.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(v)));
            }
            System.out.println(b);
        } else {
            int available = Runtime.getRuntime().availableProcessors();
            int threads = args.length > 0 ? Integer.parseInt(args[0]) : available;
            long budget = args.length > 1 ? Long.parseLong(args[1]) : 1000;
            if (available < threads) {
                // A CPU affinity inherited from the parent (OMP_PROC_BIND pins the thread that
                // loaded oneDNN) would time 2 threads on 1 core and report half the peak.
                System.err.printf(Locale.ROOT, "this process may run on %d processor(s), fewer than the %d threads to"
                        + " measure: a CPU affinity inherited from its parent (is OMP_PROC_BIND or GOMP_CPU_AFFINITY"
                        + " set?)%n", available, threads);
                System.exit(3);
            }
            FmaPeak.Result r = measure(threads, 5, 20, budget);
            System.out.println(r.line());
        }
        System.out.flush();
    }
}
