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
     * Timed executions per candidate (after one warm-up); the fastest decides. Other work on
     * the machine only ever adds time, so the minimum compares the kernels, where a median
     * of a few runs compared how busy the machine was while each candidate ran.
     */
    static final int RUNS = 7;

    /**
     * Rounds go on past {@link #RUNS}, up to {@link #MAX_RUNS}, until the timing of one
     * direction took this long: a layer of a few hundred microseconds gets more than 7 runs
     * per candidate (its fastest run is the likeliest to move with the noise of a busy machine),
     * while one of tens of milliseconds gets no more.
     */
    static final long MIN_TIMING_NANOS = 100_000_000L;
    static final int MAX_RUNS = 4 * RUNS;

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
