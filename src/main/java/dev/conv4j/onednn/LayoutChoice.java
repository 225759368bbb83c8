package dev.conv4j.onednn;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process-wide memory of {@link LayoutPolicy#AUTO}: which {@link Candidate} ({@code ANY},
 * {@code CHANNELS_LAST}, {@code CHANNELS_FIRST}, or a matmul for a 1×1 layer), on which of
 * oneDNN's implementations, ran fastest for a (spec, shape, direction, tensor layout), timed
 * once at the first prepare and reused by every later plan of the same problem.
 */
final class LayoutChoice {
    private LayoutChoice() {}

    /**
     * Timed executions per candidate: at least {@link #MIN_RUNS}, {@link #RUNS} while the
     * rounds have taken less than {@link #ROUNDS_BUDGET_NANOS}, and more, up to {@link
     * #MAX_RUNS}, while they have taken less than {@link #MIN_TIMING_NANOS}. The fastest run
     * decides: other work on the machine only ever adds time, so the minimum compares the
     * kernels, where a median of a few runs compared how busy the machine was while each
     * candidate ran. A layer of a few hundred microseconds gets more runs (its fastest run is
     * the likeliest to move with noise); one of tens of milliseconds at mb 32 gets 3. On the
     * AVX2 machine of {@code docs/perf-notes.md}, a ResNet-50 bench at mb 32 with 0.1 s per
     * direction, almost all of it AUTO's decisions, went from 5 min 19 s to 2 min 12 s.
     */
    static final int MIN_RUNS = 3;
    static final int RUNS = 7;
    static final int MAX_RUNS = 4 * RUNS;
    static final long ROUNDS_BUDGET_NANOS = 500_000_000L;
    static final long MIN_TIMING_NANOS = 100_000_000L;

    /**
     * A candidate whose fastest run so far is shorter than this runs once untimed before each
     * timed run: the candidates timed in between evicted its data from the caches, which
     * matters to a short run and not to a long one.
     */
    static final long WARM_UP_BELOW_NANOS = 2_000_000L;

    /**
     * A candidate whose first timed run is this many times the fastest first run so far is
     * dropped at once: a few runs of a kernel that slow cannot turn the decision, and timing
     * them all would make a first prepare slow.
     */
    static final double SCREEN = 1.5;

    record Key(ConvSpec spec, Shape src, Direction dir, Layout userLayout, boolean training) {}

    /**
     * A decision: the candidate, on oneDNN's {@code impl}-th implementation of its primitive
     * descriptor (0 is oneDNN's own first choice; a matmul candidate has only 0). oneDNN lists
     * its implementations by a fixed heuristic order, and on some shapes a later one is faster
     * (an AVX2 machine ran the seed's first layer on {@code jit:avx2} 1.3× faster than on
     * {@code brg_conv_fwd:avx2}, oneDNN's first choice).
     */
    record Choice(Candidate candidate, int impl) {}

    private static final ConcurrentHashMap<Key, Choice> DECISIONS = new ConcurrentHashMap<>();

    static Choice lookup(Key key) {
        return DECISIONS.get(key);
    }

    static void remember(Key key, Choice winner) {
        DECISIONS.putIfAbsent(key, winner);
    }

    /** Forgets every decision (tests). */
    static void clear() {
        DECISIONS.clear();
    }

    static int size() {
        return DECISIONS.size();
    }
}
