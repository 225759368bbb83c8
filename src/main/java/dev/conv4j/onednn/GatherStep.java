package dev.conv4j.onednn;

import dev.conv4j.Direction;
import dev.conv4j.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A {@link Step} that moves a small tensor between two layouts in Java, where a oneDNN reorder
 * primitive would run: {@code to[j] = from[map[j]]}, 0 where {@code j} is padding of a blocked
 * layout, and nothing where {@code j} is a gap of a strided view (another tensor's element).
 * The map comes from that very reorder, run once at prepare time on the element indices:
 * whatever the two layouts, the Java step writes what oneDNN would, where oneDNN would.
 *
 * <p>Why: below about a thousand elements a oneDNN call costs more than its work, mostly in
 * waking the OpenMP threads (a reorder of a few hundred floats measured 1–2 µs, on a problem
 * whose convolution took 3–5 µs), while the gather takes well under a microsecond.
 */
final class GatherStep implements Step {
    /**
     * Tensors of at most this many elements (of the larger layout, padding included) are
     * gathered in Java. Measured on AVX2, against oneDNN's reorders in the same run: 16×8×8
     * activations (1,024) moved faster by gather, 16×16×16 (4,096) and 32×16×16 (8,192) slower.
     */
    static final int MAX_ELEMENTS = 1024;

    /** Where a side's data is at the time of a call; never allocates. */
    @FunctionalInterface
    interface Data {
        FloatBuffer buffer();
    }

    private static final int PADDING = -1;   // written as 0
    private static final int GAP = -2;       // not written

    private final int[] map;   // to-index -> from-index, PADDING or GAP
    private final Data from;
    private final Data to;
    /**
     * Without gaps, the gather runs on copies in Java arrays: {@code from} is read whole into
     * {@code fromCopy} (whose last element stays 0, read for padding), gathered by {@code
     * reads} into {@code toCopy}, which is written to {@code to} whole. Bulk copies and a
     * branch-free loop over arrays moved a 1×4×8×8 tensor from {@code nchw} to {@code nChw8c}
     * (512 floats with the padding) in 220–233 ns and back in 128–170 ns, where the loop over
     * the buffers themselves took 378–415 and 213–255 ns (AVX2, 200,000 runs each). Null where
     * there are gaps, which must keep what {@code to} holds.
     */
    private final int[] reads;
    private final float[] fromCopy;
    private final float[] toCopy;

    private GatherStep(int[] map, int fromSize, Data from, Data to) {
        this.map = map;
        this.from = from;
        this.to = to;
        boolean gaps = false;
        for (int i : map) {
            gaps |= i == GAP;
        }
        this.reads = gaps ? null : reads(map, fromSize);
        this.fromCopy = gaps ? null : new float[fromSize + 1];
        this.toCopy = gaps ? null : new float[map.length];
    }

    /** {@code map} with each padding entry pointing at index {@code fromSize} (a zero). */
    private static int[] reads(int[] map, int fromSize) {
        int[] reads = new int[map.length];
        for (int j = 0; j < map.length; j++) {
            reads[j] = map[j] == PADDING ? fromSize : map[j];
        }
        return reads;
    }

    /** Whether a reorder between {@code a} and {@code b} is small enough for a gather. */
    static boolean fits(memory.desc a, memory.desc b) {
        return Math.max(a.get_size(), b.get_size()) / Float.BYTES <= MAX_ELEMENTS;
    }

    /**
     * The gather that does what a oneDNN reorder from layout {@code fromMd} to {@code toMd}
     * does, reading and writing wherever {@code from} and {@code to} say at call time. Runs
     * such a reorder once on index values (call inside a PointerScope).
     *
     * @throws NativeBackendException if oneDNN cannot reorder between the two layouts
     */
    static GatherStep of(engine eng, memory.desc fromMd, memory.desc toMd, Data from, Data to, String problem,
                         Direction dir, String what) {
        memory indices = new memory(fromMd, eng);
        memory moved = new memory(toMd, eng);
        FloatBuffer in = view(indices);
        for (int i = 0; i < in.capacity(); i++) {
            in.put(i, i + 1);   // exact in float: at most MAX_ELEMENTS
        }
        FloatBuffer out = view(moved);
        for (int j = 0; j < out.capacity(); j++) {
            out.put(j, Float.NaN);   // still NaN after the reorder: a gap it did not write
        }
        // Runs once, here: oneDNN may manage its scratchpad itself.
        reorder.primitive_desc rpd = new reorder.primitive_desc(indices, moved, new primitive_attr(), true);
        if (!rpd.asBoolean()) {
            throw NativeErrors.unimplemented(problem, dir, what);
        }
        dnnl_exec_arg_t args = new dnnl_exec_arg_t(2);
        args.getPointer(0).arg(dnnl.DNNL_ARG_FROM).memory(indices.get());
        args.getPointer(1).arg(dnnl.DNNL_ARG_TO).memory(moved.get());
        stream s = new stream(eng);
        int status = dnnl.dnnl_primitive_execute(new reorder(rpd).get(), s.get(), 2, args);
        if (status == 0) {
            status = dnnl.dnnl_stream_wait(s.get());
        }
        if (status != 0) {
            throw NativeErrors.status(problem, what + " (its map)", status);
        }
        int[] map = new int[out.capacity()];
        for (int j = 0; j < map.length; j++) {
            float v = out.get(j);
            map[j] = Float.isNaN(v) ? GAP : (int) v - 1;   // 0 (padding) becomes PADDING
        }
        return new GatherStep(map, in.capacity(), from, to);
    }

    /** The floats of a memory that owns its buffer (its address never changes), padding included. */
    static FloatBuffer view(memory m) {
        return new FloatPointer(m.get_data_handle()).capacity(m.get_desc().get_size() / Float.BYTES).asBuffer();
    }

    /**
     * Runs the gather loops often enough for the JIT to compile them and queue them for its
     * optimizing compiler, once per JVM; {@link CandidateRace} calls this before it times
     * anything. Measured on AVX2 in a fresh JVM: a 256-element gather took 0.2–0.7 ms in its
     * first runs (interpreted), about 5 µs for the next 2,700 (profiled code) and 0.3 µs
     * after; a race of a tiny problem, timed in that window, charged every gather that.
     * Each call here is short (16 elements), so that the JIT compiles the {@code gather}
     * methods themselves rather than this loop with them inlined into it. At a busy JVM start the
     * optimized code can still arrive after the first race.
     */
    static void warmUp() {
        if (!WARM.compareAndSet(false, true)) {
            return;
        }
        int n = 16;
        int[] map = new int[n];
        int[] reads = new int[n];
        for (int j = 0; j < n; j++) {
            map[j] = j % 8 == 7 ? PADDING : j % 8 == 6 ? GAP : n - 1 - j;   // every branch of the loop
            reads[j] = j % 8 == 7 ? n : n - 1 - j;
        }
        FloatBuffer a = Tensor.alignedDirect(n);
        FloatBuffer b = Tensor.alignedDirect(n);
        float[] fromCopy = new float[n + 1];
        float[] toCopy = new float[n];
        for (int i = 0; i < WARM_UP_RUNS; i++) {
            gather(map, a, b);
            gather(reads, a, fromCopy, toCopy, b);
        }
    }

    private static final AtomicBoolean WARM = new AtomicBoolean();
    private static final int WARM_UP_RUNS = 20_000;

    @Override public void run(dnnl_stream stream, String problem) {
        if (reads != null) {
            gather(reads, from.buffer(), fromCopy, toCopy, to.buffer());
        } else {
            gather(map, from.buffer(), to.buffer());
        }
    }

    /** The gather of a map without gaps, on array copies (see {@link #reads}). */
    private static void gather(int[] reads, FloatBuffer src, float[] fromCopy, float[] toCopy, FloatBuffer dst) {
        src.get(0, fromCopy, 0, fromCopy.length - 1);
        for (int j = 0; j < reads.length; j++) {
            toCopy[j] = fromCopy[reads[j]];
        }
        dst.put(0, toCopy, 0, toCopy.length);
    }

    /**
     * The gather of a map with gaps, on the buffers themselves. Both gathers are apart from the
     * {@link Data} calls: {@link #warmUp} runs them without a step, and their compiled code
     * does not depend on which {@code Data} classes the steps use (code that inlined one would
     * be thrown away at the first call with another).
     */
    private static void gather(int[] map, FloatBuffer src, FloatBuffer dst) {
        for (int j = 0; j < map.length; j++) {
            int i = map[j];
            if (i >= 0) {
                dst.put(j, src.get(i));
            } else if (i == PADDING) {
                dst.put(j, 0f);
            }
        }
    }
}
