package dev.conv4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Splits a loop over {@code [0, n)} into chunks run on the common fork-join pool and the
 * calling thread. Work below {@code grain} iterations runs on the caller alone: on a 2-core
 * machine a task only pays when it is worth tens of microseconds.
 */
final class Parallel {
    private Parallel() {}

    /** A loop body over {@code [from, to)}. */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** Threads worth splitting for: the pool's workers plus the caller. */
    static int threads() {
        return ForkJoinPool.getCommonPoolParallelism() + 1;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of at least {@code grain} iterations, about
     * {@code 4 · threads()} chunks at most (a few per thread, for balance).
     */
    static void forRange(int n, int grain, Range body) {
        if (n <= 0) {
            return;
        }
        int threads = threads();
        int chunks = Math.min(4 * threads, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || threads <= 1) {
            body.run(0, n);
            return;
        }
        ForkJoinTask.invokeAll(split(n, chunks, body));
    }

    private static List<RecursiveAction> split(int n, int chunks, Range body) {
        List<RecursiveAction> tasks = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            tasks.add(new RecursiveAction() {
                @Override protected void compute() {
                    body.run(from, to);
                }
            });
        }
        return tasks;
    }
}
