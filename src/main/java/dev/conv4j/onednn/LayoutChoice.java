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
 * once at the first prepare ({@link CandidateRace}) and reused by every later plan of the same
 * problem.
 */
final class LayoutChoice {
    private LayoutChoice() {}

    /** What a decision depends on: the problem, and the plan options that change what a call costs. */
    record Key(ConvSpec spec, Shape src, Direction dir, Layout userLayout, boolean training, boolean weightsUpdated) {}

    /**
     * A decision: the candidate, on oneDNN's {@code impl}-th implementation of its primitive
     * descriptor (0 is oneDNN's own first choice; a matmul candidate has only 0). oneDNN lists
     * its implementations by a fixed heuristic order, and on some shapes a later one is faster
     * (on an AVX2 machine, with channels-last tensors, the seed's layer ran on {@code jit:avx2}
     * in 1.09 ms and on {@code brg_conv_fwd:avx2}, oneDNN's first choice, in 1.19 ms).
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
