package dev.conv4j.onednn;

import dev.conv4j.Check;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.NativeBackendException;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.engine.PlanTensors;
import dev.conv4j.onednn.Pass.Role;
import dev.conv4j.reference.Pad;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.lang.ref.Reference;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
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
    private final PlanTensors tensors;
    private final String problem;
    private final Owned owned = new Owned();
    private final ConvertedInputs converted = new ConvertedInputs();
    private final dnnl_stream stream;
    private final Pass fwd;
    private final Pass bwdData;    // null for inference plans
    private final Pass bwdWeights; // null for inference plans
    private final memory scratchpad; // shared by every step of every pass; null if none needs one
    // Non-zero padding modes: the padding's index table, the padded source and its gradient
    // (channels-first, reused).
    private final Pad pad;
    private final Tensor paddedSrc;
    private final Tensor paddedDiffSrc;
    private final CroppedDst cropped;   // null unless the primitive leaves destination columns
    private Tensor diffWeiCf;           // channels-first result for a channels-last diff_wei
    // Channels-last weights converted to channels-first once per change, for every pass: the
    // copy, and the tensor and version it was made from.
    private Tensor weiCf;
    private Tensor weiCfFrom;
    private long weiCfVersion;
    int weightCopies;   // tests: conversions of channels-last weights made

    private final CallGate gate = new CallGate();
    private volatile Throwable closedAt;

    OneDnnPlan(NativeRuntime rt, ConvSpec spec, Shape src, PlanOptions options) {
        this(rt, spec, src, options, null);
    }

    /**
     * A plan whose directions run on the matmul candidate {@code forced} wherever it is eligible,
     * the others following the layout policy (tests).
     *
     * @throws IllegalArgumentException if no direction of the plan is eligible, or {@code forced}
     *     does not apply to one that is ({@link PassBuilder#forcible})
     */
    OneDnnPlan(NativeRuntime rt, ConvSpec spec, Shape src, PlanOptions options, Candidate forced) {
        Check.arg(forced == null || PassBuilder.forcible(forced, spec, src, options.userLayout()),
                "candidate: %s does not apply to %s on %s (see Matmul1x1.eligible and applies)", forced, spec, src);
        this.spec = spec;
        this.options = options;
        this.tensors = PlanTensors.of(spec, src, options);
        this.problem = NativeErrors.problem(spec, src);
        DnnlMapping mapping = DnnlMapping.of(spec, src, options.userLayout());
        if (mapping.prePadded()) {
            pad = Pad.of(spec, src);
            paddedSrc = Tensor.allocate(pad.paddedShape());
            paddedDiffSrc = options.training() ? Tensor.allocate(pad.paddedShape()) : null;
        } else {
            pad = null;
            paddedSrc = paddedDiffSrc = null;
        }
        this.cropped = mapping.cropped() ? new CroppedDst(mapping) : null;
        engine eng = rt.engine();
        Pass f = null;
        Pass bd = null;
        Pass bw = null;
        try (PointerScope scope = new PointerScope()) {
            stream s = owned.own(new stream(eng));
            this.stream = s.get();
            PassBuilder passes = new PassBuilder(eng, spec, src, options, mapping, problem, stream, converted, forced);
            f = passes.build(Direction.FWD);
            if (options.training()) {
                bd = passes.build(Direction.BWD_D);
                bw = passes.build(Direction.BWD_W);
            }
            memory shared = PassBuilder.shareScratchpad(eng, f, bd, bw);
            this.scratchpad = shared == null ? null : owned.own(shared);
        } catch (RuntimeException e) {
            closeAll(f, bd, bw);
            converted.close();
            owned.close();
            if (e instanceof IllegalArgumentException || e instanceof NativeBackendException) {
                throw e;
            }
            throw NativeErrors.failed(problem, "prepare", e);
        }
        this.fwd = f;
        this.bwdData = bd;
        this.bwdWeights = bw;
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
    @Override public Shape srcShape() { return tensors.src(); }
    @Override public Shape dstShape() { return tensors.dst(); }
    @Override public Shape weiShape() { return tensors.wei(); }
    @Override public Shape biaShape() { return tensors.bia(); }
    @Override public String engineName() { return OneDnnEngine.NAME; }

    @Override public String implementation(Direction dir) {
        return ofPass(dir, p -> p.impl);
    }

    @Override public int threads(Direction dir) {
        return ofPass(dir, p -> p.threads);
    }

    /** What {@code read} says of the pass of {@code dir}, read while the plan is held open. */
    private <T> T ofPass(Direction dir, Function<Pass, T> read) {
        Objects.requireNonNull(dir, "dir");
        enter();
        try {
            return read.apply(pass(dir));
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

    /** The candidate each direction ended up with (tests). */
    Candidate candidate(Direction dir) {
        return ofPass(dir, p -> p.candidate);
    }

    /**
     * {@code wei} itself if channels-first; else the plan's channels-first copy of it, made again
     * only when the tensor or its version changed (a channels-last weight tensor is [OC, K...,
     * IC/G] in storage). Forward and backward-data share the copy.
     */
    private Tensor channelsFirst(Tensor wei) {
        if (wei.layout() == Layout.CHANNELS_FIRST) {
            return wei;
        }
        if (wei != weiCfFrom || wei.version() != weiCfVersion) {
            if (weiCf == null) {
                weiCf = Tensor.allocate(wei.shape());
            }
            weiCfFrom = null;   // stays unset if the copy fails
            weiCf.copyFrom(wei);   // a new version: the passes reorder it again
            weightCopies++;
            weiCfFrom = wei;
            weiCfVersion = wei.version();
        }
        return weiCf;
    }

    @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
        enter();
        try {
            tensors.checkForward(src, wei, bia, dst);
            if (pad != null) {
                pad.pad(src, paddedSrc);
                fwd.bind(Role.SRC, paddedSrc.buffer());
            } else {
                fwd.bind(Role.SRC, src);
            }
            fwd.bindWeights(channelsFirst(wei), stream);
            if (bia != null) {
                fwd.bind(Role.BIA, bia);
            }
            fwd.bind(Role.DST, dst);
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
            tensors.checkBackwardData(diffDst, wei, diffSrc);
            bwdData.bind(Role.DIFF_DST, diffDst);
            bwdData.bindWeights(channelsFirst(wei), stream);
            if (pad != null) {
                bwdData.bind(Role.DIFF_SRC, paddedDiffSrc.buffer());
                bwdData.execute(stream);
                // The padded border's gradient flows back to the input elements it copied.
                pad.fold(paddedDiffSrc, diffSrc);
            } else {
                bwdData.bind(Role.DIFF_SRC, diffSrc);
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
            tensors.checkBackwardWeights(src, diffDst, diffWei, diffBia);
            if (pad != null) {
                pad.pad(src, paddedSrc);
                bwdWeights.bind(Role.SRC, paddedSrc.buffer());
            } else {
                bwdWeights.bind(Role.SRC, src);
            }
            bwdWeights.bind(Role.DIFF_DST, diffDst);
            Tensor dw = diffWei;
            if (diffWei.layout() != Layout.CHANNELS_FIRST) {
                if (diffWeiCf == null) {
                    diffWeiCf = Tensor.allocate(tensors.wei());
                }
                dw = diffWeiCf;
            }
            bwdWeights.bind(Role.DIFF_WEI, dw);
            if (diffBia != null) {
                bwdWeights.bind(Role.DIFF_BIA, diffBia);
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

    /** The pass of {@code dir} (training directions checked); read by {@link #ofPass} and by tests. */
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
        switch (gate.tryEnter()) {
            case ENTERED -> { }
            case CLOSED -> throw closedError();
            case IN_USE -> throw new IllegalStateException("Plan for " + problem
                    + " is in use by another thread: a plan is not thread-safe, prepare one per thread");
        }
    }

    private void exit() {
        gate.exit();
    }

    private IllegalStateException closedError() {
        String msg = "Plan for " + problem + " is closed";
        if (TRACK) {
            return new IllegalStateException(msg, closedAt);
        }
        return new IllegalStateException(msg + " (run with -Dconv4j.trackResources=true to record where)");
    }

    /** Waits for a call in flight on another thread (its native objects are about to go), then releases them. */
    @Override public void close() {
        gate.close(() -> {
            if (TRACK) {
                closedAt = new Throwable("plan closed here");
            }
            closeAll(fwd, bwdData, bwdWeights);
            converted.close();
            owned.close();
        });
    }

    @Override public String toString() {
        return "OneDnnPlan[" + problem + "]";
    }
}
