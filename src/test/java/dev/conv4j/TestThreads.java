package dev.conv4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** Runs a test body on several threads at once, for the concurrency tests of every package. */
public final class TestThreads {
    private TestThreads() {}

    /**
     * Runs {@code body(thread)} on {@code threads} threads released together (a barrier, so
     * that their calls overlap) and returns the sum of the counts they return; a thread's
     * assertion failure is rethrown. Each thread gets {@code timeoutSeconds} to finish.
     */
    public static int onThreads(int threads, long timeoutSeconds, IntFunction<Integer> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier start = new CyclicBarrier(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await(timeoutSeconds, TimeUnit.SECONDS);
                    return body.apply(thread);
                }));
            }
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get(timeoutSeconds, TimeUnit.SECONDS);
            }
            return total;
        } finally {
            pool.shutdownNow();
        }
    }
}
