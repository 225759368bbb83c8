package dev.conv4j.onednn;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.onednn.LayoutChoice.Choice;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.javacpp.Pointer;

/**
 * Builds the {@link Pass} of each direction of one plan: the candidate a fixed layout policy
 * names, or, under {@link LayoutPolicy#AUTO}, the fastest of the candidates that apply (timed
 * by {@link CandidateRace}, remembered in {@link LayoutChoice}). Also sizes the one scratchpad the plan's
 * passes share ({@link #shareScratchpad}, which {@link CandidateRace} uses for its timing runs too).
 * Used by {@link OneDnnPlan}'s constructor.
 */
final class PassBuilder {
    /**
     * A pass whose fastest candidate took less than this on the process's threads is raced
     * again against every candidate on one thread. On two threads a call of a few
     * microseconds spends much of its time in OpenMP's fork and join (on the AVX2 machine of
     * {@code docs/perf-notes.md}, a 4-channel 8×8 3×3 layer took 2.7–5.4 µs per call on two
     * threads, 1.9–3.5 µs on one); a kernel this short gains little from a second thread.
     *
     * <p>Kept low: a kernel of 20 µs on two threads takes about twice that on one, and only
     * noise can make one thread win. With 0.2 ms, MobileNet's depthwise layers at mb 1 kept
     * one thread for kernels of 40-200 µs in one of two runs (probably the JIT of a young JVM holding
     * a core slows the two-thread runs of the race), 1.3-1.6 times the two-thread time.
     */
    static final long ONE_THREAD_BELOW_NANOS = 20_000L;

    /** {@link #ONE_THREAD_BELOW_NANOS}, but where a test needs the one-thread race whatever its timing. */
    static volatile long oneThreadBelowNanos = ONE_THREAD_BELOW_NANOS;

    /**
     * Images per slice of the minibatch that every direction is also timed in, under {@code
     * ANY} layouts ({@link Pass#slices}). At mb 32 the conversions of the caller's channels-last
     * tensors into the blocked layouts of the fastest kernels go through memory when whole; a
     * slice's copies are read back from the caches. Measured on an AVX-512 machine ({@code
     * docs/perf-notes.md}, 2026-11-26): ResNet-50's {@code conv1} backward-weights took 31.2 ms
     * whole and 24.3–25.1 ms in slices of 2 and 4 images in a probe of raw oneDNN, and the
     * kernel lost nothing on slices that small. The same holds for the source a strided 1×1
     * layer's backward-weights gathers for its {@code sgemm} product ({@link Matmul1x1}): a
     * slice's gathered rows stay in the caches for the product. Measured at mb 32 with
     * channels-last tensors, one probe's plans side by side: {@code res3a_branch2a} (256→128,
     * 56×56, stride 2) took 6.05 ms whole and 5.58-5.63 ms in slices, {@code res3a_branch1}
     * (256→512) 17.6 and 16.7-16.8 ms.
     */
    static final int[] SLICE_IMAGES = {2, 4};

    /** Decisions timed in this process (tests: a decision followed without timing times none). */
    static final AtomicLong TIMED_DECISIONS = new AtomicLong();

    /** Of those, decisions that also timed the candidates on one thread ({@link #raceOnOneThread}; tests). */
    static final AtomicLong ONE_THREAD_RACES = new AtomicLong();

    private static final Choice ONEDNN_FIRST = new Choice(Candidate.ANY, 0);

    private final engine eng;
    private final ConvSpec spec;
    private final Shape srcShape;
    private final PlanOptions options;
    private final DnnlMapping m;
    private final String problem;
    private final dnnl_stream stream;
    private final ConvertedInputs converted;
    private final Candidate forced;
    /** The passes built so far (forward, backward-data): what backward-weights' race runs before each timed run. */
    private final List<Pass> builtBefore = new ArrayList<>();

    PassBuilder(engine eng, ConvSpec spec, Shape srcShape, PlanOptions options, DnnlMapping m, String problem,
                dnnl_stream stream, ConvertedInputs converted, Candidate forced) {
        this.eng = eng;
        this.spec = spec;
        this.srcShape = srcShape;
        this.options = options;
        this.m = m;
        this.problem = problem;
        this.stream = stream;
        this.converted = converted;
        this.forced = forced;
    }

    /** Whether some direction of {@code spec} on {@code src} can run as a matmul ({@link Matmul1x1#eligible}). */
    static boolean anyMatmul(ConvSpec spec, Shape src, Layout userLayout) {
        for (Direction dir : Direction.values()) {
            if (Matmul1x1.eligible(spec, src, userLayout, dir)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a plan can be forced onto matmul candidate {@code c} (tests): some direction
     * {@link #takesForced} it, and in each such direction what {@code c} is there applies
     * ({@link Matmul1x1#applies}; {@code GEMM_PADDED} only where some rows get padded).
     */
    static boolean forcible(Candidate c, ConvSpec spec, Shape src, Layout userLayout) {
        boolean anyTakes = false;
        for (Direction dir : Direction.values()) {
            if (takesForced(c, spec, src, userLayout, dir)) {
                anyTakes = true;
                if (!c.matmul() || !Matmul1x1.applies(effective(c, dir), spec, src, userLayout, dir)) {
                    return false;
                }
            }
        }
        return anyTakes;
    }

    /**
     * Whether {@code dir} of a plan forced onto {@code c} runs on it (the others keep their
     * convolution): where a 1×1 layer is {@link Matmul1x1#eligible}, or for {@code GEMM_IM2COL}
     * where it applies (a larger kernel's backward-weights).
     */
    private static boolean takesForced(Candidate c, ConvSpec spec, Shape src, Layout userLayout, Direction dir) {
        return c == Candidate.GEMM_IM2COL ? Matmul1x1.applies(c, spec, src, userLayout, dir)
                : Matmul1x1.eligible(spec, src, userLayout, dir);
    }

    /**
     * The pass of {@code dir}: on the forced candidate (tests) where it applies, else on the
     * fixed policy's; under AUTO on the decision this process knows, or an earlier one kept,
     * or else the winner of a race timed now.
     */
    Pass build(Direction dir) {
        Pass p = buildPass(dir);
        if (dir != Direction.BWD_W) {
            builtBefore.add(p);
        }
        return p;
    }

    private Pass buildPass(Direction dir) {
        if (forced != null && takesForced(forced, spec, srcShape, options.userLayout(), dir)) {
            return passOf(dir, new Choice(forced, 0), true);
        }
        LayoutPolicy policy = options.layout();
        if (policy != LayoutPolicy.AUTO) {
            return passOf(dir, new Choice(Candidate.of(policy), 0), true);
        }
        LayoutChoice.Key key = new LayoutChoice.Key(spec, srcShape, dir, options.userLayout(), options.training(),
                options.weightsUpdated());
        Choice known = LayoutChoice.lookup(key);
        if (known != null) {
            Pass p = passOf(dir, known, false);
            if (p != null) {
                return p;
            }
        }
        Pass kept = keptPass(dir, key);
        if (kept != null) {
            return kept;
        }
        return race(dir, key);
    }

    /** The fastest candidate's pass, timed now and remembered for {@code key}. */
    private Pass race(Direction dir, LayoutChoice.Key key) {
        TIMED_DECISIONS.incrementAndGet();
        // oneDNN's own first choice is required; the others compete where they apply.
        CandidateRace.Entrant entrant = (c, required) -> required ? passOf(dir, c, true) : optionalPass(dir, c);
        Set<ConvertedInputs.Copy> earlier = converted.snapshot();
        // Backward-weights is timed after the plan's other passes, as a training step runs it.
        List<Pass> prelude = dir == Direction.BWD_W ? builtBefore : List.of();
        CandidateRace.Winner best = CandidateRace.run(eng, stream, choices(dir, 0), ONEDNN_FIRST, entrant, earlier,
                options.weightsUpdated(), prelude);
        if (raceOnOneThread(best.nanos(), OpenMpThreads.available(), OpenMpThreads.current())) {
            // The winner against every candidate on one thread; the winner's pass is built
            // again (from oneDNN's primitive cache) so that the race times both alike.
            ONE_THREAD_RACES.incrementAndGet();
            Choice winner = best.choice();
            best.pass().close();
            List<Choice> second = new ArrayList<>();
            second.add(winner);
            second.addAll(choices(dir, 1));
            best = CandidateRace.run(eng, stream, second, winner, entrant, earlier, options.weightsUpdated(), prelude);
        }
        Pass parts = inThreadParts(dir, best.choice());
        if (parts != null) {
            best.pass().close();
            LayoutChoice.decided(key, new Choice(Candidate.GEMM_PARTS, 0, best.choice().threads()), parts.impl);
            return parts;
        }
        LayoutChoice.decided(key, best.choice(), best.pass().impl);
        return best.pass();
    }

    /**
     * For a race won by backward-weights on one {@code sgemm} call ({@code GEMM}, {@code
     * GEMM_PADDED}) on two or more threads, the same product in {@link ThreadParts} ({@link
     * Candidate#GEMM_PARTS}), else null (not such a winner, or the product does not split).
     *
     * <p>Why not a candidate of the race: in the race's 20-30 runs it ran 10-30 % slower than
     * in steady calls, and lost to candidates that were slower in the bench: ResNet-50's
     * {@code res4a_branch2a} (stride 2) took 0.14-0.17 ms in the race and 0.119 ms in the
     * bench, where one {@code sgemm} call took 0.135 ms in both. Over ResNet-50 at mb 1
     * ({@code AUTO} against {@code any}), the winners run in parts gave 0.948-0.955 in minutes of
     * slow stores across cores, where one call had given 0.962-0.973, and 0.951-0.954 in others
     * (0.950-0.958; {@code docs/perf-notes.md}).
     */
    private Pass inThreadParts(Direction dir, Choice winner) {
        Candidate c = winner.candidate();
        if (dir != Direction.BWD_W || (c != Candidate.GEMM && c != Candidate.GEMM_PADDED) || threadParts(winner) < 2) {
            return null;
        }
        return optionalPass(dir, new Choice(Candidate.GEMM_PARTS, 0, winner.threads()));
    }

    /**
     * Whether AUTO times the candidates on one thread too, after the race on the process's
     * {@code threads} was won in {@code winnerNanos}; {@code controllable}: {@link OpenMpThreads#available()}.
     */
    static boolean raceOnOneThread(long winnerNanos, boolean controllable, int threads) {
        return controllable && threads > 1 && winnerNanos < oneThreadBelowNanos;
    }

    /**
     * The pass of the decision an earlier process kept for {@code key} (and remembered for
     * this one), or null: none kept, or it no longer builds the implementation it names.
     */
    private Pass keptPass(Direction dir, LayoutChoice.Key key) {
        ChoiceStore.Kept kept = LayoutChoice.kept(key);
        if (kept == null) {
            return null;
        }
        Pass p;
        try {
            p = passOf(dir, kept.choice(), false);
        } catch (RuntimeException e) {
            return null;
        }
        if (p == null) {
            return null;
        }
        if (!p.impl.equals(kept.impl())) {
            p.close();   // oneDNN lists other implementations now: time them again
            return null;
        }
        LayoutChoice.remember(key, kept.choice());
        return p;
    }

    /**
     * What AUTO times for {@code dir} on {@code threads} OpenMP threads (0: the process's):
     * the implementations oneDNN lists for each layout candidate ({@code ANY}'s first one
     * first), one per kernel family (the same kernel for a narrower ISA, e.g. {@code
     * jit:sse41} after {@code jit:avx2}, is left out), then the matmul and {@code sgemm}
     * candidates, then {@code ANY} in slices of {@link #SLICE_IMAGES} images where {@link
     * #sliceable}, and for backward-weights of a strided layer (whose source a matmul candidate
     * gathers) {@code GEMM} and {@code GEMM_TRANSPOSED} in such slices too.
     */
    private List<Choice> choices(Direction dir, int threads) {
        List<Choice> out = new ArrayList<>();
        for (Candidate c : new Candidate[] {Candidate.ANY, Candidate.CHANNELS_LAST, Candidate.CHANNELS_FIRST}) {
            List<String> names = OpenMpThreads.on(threads,
                    () -> implementations(eng, m, options.training(), dir, c.layout));
            Set<String> families = new HashSet<>();
            for (int impl = 0; impl < names.size(); impl++) {
                // oneDNN lists a kernel family's widest ISA first; the narrower ones never won
                // here and cost the most to time.
                if (families.add(family(names.get(impl)))) {
                    out.add(new Choice(c, impl, threads));
                }
            }
        }
        for (Candidate c : new Candidate[] {Candidate.MATMUL, Candidate.MATMUL_PACKED, Candidate.MATMUL_TRANSPOSED,
                Candidate.GEMM, Candidate.GEMM_TRANSPOSED, Candidate.GEMM_PADDED, Candidate.GEMM_IM2COL}) {
            out.add(new Choice(c, 0, threads));
        }
        for (int images : SLICE_IMAGES) {
            if (sliceable(m, srcShape.dim(0), images)) {
                out.add(new Choice(Candidate.ANY, 0, threads, images));
                if (dir == Direction.BWD_W && m.strided()) {
                    out.add(new Choice(Candidate.GEMM, 0, threads, images));
                    out.add(new Choice(Candidate.GEMM_TRANSPOSED, 0, threads, images));
                }
            }
        }
        return out;
    }

    /**
     * Whether a pass of {@code m} on a minibatch of {@code n} can run in slices of {@code
     * images} images: a convolution (not transposed, no padding applied in Java, no cropped
     * destination) whose minibatch is at least two such slices.
     */
    static boolean sliceable(DnnlMapping m, int n, int images) {
        return !m.deconvolution() && !m.prePadded() && !m.cropped() && images > 0 && n % images == 0 && n / images >= 2;
    }

    /**
     * The pass of {@code c} if it applies and oneDNN has a JIT kernel for it, else null: a
     * reference kernel never wins, and timing one would make the first prepare slow. Packed
     * matmul weights that oneDNN leaves in the user's layout are the plain matmul again: null.
     */
    private Pass optionalPass(Direction dir, Choice c) {
        Candidate k = c.candidate();
        if (k.matmul() && (!Matmul1x1.applies(k, spec, srcShape, options.userLayout(), dir) || effective(k, dir) != k)) {
            return null;   // not a matmul, or the same matmul as another candidate
        }
        Pass p;
        try {
            p = passOf(dir, c, false);
        } catch (RuntimeException e) {
            return null;   // no implementation, or no reorder to the user's layout
        }
        if (p != null && (p.impl.startsWith("ref") || (k == Candidate.MATMUL_PACKED && !p.reordersWeights()))) {
            p.close();
            return null;
        }
        return p;
    }

    /** The kernel family of an implementation's name: {@code jit} of {@code jit:avx2}. */
    static String family(String impl) {
        int colon = impl.indexOf(':');
        return colon < 0 ? impl : impl.substring(0, colon);
    }

    /**
     * The names of the implementations oneDNN lists for {@code dir} under {@code layout}, in
     * its order (index {@code i} is {@link Choice#impl} {@code i}); empty without one. Call
     * inside a PointerScope.
     */
    static List<String> implementations(engine eng, DnnlMapping m, boolean training, Direction dir, LayoutPolicy layout) {
        return NativeRuntime.withoutPrimitiveCache(() -> {
            List<String> names = new ArrayList<>();
            primitive_desc pd = primitiveDesc(eng, m, training, dir, layout);
            if (pd != null) {
                do {
                    names.add(pd.impl_info_str().getString());
                } while (ConvPrimitives.nextImpl(pd, m, dir));
            }
            return names;
        });
    }

    /**
     * The primitive descriptor of {@code dir} under {@code layout} (a backward one with the
     * forward one of the same layout as its hint), at oneDNN's first implementation; null
     * without one.
     */
    private static primitive_desc primitiveDesc(engine eng, DnnlMapping m, boolean training, Direction dir,
                                                LayoutPolicy layout) {
        primitive_desc fwdPd = ConvPrimitives.forward(eng, m, layout, training);
        if (!fwdPd.asBoolean()) {
            return null;
        }
        primitive_desc pd = switch (dir) {
            case FWD -> fwdPd;
            case BWD_D -> ConvPrimitives.backwardData(eng, m, layout, fwdPd);
            case BWD_W -> ConvPrimitives.backwardWeights(eng, m, layout, fwdPd);
        };
        return pd.asBoolean() ? pd : null;
    }

    /** The pass of {@code dir} on {@code c}; null (or an exception if {@code required}) without an implementation. */
    private Pass passOf(Direction dir, Choice c, boolean required) {
        // oneDNN sizes a primitive for the threads of its creation: build on the pass's own.
        return OpenMpThreads.on(c.threads(), () -> passOnItsThreads(dir, c, required));
    }

    private Pass passOnItsThreads(Direction dir, Choice c, boolean required) {
        if (c.candidate().matmul()) {
            return matmulPass(dir, c, required);
        }
        LayoutPolicy layout = c.candidate().layout;
        DnnlMapping mapping = mappingOf(dir, c);
        primitive_desc pd = c.impl() == 0 ? primitiveDesc(eng, mapping, options.training(), dir, layout)
                : NativeRuntime.withoutPrimitiveCache(() -> {
            primitive_desc it = primitiveDesc(eng, mapping, options.training(), dir, layout);
            for (int i = 0; it != null && i < c.impl(); i++) {
                if (!ConvPrimitives.nextImpl(it, mapping, dir)) {
                    it = null;
                }
            }
            return it;
        });
        if (pd == null) {
            if (required) {
                throw NativeErrors.unimplemented(problem, dir, "layout " + layout + ConvPrimitives.passedOver(m, dir, layout));
            }
            return null;
        }
        return new Pass(eng, dir, c.candidate(), pd.impl_info_str().getString() + slicesNote(c),
                List.of(new Pass.Op(pd, ConvPrimitives.bindings(mapping, dir))), problem, converted, c.threads(), slices(c));
    }

    /** The mapping a pass of {@code c} is built for: the plan's, or in slices one slice's. */
    private DnnlMapping mappingOf(Direction dir, Choice c) {
        if (c.sliceImages() == 0) {
            return m;
        }
        if (!sliceable(m, srcShape.dim(0), c.sliceImages())) {
            throw new IllegalArgumentException("slices: " + dir.label() + " of " + problem + " cannot run in slices of "
                    + c.sliceImages() + " images");
        }
        return DnnlMapping.of(spec, srcShape.with(0, c.sliceImages()), options.userLayout());
    }

    /** How many slices of the minibatch a pass of {@code c} runs in (1: whole). */
    private int slices(Choice c) {
        return c.sliceImages() == 0 ? 1 : srcShape.dim(0) / c.sliceImages();
    }

    /** What {@code Plan.implementation} adds to the kernel's name for a pass of {@code c} in slices. */
    private static String slicesNote(Choice c) {
        return c.sliceImages() == 0 ? "" : " (in slices of " + c.sliceImages() + " images)";
    }

    /**
     * What the matmul candidate {@code c} is in {@code dir}: backward-weights reads no weights
     * (packing them is the plain matmul); only backward-weights has a transposed product and sgemm
     * ones ({@code GEMM_IM2COL}, for a larger kernel, stays itself: it applies to backward-weights alone).
     */
    private static Candidate effective(Candidate c, Direction dir) {
        if (dir == Direction.BWD_W || c == Candidate.GEMM_IM2COL) {
            return c == Candidate.MATMUL_PACKED ? Candidate.MATMUL : c;
        }
        return c == Candidate.MATMUL_TRANSPOSED || c == Candidate.GEMM || c == Candidate.GEMM_TRANSPOSED
                || c == Candidate.GEMM_PADDED || c == Candidate.GEMM_PARTS ? Candidate.MATMUL : c;
    }

    /**
     * The {@link ThreadParts} a pass of {@code c} may split its work into: one per thread of the
     * process for a pass on the process's threads and not in slices, where OpenMP's functions
     * are at hand; else 1.
     */
    static int threadParts(Choice c) {
        return c.threads() == 0 && c.sliceImages() == 0 && OpenMpThreads.available()
                ? Math.max(1, OpenMpThreads.processThreads()) : 1;
    }

    private Pass matmulPass(Direction dir, Choice c, boolean required) {
        Candidate effective = effective(c.candidate(), dir);
        Matmul1x1.Ops ops = Matmul1x1.ops(eng, mappingOf(dir, c), options.userLayout(), dir, effective, threadParts(c));
        if (ops == null) {
            if (required) {
                throw NativeErrors.unimplemented(problem, dir, "matmul of a 1x1 convolution");
            }
            return null;
        }
        return new Pass(eng, dir, effective, ops.impl() + slicesNote(c), ops.ops(), problem, converted, c.threads(), slices(c));
    }

    /**
     * A buffer for the largest scratchpad of {@code passes} with every step pointed at it, or
     * null if no step needs one. One buffer serves all: a plan's steps run one at a time on
     * its one stream.
     */
    static memory shareScratchpad(engine eng, Pass... passes) {
        long bytes = 0;
        for (Pass p : passes) {
            if (p != null) {
                bytes = Math.max(bytes, p.scratchpadBytes());
            }
        }
        if (bytes == 0) {
            return null;
        }
        memory buffer = new memory(new memory.desc(new long[] {bytes}, memory.data_type.u8, memory.format_tag.a), eng);
        Pointer handle = buffer.get_data_handle();
        for (Pass p : passes) {
            if (p != null) {
                p.useScratchpad(handle);
            }
        }
        return buffer;
    }
}
