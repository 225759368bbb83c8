package dev.conv4j.onednn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import org.bytedeco.dnnl.dnnl_stream;

/**
 * A {@link Step} made of parts, one per OpenMP thread, run in one parallel region ({@link
 * OpenMpThreads#region}): part 0 on the calling thread, part {@code t} on the team's thread
 * {@code t}, each part's steps in order on that one thread (a primitive or {@code sgemm} inside
 * the region opens no region of its own). Parts write disjoint outputs and read nothing
 * another part writes. Where OpenMP gives fewer threads than parts, the calling thread runs
 * the parts left over after its own. A run allocates nothing on the Java heap.
 *
 * <p>Why: on the AVX-512 machine of {@code docs/perf-notes.md}, in some minutes a store to a
 * cache line that the other core's caches hold costs about six times as much as in others.
 * A pass whose two threads share what they write (a copy both then read, {@code sgemm}'s
 * packed panels) slows by a fifth to a third in those minutes; one whose every thread writes
 * only its own copy, its own packing and its own part of the output keeps its speed.
 */
final class ThreadParts implements Step, IntConsumer, AutoCloseable {
    /** The one callback of the process: the team's other threads find their step by its id. */
    private static final OpenMpThreads.Worker WORKER = ThreadParts::runWorkerPart;
    private static final Object REGISTRY_LOCK = new Object();
    private static volatile ThreadParts[] registry = new ThreadParts[16];

    private static boolean attached;   // under REGISTRY_LOCK

    /**
     * Before a step is built: the first time in the process, OpenMP's threads are told to stay
     * attached to the JVM and the path through Java is warmed up ({@link #warmUp}); every time,
     * the team is woken ({@link #wakeTeam}). So a pass's first timed runs, which AUTO's race
     * would drop if slow, pay neither. Not in a static initializer: the threads' callback needs
     * this class initialized, and would wait for it.
     */
    private static void attachWorkers() {
        boolean first;
        synchronized (REGISTRY_LOCK) {
            first = !attached;
            if (first) {
                attached = true;
                OpenMpThreads.attachAsDaemons(WORKER);
            }
        }
        if (first) {
            warmUp();
        }
        wakeTeam();
    }

    /**
     * Runs parts with no steps {@link #WARM_UP_RUNS} times, once per process, so that the JIT
     * compiles the path a run takes through Java on every thread of the region. AUTO's race
     * times a candidate some 20-30 times: with that path interpreted, a run of ResNet-50's
     * {@code res4a_branch2a} backward-weights took 0.15-0.19 ms in the race (its parts began
     * 11-24 µs after the run did) and 0.115-0.12 ms in the bench's steady calls (2-4 µs), and
     * the race dropped it for a candidate slower in the bench.
     */
    private static void warmUp() {
        List<List<Step>> none = new ArrayList<>();
        List<dnnl_stream> streams = new ArrayList<>();
        int threads = Math.max(1, OpenMpThreads.processThreads());
        for (int t = 0; t < threads; t++) {
            none.add(List.of());
            if (t > 0) {
                streams.add(null);   // never used: no steps
            }
        }
        try (ThreadParts empty = new ThreadParts(none, streams, false)) {
            for (int i = 0; i < WARM_UP_RUNS; i++) {
                empty.run(null, "warm-up");
            }
        }
    }

    private static final int WARM_UP_RUNS = 2_000;

    /**
     * Empty regions until one opens and closes within {@link #AWAKE_NANOS} (at most {@link
     * #WAKE_REGIONS}). After a pass is built (many milliseconds on the calling thread alone)
     * the first few regions took 0.3-8 ms each on the AVX-512 machine, the team's other thread
     * waking up slowly; later ones took microseconds. Run at build time, so that the first
     * timed runs of AUTO's race ({@link CandidateRace}), which would drop a candidate that slow,
     * find the team awake, as a caller's steady calls do.
     */
    private static void wakeTeam() {
        for (int i = 0; i < WAKE_REGIONS; i++) {
            long t0 = System.nanoTime();
            OpenMpThreads.region(WORKER, -1, Math.max(1, OpenMpThreads.processThreads()), team -> { });
            if (System.nanoTime() - t0 < AWAKE_NANOS) {
                return;
            }
        }
    }

    private static final int WAKE_REGIONS = 20;
    private static final long AWAKE_NANOS = 50_000;

    private final Step[][] parts;
    private final dnnl_stream[] streams;   // part t's stream; the caller's for part 0, set per run
    private final Throwable[] failures;
    private final int id;
    private String problem;
    private volatile int runs;   // written before a region opens, read by its threads: what they read is the run's

    /**
     * @param parts   each part's steps, none with a scratchpad (parts run at once, and a
     *                plan's steps share one scratchpad)
     * @param streams a stream for each part after the first (the first runs on the caller's)
     */
    ThreadParts(List<List<Step>> parts, List<dnnl_stream> streams) {
        this(parts, streams, true);
    }

    private ThreadParts(List<List<Step>> parts, List<dnnl_stream> streams, boolean attach) {
        if (!OpenMpThreads.available()) {
            throw new IllegalStateException("thread parts need OpenMP's functions");
        }
        if (streams.size() != parts.size() - 1) {
            throw new IllegalArgumentException("thread parts: " + parts.size() + " parts, " + streams.size() + " streams");
        }
        this.parts = new Step[parts.size()][];
        for (int t = 0; t < parts.size(); t++) {
            this.parts[t] = parts.get(t).toArray(new Step[0]);
            for (Step s : this.parts[t]) {
                if (s.scratchpadBytes() > 0) {
                    throw new IllegalArgumentException("thread parts: a step of part " + t + " needs a scratchpad");
                }
            }
        }
        this.streams = new dnnl_stream[parts.size()];
        for (int t = 1; t < parts.size(); t++) {
            this.streams[t] = streams.get(t - 1);
        }
        this.failures = new Throwable[parts.size()];
        if (attach) {
            attachWorkers();
        }
        this.id = register(this);
    }

    private static int register(ThreadParts p) {
        synchronized (REGISTRY_LOCK) {
            ThreadParts[] slots = registry;
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] == null) {
                    slots[i] = p;
                    registry = slots;   // publishes the slot
                    return i;
                }
            }
            ThreadParts[] grown = Arrays.copyOf(slots, slots.length * 2);
            grown[slots.length] = p;
            registry = grown;
            return slots.length;
        }
    }

    /** How many are registered and not closed (tests). */
    static int live() {
        int n = 0;
        for (ThreadParts p : registry) {
            n += p == null ? 0 : 1;
        }
        return n;
    }

    /** How many parts (threads) it runs in. */
    int parts() {
        return parts.length;
    }

    @Override public void run(dnnl_stream stream, String problem) {
        this.problem = problem;
        streams[0] = stream;
        Arrays.fill(failures, null);
        runs++;
        OpenMpThreads.region(WORKER, id, parts.length, this);
        for (Throwable f : failures) {
            if (f instanceof RuntimeException e) {
                throw e;
            }
            if (f instanceof Error e) {
                throw e;
            }
            if (f != null) {
                throw new IllegalStateException(f);
            }
        }
    }

    /** The calling thread's share of a region of {@code team} threads: part 0, and the parts no thread took. */
    @Override public void accept(int team) {
        runPart(0);
        for (int t = Math.max(team, 1); t < parts.length; t++) {
            runPart(t);
        }
    }

    private static void runWorkerPart(long id) {
        if (id < 0) {
            return;   // the warm-up region
        }
        ThreadParts p = registry[(int) id];
        int t = OpenMpThreads.threadNumber();
        // Reading runs (volatile) first: what the run set before the region opened is seen here.
        if (p != null && p.runs > 0 && t > 0 && t < p.parts.length) {
            p.runPart(t);
        }
    }

    private void runPart(int t) {
        try {
            for (Step s : parts[t]) {
                s.run(streams[t], problem);
            }
        } catch (Throwable e) {   // a worker thread has no caller to throw to: the run rethrows it
            failures[t] = e;
        }
    }

    /** Frees its id; its steps belong to the pass. */
    @Override public void close() {
        synchronized (REGISTRY_LOCK) {
            if (registry[id] == this) {
                registry[id] = null;
            }
        }
    }
}
