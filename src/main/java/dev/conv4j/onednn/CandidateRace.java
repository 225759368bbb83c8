package dev.conv4j.onednn;

import dev.conv4j.NativeBackendException;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.onednn.LayoutChoice.Choice;
import dev.conv4j.onednn.Pass.Role;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.javacpp.PointerScope;

/**
 * How {@link LayoutPolicy#AUTO} picks one direction's pass: every candidate is timed end to
 * end, reorders of the user's tensors included (but for an input an earlier pass of the plan
 * already converts into the same layout), on zero-filled buffers at prepare time. Each
 * is built and run once (after a cold run that may drop it at once: {@link #COLD_SCREEN});
 * one {@link #SCREEN} times slower than the best so far (and longer than {@link
 * #SCREEN_ABOVE_NANOS}) is dropped; the rest run in rounds, one run of each per
 * round (after an untimed one if its runs are short), so that the machine's speed drifting
 * over the rounds hits every candidate alike, for as many rounds as {@link #RUNS} says;
 * rounds of under a millisecond are spread over {@link #SHORT_WINDOW_NANOS}. Each candidate's
 * median run decides, or in a race of such short rounds its fastest ({@link #SHORT_ROUND_NANOS}). Used by
 * {@link PassBuilder} only.
 */
final class CandidateRace {
    private CandidateRace() {}

    /**
     * Timed executions per candidate: at least {@link #MIN_RUNS}, {@link #RUNS} while the
     * rounds have taken less than {@link #ROUNDS_BUDGET_NANOS}, and more, up to {@link
     * #MAX_RUNS}, while they have taken less than {@link #MIN_TIMING_NANOS}. A layer of a few
     * hundred microseconds gets more runs; one of tens of milliseconds at mb 32 gets 3. On the
     * AVX2 machine of {@code docs/perf-notes.md}, a ResNet-50 bench at mb 32 with 0.1 s per
     * direction, almost all of it AUTO's decisions, went from 5 min 19 s to 2 min 12 s.
     *
     * <p>Each candidate's median run decides. The rounds interleave the candidates, so the
     * machine's slow moments hit them alike, and a kernel whose runs fall into two modes is
     * judged by what a caller gets: ResNet-50's {@code conv1} backward-weights on channels-last
     * tensors has a {@code jit:avx2} kernel that ran 2.8 ms at best and 5.7 ms by the median,
     * and deciding by the fastest run kept it in 2 of 4 runs (1.79 and 1.21 of the bare
     * primitive), by the median in none (1.01-1.04). A race of rounds shorter than {@link
     * #SHORT_ROUND_NANOS} decides by the fastest run: there, whatever holds a core for a while
     * (the JIT, in a young JVM) slows many runs of kernels on two threads and not those on one.
     */
    static final int MIN_RUNS = 3;
    static final int RUNS = 7;
    static final int MAX_RUNS = 4 * RUNS;
    static final long ROUNDS_BUDGET_NANOS = 500_000_000L;
    static final long MIN_TIMING_NANOS = 100_000_000L;

    /**
     * A candidate whose fastest run so far is shorter than this runs once untimed before each
     * timed run: the candidates timed in between evicted its data from the caches, and a
     * short run's data may fit them, as it does when the same plan runs back to back. A run
     * of tens of milliseconds streams from memory anyway.
     */
    static final long WARM_UP_BELOW_NANOS = 20_000_000L;

    /**
     * A candidate whose first timed run is this many times the fastest first run so far is
     * dropped at once: a few runs of a kernel that slow cannot turn the decision, and timing
     * them all would make a first prepare slow.
     */
    static final double SCREEN = 1.5;

    /**
     * Candidates whose first run is shorter than this are never screened out: timing them all
     * costs little, and one run that short says little. Where something else took a core
     * (the JIT at a JVM's start), a kernel on two threads ran 2–5 times its speed, one on a
     * single thread did not, and screening dropped the former for good.
     */
    static final long SCREEN_ABOVE_NANOS = 1_000_000L;

    /**
     * A race whose rounds take less than {@link #SHORT_ROUND_NANOS} goes on for {@link
     * #SHORT_WINDOW_NANOS} (at most {@link #MAX_SHORT_ROUNDS} rounds), pausing {@link
     * #PAUSE_MILLIS} between rounds (once any round was that short: one slow round does not
     * end it). Otherwise the race of a problem of a few microseconds lasted well under a
     * millisecond, and whatever held a core then (in a JVM a few seconds old, the JIT: its
     * compile time grew by 0.5–0.7 s during one 200 ms race) slowed every run of the kernels
     * on two threads, and not those on one: at the first prepare in a fresh JVM, a 4 µs
     * kernel measured 9.5–43 µs at best, and AUTO picked a single-threaded one that was
     * slower from then on. The pauses give the cores away while nothing is timed. With this
     * rule (and {@link #SCREEN_ABOVE_NANOS}), 8 fresh JVMs chose the two-thread kernel for 18
     * of 24 directions of that problem, against 1 of 24 before, and its calls took 5.2–6.5 µs
     * instead of 7.5–11.6 µs (geomeans per direction; {@code docs/perf-notes.md}).
     */
    static final long SHORT_ROUND_NANOS = 1_000_000L;
    static final long SHORT_WINDOW_NANOS = 200_000_000L;
    static final int MAX_SHORT_ROUNDS = 200;
    static final long PAUSE_MILLIS = 1;

    /**
     * Once some candidate has a time, the next one's first run goes without the warm-up before
     * it (a cold run), and one {@link #COLD_SCREEN} times the fastest so far, and longer than
     * {@link #COLD_SCREEN_ABOVE_NANOS}, is dropped after that run alone; any other then runs
     * warm, and that run is screened by {@link #SCREEN}. Kernels 35-50 times slower than the
     * best were timed twice before they were dropped: on {@code Dense(3136 → 1024)}'s 1×1
     * layer at batch 100, six backward-weights kernels of 0.2-0.3 s cost 2.8 of the 6.4 s the
     * plan took to prepare. What a cold run adds (first touches of a pass's own buffers, a few
     * milliseconds even for tens of megabytes) cannot lift a kernel within {@link #SCREEN} of
     * the best past both limits.
     */
    static final double COLD_SCREEN = 4;
    static final long COLD_SCREEN_ABOVE_NANOS = 20_000_000L;

    /** Builds the pass of a choice: null where it does not apply (never null when {@code required}). */
    interface Entrant {
        Pass build(Choice choice, boolean required);
    }

    /** The winning candidate's pass (the caller's from now on), its choice and its deciding time in nanoseconds. */
    record Winner(Pass pass, Choice choice, long nanos) {}

    /** A candidate pass being timed: its runs so far, in nanoseconds. */
    private static final class Trial {
        final Pass pass;
        final Choice choice;
        long best;
        // The most runs moreRounds allows, the screening run counted as the first.
        private final long[] runs = new long[Math.max(MAX_RUNS, MAX_SHORT_ROUNDS) + 1];
        private int count;

        Trial(Pass pass, Choice choice, long first) {
            this.pass = pass;
            this.choice = choice;
            this.best = first;
            runs[count++] = first;
        }

        void add(long nanos) {
            best = Math.min(best, nanos);
            if (count < runs.length) {
                runs[count++] = nanos;
            }
        }

        long score(boolean shortRace) {
            return decidingTime(runs, count, shortRace);
        }
    }

    /**
     * What the race compares of a candidate's first {@code count} runs: the median (the lower
     * one of an even count), or in a race of short rounds the fastest ({@link #SHORT_ROUND_NANOS}).
     */
    static long decidingTime(long[] runs, int count, boolean shortRace) {
        long[] sorted = Arrays.copyOf(runs, count);
        Arrays.sort(sorted);
        return shortRace ? sorted[0] : sorted[(count - 1) / 2];
    }

    /**
     * Times {@code choices} (which hold {@code required}) and returns the winner ({@link #decidingTime}); the other
     * passes are closed. An optional candidate that oneDNN refuses to run is left out. A
     * reorder into one of {@code earlier}, the converted inputs of the plan's passes built
     * before this one, is not timed ({@link Pass#beginTiming}). The weights' reorder is timed
     * in every run if {@code weightsUpdated} (a training loop's plan), else in none.
     *
     * <p>The plan's passes {@code prelude} (empty but for backward-weights) run untimed before
     * every timed run, in place of a run of the candidate itself: backward-weights follows
     * forward and backward-data in a training step, and a kernel fast on data its own previous
     * run left in the caches may not be after them. On an AVX-512 machine ({@code
     * docs/perf-notes.md}, 2026-11-26), ResNet-50's {@code res4b_branch2a} at mb 1 won
     * backward-weights on {@code sgemm} timed warm, then ran 0.27 ms in the bench's steps where
     * the matmul ran 0.23.
     */
    static Winner run(engine eng, dnnl_stream stream, List<Choice> choices, Choice required, Entrant entrant,
                      Set<ConvertedInputs.Copy> earlier, boolean weightsUpdated, List<Pass> prelude) {
        GatherStep.warmUp();
        List<Trial> alive = new ArrayList<>();
        boolean shortRace;
        Map<Role, FloatBuffer> zeros = new EnumMap<>(Role.class);
        Runnable before = () -> {
            for (Pass p : prelude) {
                p.timeOnce(stream, false);
                p.preludeRuns++;
            }
        };
        boolean warmUp = prelude.isEmpty();
        try (PointerScope timing = new PointerScope()) {
            if (!prelude.isEmpty()) {
                // Theirs was their own race's, freed since; the plan's is set once every pass is built.
                PassBuilder.shareScratchpad(eng, prelude.toArray(new Pass[0]));
            }
            for (Pass p : prelude) {
                p.beginTiming(stream, zeros, false, Set.of());
            }
            long fastest = Long.MAX_VALUE;
            for (Choice c : choices) {
                boolean mustRun = c.equals(required);
                Pass p = entrant.build(c, mustRun);
                if (p == null) {
                    continue;
                }
                long first;
                try {
                    PassBuilder.shareScratchpad(eng, p);   // a buffer for the timing runs only, freed with the scope
                    boolean cold = fastest != Long.MAX_VALUE;
                    p.beginTiming(stream, zeros, !cold && warmUp, earlier);
                    before.run();
                    first = p.timeOnce(stream, weightsUpdated);
                    if (cold && droppedCold(first, fastest)) {
                        p.close();
                        continue;
                    }
                    if (cold) {
                        before.run();
                        first = p.timeOnce(stream, weightsUpdated);
                    }
                } catch (RuntimeException e) {
                    p.close();
                    if (mustRun || !(e instanceof NativeBackendException)) {
                        throw e;
                    }
                    continue;   // oneDNN refused to run an optional candidate: not a candidate
                }
                if (screenedOut(first, fastest)) {
                    p.close();
                    continue;
                }
                alive.add(new Trial(p, c, first));
                fastest = Math.min(fastest, first);
            }
            shortRace = timeRounds(alive, stream, zeros, earlier, weightsUpdated, warmUp, before);
        } catch (RuntimeException e) {
            for (Trial t : alive) {
                t.pass.close();
            }
            throw e;
        }
        Trial best = alive.get(0);
        for (Trial t : alive) {
            if (t.score(shortRace) < best.score(shortRace)) {
                best = t;
            }
        }
        for (Trial t : alive) {
            if (t != best) {
                t.pass.close();
            }
        }
        return new Winner(best.pass, best.choice, best.score(shortRace));
    }

    /**
     * Times {@code alive} in rounds, one run of each per round ({@link #moreRounds}); whether
     * the race was one of short rounds ({@link #SHORT_ROUND_NANOS}).
     */
    private static boolean timeRounds(List<Trial> alive, dnnl_stream stream, Map<Role, FloatBuffer> zeros,
                                      Set<ConvertedInputs.Copy> earlier, boolean weightsUpdated, boolean warmUp,
                                      Runnable before) {
        long start = System.nanoTime();
        long shortestRound = Long.MAX_VALUE;
        for (int round = 1; moreRounds(round, System.nanoTime() - start, shortestRound < SHORT_ROUND_NANOS); round++) {
            if (shortestRound < SHORT_ROUND_NANOS) {
                pause();
            }
            long roundStart = System.nanoTime();
            for (Trial t : alive) {
                t.pass.beginTiming(stream, zeros, warmUp && t.best < WARM_UP_BELOW_NANOS, earlier);
                before.run();
                t.add(t.pass.timeOnce(stream, weightsUpdated));
            }
            shortestRound = Math.min(shortestRound, System.nanoTime() - roundStart);
        }
        return shortestRound < SHORT_ROUND_NANOS;
    }

    /**
     * Whether to time another round after {@code rounds} (the screening run counts as one);
     * {@code shortRounds}: a round has taken less than {@link #SHORT_ROUND_NANOS}.
     */
    static boolean moreRounds(int rounds, long elapsedNanos, boolean shortRounds) {
        return rounds < MIN_RUNS
                || rounds < RUNS && elapsedNanos < ROUNDS_BUDGET_NANOS
                || rounds < MAX_RUNS && elapsedNanos < MIN_TIMING_NANOS
                || shortRounds && rounds < MAX_SHORT_ROUNDS && elapsedNanos < SHORT_WINDOW_NANOS;
    }

    /** Whether a candidate whose cold first run took {@code cold} ns is dropped at once, the fastest first run so far taking {@code fastest}. */
    static boolean droppedCold(long cold, long fastest) {
        return cold > COLD_SCREEN * fastest && cold > COLD_SCREEN_ABOVE_NANOS;
    }

    /** Whether a candidate whose first run took {@code first} ns is dropped, the fastest first run so far taking {@code fastest}. */
    static boolean screenedOut(long first, long fastest) {
        return first > SCREEN * fastest && first > SCREEN_ABOVE_NANOS;
    }

    private static void pause() {
        try {
            Thread.sleep(PAUSE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();   // keep the status for the caller; the rounds go on unpaused
        }
    }
}
