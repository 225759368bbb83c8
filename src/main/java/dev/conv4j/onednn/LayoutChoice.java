package dev.conv4j.onednn;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process-wide memory of {@link LayoutPolicy#AUTO}: which {@link Candidate} ({@code ANY},
 * {@code CHANNELS_LAST}, {@code CHANNELS_FIRST}, or a matmul or {@code sgemm} for a 1×1 layer), on
 * which of oneDNN's implementations, how many threads and what slices of the minibatch
 * ({@link Choice}), ran fastest for a {@link Key} (spec, shape, direction, tensor
 * layout, and the plan options that change what a call costs), timed
 * once at the first prepare ({@link CandidateRace}) and reused by every later plan of the same
 * problem; with native-config {@code auto_choices=on}, also by later processes ({@link
 * ChoiceStore}).
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
     * in 1.09 ms and on {@code brg_conv_fwd:avx2}, oneDNN's first choice, in 1.19 ms); run on
     * {@code threads} OpenMP threads, 0 for the process's; computed in slices of {@code
     * sliceImages} images of the minibatch (in any direction), 0 for the whole
     * ({@link PassBuilder#SLICE_IMAGES}).
     */
    record Choice(Candidate candidate, int impl, int threads, int sliceImages) {
        /** On the process's threads. */
        Choice(Candidate candidate, int impl) {
            this(candidate, impl, 0);
        }

        /** On the whole minibatch. */
        Choice(Candidate candidate, int impl, int threads) {
            this(candidate, impl, threads, 0);
        }
    }

    private static final ConcurrentHashMap<Key, Choice> DECISIONS = new ConcurrentHashMap<>();

    /** Decisions of earlier processes (native-config {@code auto_choices=on}), or null. */
    private static ChoiceStore store;
    private static boolean storeRead;

    static Choice lookup(Key key) {
        return DECISIONS.get(key);
    }

    static void remember(Key key, Choice winner) {
        DECISIONS.putIfAbsent(key, winner);
    }

    /** The decision an earlier process kept for {@code key}, or null (none, or none kept). */
    static ChoiceStore.Kept kept(Key key) {
        ChoiceStore s = store();
        return s == null ? null : s.get(key);
    }

    /** Remembers a race's winner, on implementation {@code impl}, and keeps it for later processes if so configured. */
    static void decided(Key key, Choice winner, String impl) {
        remember(key, winner);
        ChoiceStore s = store();
        if (s != null) {
            s.put(key, winner, impl);
        }
    }

    private static synchronized ChoiceStore store() {
        if (!storeRead) {
            store = NativeRuntime.get().settings().autoChoices() ? ChoiceStore.ofThisMachine() : null;
            storeRead = true;
        }
        return store;
    }

    /** Where decisions are kept between processes, for {@code conv4j info}. */
    static String describeStore() {
        ChoiceStore s = store();
        return s == null ? "timed in each process (auto_choices=off)" : "kept in " + s.file().file() + " (auto_choices=on)";
    }

    /** Replaces the store (null: none) and returns the one before (tests). */
    static synchronized ChoiceStore useStore(ChoiceStore s) {
        ChoiceStore before = store();
        store = s;
        return before;
    }

    /** Forgets every decision (tests). */
    static void clear() {
        DECISIONS.clear();
    }
}
