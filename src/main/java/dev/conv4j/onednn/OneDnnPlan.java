package dev.conv4j.onednn;

import dev.conv4j.Check;
import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanArgs;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.onednn.Pass.Role;
import dev.conv4j.reference.Pad;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.lang.ref.Reference;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * The oneDNN objects for one (spec, input shape): a {@link Pass} per direction, built once,
 * and a stream of its own. A call binds the caller's tensors (no copy for direct tensors),
 * runs the pass, and allocates nothing. Not thread-safe: a second thread entering a plan
 * that is running gets an {@link IllegalStateException} instead of corrupted results.
 */
final class OneDnnPlan implements Plan {
    private static final boolean TRACK = Boolean.getBoolean("conv4j.trackResources");

    private final ConvSpec spec;
    private final PlanOptions options;
    private final Shape srcShape;
    private final Shape dstShape;
    private final Shape weiShape;
    private final Shape biaShape;
    private final String problem;
    private final DnnlMapping m;
    private final Owned owned = new Owned();
    private final ConvertedInputs converted = new ConvertedInputs();
    private final dnnl_stream stream;
    private final Pass fwd;
    private final Pass bwdData;    // null for inference plans
    private final Pass bwdWeights; // null for inference plans
    private final Candidate forced;  // tests: every direction on this candidate; null to follow the policy
    private final memory scratchpad; // shared by every step of every pass; null if none needs one
    // Non-zero padding modes: the padding's index table, the padded source and its gradient
    // (channels-first, reused).
    private final Pad pad;
    private final Tensor paddedSrc;
    private final Tensor paddedDiffSrc;
    private final CroppedDst cropped;   // null unless the primitive leaves destination columns
    private Tensor diffWeiCf;           // channels-first result for a channels-last diff_wei

    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean closed;
    private volatile Throwable closedAt;

    OneDnnPlan(NativeRuntime rt, ConvSpec spec, Shape src, PlanOptions options) {
        this(rt, spec, src, options, null);
    }

    /**
     * A plan whose directions run on the matmul candidate {@code forced} wherever it is eligible,
     * the others following the layout policy (tests).
     *
     * @throws IllegalArgumentException if no direction of the plan is eligible
     */
    OneDnnPlan(NativeRuntime rt, ConvSpec spec, Shape src, PlanOptions options, Candidate forced) {
        Check.arg(forced == null || forced.matmul() && anyMatmul(spec, src, options.userLayout()),
                "candidate: %s needs a 1x1, unpadded, ungrouped, non-transposed convolution with zeros padding mode,"
                        + " stride 1 (or channels-last backward-weights), got %s", forced, spec);
        this.forced = forced;
        this.spec = spec;
        this.options = options;
        this.srcShape = src;
        this.dstShape = ConvShapes.dst(spec, src);
        this.weiShape = ConvShapes.wei(spec);
        this.biaShape = ConvShapes.bia(spec);
        this.problem = NativeErrors.problem(spec, src);
        this.m = DnnlMapping.of(spec, src, options.userLayout());
        if (m.prePadded()) {
            pad = Pad.of(spec, src);
            paddedSrc = Tensor.allocate(pad.paddedShape());
            paddedDiffSrc = options.training() ? Tensor.allocate(pad.paddedShape()) : null;
        } else {
            pad = null;
            paddedSrc = paddedDiffSrc = null;
        }
        this.cropped = m.cropped() ? new CroppedDst(m) : null;
        engine eng = rt.engine();
        Pass f = null;
        Pass bd = null;
        Pass bw = null;
        try (PointerScope scope = new PointerScope()) {
            stream s = owned.own(new stream(eng));
            this.stream = s.get();
            f = build(eng, Direction.FWD);
            if (options.training()) {
                bd = build(eng, Direction.BWD_D);
                bw = build(eng, Direction.BWD_W);
            }
            memory shared = shareScratchpad(eng, f, bd, bw);
            this.scratchpad = shared == null ? null : owned.own(shared);
        } catch (RuntimeException e) {
            closeAll(f, bd, bw);
            converted.close();
            owned.close();
            if (e instanceof IllegalArgumentException || e instanceof dev.conv4j.NativeBackendException) {
                throw e;
            }
            throw NativeErrors.failed(problem, "prepare", e);
        }
        this.fwd = f;
        this.bwdData = bd;
        this.bwdWeights = bw;
    }

    // ---- building ---------------------------------------------------------------------------

    private static boolean anyMatmul(ConvSpec spec, Shape src, Layout userLayout) {
        for (Direction dir : Direction.values()) {
            if (Matmul1x1.eligible(spec, src, userLayout, dir)) {
                return true;
            }
        }
        return false;
    }

    private Pass build(engine eng, Direction dir) {
        if (forced != null && Matmul1x1.eligible(spec, srcShape, options.userLayout(), dir)) {
            return candidate(eng, dir, forced, true);
        }
        LayoutPolicy policy = options.layout();
        if (policy != LayoutPolicy.AUTO) {
            return candidate(eng, dir, Candidate.of(policy), true);
        }
        LayoutChoice.Key key = new LayoutChoice.Key(spec, srcShape, dir, options.userLayout(), options.training());
        Candidate known = LayoutChoice.lookup(key);
        if (known != null) {
            Pass p = candidate(eng, dir, known, false);
            if (p != null) {
                return p;
            }
        }
        // ANY is required (it is what oneDNN itself would pick); the others compete if they
        // have a JIT kernel. Each is timed end to end, reorders of the user's tensors included.
        Pass best = candidate(eng, dir, Candidate.ANY, true);
        long bestTime = Long.MAX_VALUE;
        try {
            bestTime = time(eng, best);
            for (Candidate other : AUTO_CANDIDATES) {
                Pass p = optionalCandidate(eng, dir, other);
                if (p == null) {
                    continue;
                }
                long t;
                try {
                    t = time(eng, p);
                } catch (RuntimeException e) {
                    p.close();
                    throw e;
                }
                if (t < bestTime) {
                    best.close();
                    best = p;
                    bestTime = t;
                } else {
                    p.close();
                }
            }
        } catch (RuntimeException e) {
            best.close();
            throw e;
        }
        LayoutChoice.remember(key, best.candidate);
        return best;
    }

    /** {@link Pass#time} with a scratchpad for the timing runs only, freed right after. */
    private long time(engine eng, Pass p) {
        try (PointerScope timing = new PointerScope()) {
            shareScratchpad(eng, p);
            return p.time(stream, LayoutChoice.RUNS);
        }
    }

    /** What AUTO times against {@code ANY} (the matmuls only where {@link Matmul1x1#eligible}). */
    private static final Candidate[] AUTO_CANDIDATES = {Candidate.CHANNELS_LAST, Candidate.CHANNELS_FIRST,
            Candidate.MATMUL, Candidate.MATMUL_PACKED, Candidate.MATMUL_TRANSPOSED};

    /**
     * The pass of {@code c} if it applies and oneDNN has a JIT kernel for it, else null: a
     * reference kernel never wins, and timing one would make the first prepare slow. Packed
     * matmul weights that oneDNN leaves in the user's layout are the plain matmul again: null.
     */
    private Pass optionalCandidate(engine eng, Direction dir, Candidate c) {
        if (c.matmul() && (!Matmul1x1.eligible(spec, srcShape, options.userLayout(), dir) || effective(c, dir) != c)) {
            return null;   // not a matmul, or the same matmul as another candidate
        }
        Pass p;
        try {
            p = candidate(eng, dir, c, false);
        } catch (RuntimeException e) {
            return null;   // no implementation, or no reorder to the user's layout
        }
        if (p != null && (p.impl.startsWith("ref") || (c == Candidate.MATMUL_PACKED && !p.reordersWeights()))) {
            p.close();
            return null;
        }
        return p;
    }

    /** The pass of {@code dir} on {@code c}; null (or an exception if {@code required}) without an implementation. */
    private Pass candidate(engine eng, Direction dir, Candidate c, boolean required) {
        if (c.matmul()) {
            return matmulCandidate(eng, dir, c, required);
        }
        LayoutPolicy layout = c.layout;
        primitive_desc fwdPd = ConvPrimitives.forward(eng, m, layout, options.training());
        if (!fwdPd.asBoolean()) {
            if (required) {
                throw NativeErrors.unimplemented(problem, dir, "forward descriptor, layout " + layout);
            }
            return null;
        }
        primitive_desc pd = switch (dir) {
            case FWD -> fwdPd;
            case BWD_D -> ConvPrimitives.backwardData(eng, m, layout, fwdPd);
            case BWD_W -> ConvPrimitives.backwardWeights(eng, m, layout, fwdPd);
        };
        if (!pd.asBoolean()) {
            if (required) {
                throw NativeErrors.unimplemented(problem, dir, "layout " + layout);
            }
            return null;
        }
        return new Pass(eng, dir, c, pd.impl_info_str().getString(),
                List.of(new Pass.Op(pd, ConvPrimitives.bindings(m, dir))), problem, converted);
    }

    /**
     * What the matmul candidate {@code c} is in {@code dir}: backward-weights reads no weights
     * (packing them is the plain matmul); only backward-weights has a transposed product.
     */
    private static Candidate effective(Candidate c, Direction dir) {
        if (dir == Direction.BWD_W) {
            return c == Candidate.MATMUL_PACKED ? Candidate.MATMUL : c;
        }
        return c == Candidate.MATMUL_TRANSPOSED ? Candidate.MATMUL : c;
    }

    private Pass matmulCandidate(engine eng, Direction dir, Candidate c, boolean required) {
        Candidate effective = effective(c, dir);
        Matmul1x1.Ops ops = Matmul1x1.ops(eng, m, options.userLayout(), dir, effective == Candidate.MATMUL_PACKED,
                effective == Candidate.MATMUL_TRANSPOSED);
        if (ops == null) {
            if (required) {
                throw NativeErrors.unimplemented(problem, dir, "matmul of a 1x1 convolution");
            }
            return null;
        }
        return new Pass(eng, dir, effective, ops.impl(), ops.ops(), problem, converted);
    }

    /**
     * A buffer for the largest scratchpad of {@code passes} with every step pointed at it, or
     * null if no step needs one. One buffer serves all: a plan's steps run one at a time on
     * its one stream.
     */
    private static memory shareScratchpad(engine eng, Pass... passes) {
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

    /** Bytes of the plan's one scratchpad buffer, 0 without one (tests). */
    long scratchpadBytes() {
        try (PointerScope scope = new PointerScope()) {
            return scratchpad == null ? 0 : scratchpad.get_desc().get_size();
        }
    }

    /** Every address a step's scratchpad points at, over all passes (tests: one buffer means one address). */
    Set<Long> scratchpadAddresses() {
        Set<Long> out = new HashSet<>();
        for (Pass p : new Pass[] {fwd, bwdData, bwdWeights}) {
            if (p != null) {
                out.addAll(p.scratchpadAddresses());
            }
        }
        return out;
    }

    private static void closeAll(Pass a, Pass b, Pass c) {
        for (Pass p : new Pass[] {a, b, c}) {
            if (p != null) {
                p.close();
            }
        }
    }

    // ---- Plan -------------------------------------------------------------------------------

    @Override public ConvSpec spec() { return spec; }
    @Override public Shape srcShape() { return srcShape; }
    @Override public Shape dstShape() { return dstShape; }
    @Override public Shape weiShape() { return weiShape; }
    @Override public Shape biaShape() { return biaShape; }
    @Override public String engineName() { return OneDnnEngine.NAME; }

    @Override public String implementation(Direction dir) {
        enter();
        try {
            return pass(dir).impl;
        } finally {
            exit();
        }
    }

    /** How many reordered activation copies the plan keeps (tests). */
    int convertedInputs() {
        return converted.size();
    }

    /** Input reorders skipped because a shared copy was current, over every pass (tests). */
    long reordersSkipped() {
        long n = fwd.reordersSkipped;
        if (bwdData != null) {
            n += bwdData.reordersSkipped + bwdWeights.reordersSkipped;
        }
        return n;
    }

    /** The candidate each direction ended up with. */
    Candidate candidate(Direction dir) {
        enter();
        try {
            return pass(dir).candidate;
        } finally {
            exit();
        }
    }

    @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
        enter();
        try {
            PlanArgs.check("src", src, srcShape, options.userLayout());
            PlanArgs.check("wei", wei, weiShape, null);
            PlanArgs.check("bia", bia, biaShape, null);
            PlanArgs.check("dst", dst, dstShape, options.userLayout());
            if (pad != null) {
                pad.pad(src, paddedSrc);
                fwd.bind(Role.SRC, paddedSrc.buffer());
            } else {
                fwd.bind(Role.SRC, src, true);
            }
            fwd.bindWeights(wei, stream);
            if (bia != null) {
                fwd.bind(Role.BIA, bia, true);
            }
            fwd.bind(Role.DST, dst, false);
            fwd.execute(stream);
            fwd.finish(Role.DST, dst);
            if (cropped != null) {
                cropped.fillBias(dst, bia);
            }
        } finally {
            // oneDNN read the buffers through raw addresses: keep their owners alive until here.
            Reference.reachabilityFence(src);
            Reference.reachabilityFence(wei);
            Reference.reachabilityFence(bia);
            Reference.reachabilityFence(dst);
            exit();
        }
    }

    @Override public void backwardData(Tensor diffDst, Tensor wei, Tensor diffSrc) {
        enter();
        try {
            checkTraining();
            PlanArgs.check("diff_dst", diffDst, dstShape, options.userLayout());
            PlanArgs.check("wei", wei, weiShape, null);
            PlanArgs.check("diff_src", diffSrc, srcShape, options.userLayout());
            bwdData.bind(Role.DIFF_DST, diffDst, true);
            bwdData.bindWeights(wei, stream);
            if (pad != null) {
                bwdData.bind(Role.DIFF_SRC, paddedDiffSrc.buffer());
                bwdData.execute(stream);
                // The padded border's gradient flows back to the input elements it copied.
                pad.fold(paddedDiffSrc, diffSrc);
            } else {
                bwdData.bind(Role.DIFF_SRC, diffSrc, false);
                bwdData.execute(stream);
                bwdData.finish(Role.DIFF_SRC, diffSrc);
            }
        } finally {
            Reference.reachabilityFence(diffDst);
            Reference.reachabilityFence(wei);
            Reference.reachabilityFence(diffSrc);
            exit();
        }
    }

    @Override public void backwardWeights(Tensor src, Tensor diffDst, Tensor diffWei, Tensor diffBia) {
        enter();
        try {
            checkTraining();
            PlanArgs.check("src", src, srcShape, options.userLayout());
            PlanArgs.check("diff_dst", diffDst, dstShape, options.userLayout());
            PlanArgs.check("diff_wei", diffWei, weiShape, null);
            PlanArgs.check("diff_bia", diffBia, biaShape, null);
            if (pad != null) {
                pad.pad(src, paddedSrc);
                bwdWeights.bind(Role.SRC, paddedSrc.buffer());
            } else {
                bwdWeights.bind(Role.SRC, src, true);
            }
            bwdWeights.bind(Role.DIFF_DST, diffDst, true);
            Tensor dw = diffWei;
            if (diffWei.layout() != Layout.CHANNELS_FIRST) {
                if (diffWeiCf == null) {
                    diffWeiCf = Tensor.allocate(weiShape);
                }
                dw = diffWeiCf;
            }
            bwdWeights.bind(Role.DIFF_WEI, dw, false);
            if (diffBia != null) {
                bwdWeights.bind(Role.DIFF_BIA, diffBia, false);
            }
            bwdWeights.execute(stream);
            bwdWeights.finish(Role.DIFF_WEI, dw);
            if (dw != diffWei) {
                diffWei.copyFrom(dw);
            }
            if (diffBia != null) {
                bwdWeights.finish(Role.DIFF_BIA, diffBia);
                if (cropped != null) {   // the columns no input reaches still carry the bias's gradient
                    cropped.addBiasGradient(diffDst, diffBia);
                }
            }
        } finally {
            Reference.reachabilityFence(src);
            Reference.reachabilityFence(diffDst);
            Reference.reachabilityFence(diffWei);
            Reference.reachabilityFence(diffBia);
            exit();
        }
    }

    /** The pass of {@code dir} (package-private for tests). */
    Pass pass(Direction dir) {
        return switch (dir) {
            case FWD -> fwd;
            case BWD_D -> {
                checkTraining();
                yield bwdData;
            }
            case BWD_W -> {
                checkTraining();
                yield bwdWeights;
            }
        };
    }

    private void checkTraining() {
        if (!options.training()) {   // no varargs array on the hot path
            throw new IllegalStateException("Plan for " + problem
                    + " was prepared for inference only: prepare it with training=true to run backward");
        }
    }

    // ---- lifecycle ----------------------------------------------------------------------------

    private void enter() {
        if (!busy.compareAndSet(false, true)) {
            checkOpen();
            throw new IllegalStateException("Plan for " + problem
                    + " is in use by another thread: a plan is not thread-safe, prepare one per thread");
        }
        if (closed) {
            busy.set(false);
            checkOpen();
        }
    }

    private void exit() {
        busy.set(false);
    }

    private void checkOpen() {
        if (closed) {
            String msg = "Plan for " + problem + " is closed";
            if (TRACK) {
                throw new IllegalStateException(msg, closedAt);
            }
            throw new IllegalStateException(msg + " (run with -Dconv4j.trackResources=true to record where)");
        }
    }

    @Override public void close() {
        // Wait for a call in flight on another thread: its native objects are about to go.
        while (!busy.compareAndSet(false, true)) {
            Thread.onSpinWait();
        }
        try {
            if (closed) {
                return;   // idempotent
            }
            closed = true;
            if (TRACK) {
                closedAt = new Throwable("plan closed here");
            }
            closeAll(fwd, bwdData, bwdWeights);
            converted.close();
            owned.close();
        } finally {
            busy.set(false);
        }
    }

    @Override public String toString() {
        return "OneDnnPlan[" + problem + "]";
    }
}
