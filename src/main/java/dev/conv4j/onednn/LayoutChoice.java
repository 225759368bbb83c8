package dev.conv4j.onednn;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process-wide memory of {@link LayoutPolicy#AUTO}: which {@link Candidate} ({@code ANY},
 * {@code CHANNELS_LAST}, {@code CHANNELS_FIRST}, or a matmul for a 1×1 layer) ran fastest for a
 * (spec, shape, direction, tensor layout), timed once at the first prepare and reused by every
 * later plan of the same problem.
 */
final class LayoutChoice {
    private LayoutChoice() {}

    /**
     * Timed executions per candidate (after one warm-up); the fastest decides. Other work on
     * the machine only ever adds time, so the minimum compares the kernels, where a median
     * of a few runs compared how busy the machine was while each candidate ran.
     */
    static final int RUNS = 7;

    record Key(ConvSpec spec, Shape src, Direction dir, Layout userLayout, boolean training) {}

    private static final ConcurrentHashMap<Key, Candidate> DECISIONS = new ConcurrentHashMap<>();

    static Candidate lookup(Key key) {
        return DECISIONS.get(key);
    }

    static void remember(Key key, Candidate winner) {
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
