package dev.conv4j.bench;

import dev.conv4j.Check;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Times a task adaptively: warm-up runs first (at least {@link Policy#warmupRuns()} and until
 * {@link Policy#warmupNanos()} have passed), then timed runs, each measured on its own, until
 * at least {@link Policy#minSamples()} were taken and the time budget is spent, or
 * {@link Policy#maxSamples()} were taken. A slow task thus gets few samples and a fast one
 * many, which keeps a suite of mixed problems within a predictable time.
 *
 * <p>{@link #interleaved} times two tasks alternately (a, b, a, b, ...), so that machine noise
 * (other processes, frequency changes) hits both alike; that is how the facade is compared
 * with raw oneDNN.
 *
 * <p>A {@link Task} may need work before each run that is not its own cost (the passes of a
 * training step that come before the one timed): that work runs untimed, before every run.
 */
public final class Sampler {

    /**
     * What to time: {@code timed}, after {@code before} (untimed) on every run, warm-up runs
     * included. The time budget counts both.
     */
    public record Task(Runnable before, Runnable timed) {
        private static final Runnable NOTHING = () -> {};

        public Task {
            Objects.requireNonNull(before, "before");
            Objects.requireNonNull(timed, "timed");
        }

        /** A task with nothing to do before its runs. */
        public static Task of(Runnable timed) {
            return new Task(NOTHING, timed);
        }

        void run() {
            before.run();
            timed.run();
        }
    }

    /**
     * How long to warm up and measure.
     *
     * @param warmupRuns   minimum warm-up runs
     * @param warmupNanos  minimum warm-up time
     * @param minSamples   minimum timed runs
     * @param maxSamples   maximum timed runs
     * @param budgetNanos  time after which no further timed run starts once {@code minSamples} were taken
     */
    public record Policy(int warmupRuns, long warmupNanos, int minSamples, int maxSamples, long budgetNanos) {
        public Policy {
            Check.arg(warmupRuns >= 0, "warmup: runs must be >= 0, got %d", warmupRuns);
            Check.arg(warmupNanos >= 0, "warmup: time must be >= 0, got %d ns", warmupNanos);
            Check.arg(minSamples >= 1, "samples: minimum must be >= 1, got %d", minSamples);
            Check.arg(maxSamples >= minSamples, "samples: maximum %d must be >= minimum %d", maxSamples, minSamples);
            Check.arg(budgetNanos >= 0, "budget: must be >= 0, got %d ns", budgetNanos);
        }

        /**
         * The default of {@code conv4j bench}: warm up for 2 runs and 0.2 × the budget, then
         * 5 to 1000 timed runs within {@code seconds}.
         */
        public static Policy forSeconds(double seconds) {
            Check.arg(seconds > 0 && seconds <= 3600, "seconds: must be in (0, 3600], got %s", seconds);
            long budget = (long) (seconds * 1e9);
            return new Policy(2, budget / 5, 5, 1000, budget);
        }
    }

    private final Policy policy;
    private final LongSupplier clock;

    /** A sampler on {@link System#nanoTime()}. */
    public Sampler(Policy policy) {
        this(policy, System::nanoTime);
    }

    /** A sampler on the given nanosecond clock (tests use a synthetic one). */
    public Sampler(Policy policy, LongSupplier clock) {
        this.policy = policy;
        this.clock = clock;
    }

    public Policy policy() {
        return policy;
    }

    /** Warms up and times {@code task}. */
    public Stats sample(Runnable task) {
        return sample(Task.of(task));
    }

    /** Warms up and times {@code task}. */
    public Stats sample(Task task) {
        warmUp(task, null);
        long[] t = new long[policy.maxSamples()];
        long start = clock.getAsLong();
        int n = 0;
        while (n < policy.maxSamples() && (n < policy.minSamples() || clock.getAsLong() - start < policy.budgetNanos())) {
            t[n++] = time(task);
        }
        return Stats.ofNanos(t, n);
    }

    /**
     * Warms up both tasks, then times them alternately; the budget covers both.
     *
     * @return the statistics of {@code a} and of {@code b}, in that order
     */
    public Stats[] interleaved(Runnable a, Runnable b) {
        return interleaved(Task.of(a), Task.of(b));
    }

    /**
     * Warms up both tasks, then times them alternately; the budget covers both.
     *
     * @return the statistics of {@code a} and of {@code b}, in that order
     */
    public Stats[] interleaved(Task a, Task b) {
        warmUp(a, b);
        long[] ta = new long[policy.maxSamples()];
        long[] tb = new long[policy.maxSamples()];
        long start = clock.getAsLong();
        int n = 0;
        while (n < policy.maxSamples() && (n < policy.minSamples() || clock.getAsLong() - start < policy.budgetNanos())) {
            // Alternate which goes first, so neither always runs on caches the other warmed.
            if ((n & 1) == 0) {
                ta[n] = time(a);
                tb[n] = time(b);
            } else {
                tb[n] = time(b);
                ta[n] = time(a);
            }
            n++;
        }
        return new Stats[] {Stats.ofNanos(ta, n), Stats.ofNanos(tb, n)};
    }

    private void warmUp(Task a, Task b) {
        long start = clock.getAsLong();
        int runs = 0;
        while (runs < policy.warmupRuns() || clock.getAsLong() - start < policy.warmupNanos()) {
            a.run();
            if (b != null) {
                b.run();
            }
            runs++;
        }
    }

    private long time(Task task) {
        task.before().run();
        long t0 = clock.getAsLong();
        task.timed().run();
        return clock.getAsLong() - t0;
    }
}
