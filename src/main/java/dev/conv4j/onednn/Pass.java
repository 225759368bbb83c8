package dev.conv4j.onednn;

import dev.conv4j.Direction;
import dev.conv4j.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.global.dnnl.query;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;

/**
 * One direction of a plan, ready to run: reorders of the inputs into the primitives' layouts,
 * the {@link Op}s (a convolution; or for a 1×1 layer a matmul or {@code sgemm} product or two,
 * after a copy of the source or the gradient into rows: a strided source gathered, or rows
 * padded), reorders of the outputs back. Built from the ops'
 * bindings (role, oneDNN argument, the user's memory descriptor), so that every kind of op
 * shares the binding, stepping, scratchpad and allocation-free call machinery. A reorder
 * exists only where oneDNN chose a layout other than the user's; a small one runs in Java
 * ({@link GatherStep}). Weights keep their reordered copy between calls and are reordered
 * again only when the weight tensor's identity or version changes. A pass may run in slices
 * of the minibatch ({@link #slices}), its ops built for one slice and run once per slice.
 */
final class Pass implements AutoCloseable {
    /** The tensors a pass reads or writes, with the oneDNN argument id a convolution binds them to. */
    enum Role {
        SRC(dnnl.DNNL_ARG_SRC, false), WEI(dnnl.DNNL_ARG_WEIGHTS, false), BIA(dnnl.DNNL_ARG_BIAS, false),
        DST(dnnl.DNNL_ARG_DST, true), DIFF_SRC(dnnl.DNNL_ARG_DIFF_SRC, true),
        DIFF_WEI(dnnl.DNNL_ARG_DIFF_WEIGHTS, true), DIFF_BIA(dnnl.DNNL_ARG_DIFF_BIAS, true),
        DIFF_DST(dnnl.DNNL_ARG_DIFF_DST, false);

        final int arg;
        final boolean output;

        Role(int arg, boolean output) {
            this.arg = arg;
            this.output = output;
        }
    }

    /**
     * The user tensor of {@code role}, seen through {@code userMd} (a plain tag or a strided
     * view), bound to the primitive's argument {@code arg}; {@code dims} counts its elements.
     * Where {@code whole} is not null, {@code userMd} is a block of the tensor {@code whole}
     * describes (a descriptor with an offset), read or written in place ({@link UserMemory#view}).
     */
    record Binding(Role role, int arg, memory.desc userMd, long[] dims, memory.desc whole) {
        Binding(Role role, int arg, memory.desc userMd, long[] dims) {
            this(role, arg, userMd, dims, null);
        }

        /** A convolution's binding: the role's own argument. */
        static Binding conv(Role role, memory.desc userMd, long[] dims) {
            return new Binding(role, role.arg, userMd, dims);
        }
    }

    /**
     * One primitive of a pass (a convolution, a matmul, a reorder), or else one {@code sgemm}
     * ({@code gemm}, with {@code pd} null), its bindings to user tensors, memories of the
     * pass's own ({@code fixedMems}, e.g. a vector of ones, taken over by the pass) at
     * {@code fixedArgs}, and buffers of the pass's own that it reads or writes only through
     * views at offsets ({@code storage}, taken over too). An op of {@code part} 0 or more runs
     * on that OpenMP thread, with the ops of the other parts next to it, in one region
     * ({@link ThreadParts}); -1: on the pass's threads, as usual.
     */
    record Op(primitive_desc_base pd, GemmStep.Call gemm, List<Binding> bindings, int[] fixedArgs, memory[] fixedMems,
              memory[] storage, int part) {
        Op(primitive_desc_base pd, GemmStep.Call gemm, List<Binding> bindings, int[] fixedArgs, memory[] fixedMems,
           memory[] storage) {
            this(pd, gemm, bindings, fixedArgs, fixedMems, storage, -1);
        }

        Op(primitive_desc_base pd, GemmStep.Call gemm, List<Binding> bindings, int[] fixedArgs, memory[] fixedMems) {
            this(pd, gemm, bindings, fixedArgs, fixedMems, new memory[0]);
        }

        Op(primitive_desc_base pd, List<Binding> bindings, int[] fixedArgs, memory[] fixedMems) {
            this(pd, null, bindings, fixedArgs, fixedMems);
        }

        Op(primitive_desc_base pd, List<Binding> bindings) {
            this(pd, bindings, new int[0], new memory[0]);
        }

        /** This op as part {@code p} of a {@link ThreadParts} step. */
        Op inPart(int p) {
            return new Op(pd, gemm, bindings, fixedArgs, fixedMems, storage, p);
        }

        /** The layout the op reads or writes at {@code arg}. */
        memory.desc md(int arg) {
            return gemm != null ? gemm.md(arg) : pd.query_md(query.exec_arg_md, arg);
        }
    }

    final Direction dir;
    final Candidate candidate;
    final String impl;
    /**
     * The OpenMP threads its primitives were created for and run on; 0 for the process's
     * count. oneDNN must run a primitive on the count it was created with: every run of a
     * step goes through {@link OpenMpThreads#enter}.
     */
    final int threads;
    private final Owned owned = new Owned();
    private final engine eng;
    private final String problem;
    private final UserMemory[] user = new UserMemory[Role.values().length];
    private final memory[] primitiveMems = new memory[Role.values().length];   // what the primitives read/write per role
    // Filled while the constructor binds the ops: reorders of inputs before them, of outputs after.
    private final List<Step> before = new ArrayList<>();
    private final List<Role> beforeInputs = new ArrayList<>();   // the input each of before reorders
    private final List<Step> after = new ArrayList<>();
    // Computed in slices of the minibatch: the reorders of outputs after every slice but the
    // first, where a whole-minibatch output (a weight or bias gradient) is added in.
    private final List<Step> afterLaterSlices = new ArrayList<>();
    private Step weightsReorder;          // null when the primitive reads the user's weights; run only on a change
    private final Step[] steps;           // before + ops + after, in order
    private final Role[] stepInput;       // the input a step reorders, else null
    /**
     * Slices of the minibatch the pass is computed in, one after another (1: whole). The ops
     * were built for one slice; activations (source, destination and their gradients) are read
     * and written a slice at a time, and the weight and bias gradients of backward-weights
     * summed over the slices.
     */
    final int slices;
    private final Step[] laterSliceSteps;    // before + ops + afterLaterSlices; the first slice runs steps
    // Activation inputs reordered into a copy shared with the plan's other passes.
    private final ConvertedInputs shared;
    private final ConvertedInputs.Copy[] copy = new ConvertedInputs.Copy[Role.values().length];
    private final boolean[] current = new boolean[Role.values().length];   // copy already holds the bound tensor
    private final Tensor[] bound = new Tensor[Role.values().length];   // null for a buffer of the plan's own
    // The weight tensor and version the primitive's weights were last brought in from.
    private Tensor cachedWei;
    private long cachedWeiVersion;
    long reordersSkipped;   // tests
    long weightReordersTimed;   // tests
    long preludeRuns;   // tests: runs before another pass's timed runs ({@link CandidateRace})
    final List<String> twoStepReorders = new ArrayList<>();   // tests: the routes of output reorders built in two steps ({@link ReorderRoute})
    private final List<ThreadParts> threadParts = new ArrayList<>();

    /**
     * Builds the pass of {@code ops}, run in order (call inside a PointerScope); {@code impl}
     * names the kernel; reordered activation inputs go to copies in {@code shared}. Call it
     * on {@code threads} OpenMP threads ({@link OpenMpThreads#on}), 0 for the process's.
     */
    Pass(engine eng, Direction dir, Candidate candidate, String impl, List<Op> ops, String problem,
         ConvertedInputs shared, int threads) {
        this(eng, dir, candidate, impl, ops, problem, shared, threads, 1);
    }

    /** As above, computed in {@code slices} equal slices of the minibatch: {@code ops} were built for one slice. */
    Pass(engine eng, Direction dir, Candidate candidate, String impl, List<Op> ops, String problem,
         ConvertedInputs shared, int threads, int slices) {
        this.slices = slices;
        this.eng = eng;
        this.threads = threads;
        this.shared = shared;
        this.dir = dir;
        this.candidate = candidate;
        this.problem = problem;
        this.impl = impl;
        try {
            List<Step> main = new ArrayList<>();
            List<List<Step>> parts = new ArrayList<>();   // the ops of a ThreadParts step being gathered
            for (Op op : ops) {
                if (op.part() < 0 && !parts.isEmpty()) {
                    main.add(partsStep(parts));
                    parts = new ArrayList<>();
                }
                if (op.part() < 0) {
                    main.add(step(op));
                    continue;
                }
                while (parts.size() <= op.part()) {
                    parts.add(new ArrayList<>());
                }
                // A part runs on one thread: its primitive is made for one.
                parts.get(op.part()).add(OpenMpThreads.on(1, () -> step(op)));
            }
            if (!parts.isEmpty()) {
                main.add(partsStep(parts));
            }
            List<Step> all = new ArrayList<>(before);
            all.addAll(main);
            List<Step> later = new ArrayList<>(all);
            all.addAll(after);
            later.addAll(afterLaterSlices);
            this.steps = all.toArray(new Step[0]);
            this.laterSliceSteps = later.toArray(new Step[0]);
            this.stepInput = new Role[steps.length];
            for (int i = 0; i < beforeInputs.size(); i++) {
                stepInput[i] = beforeInputs.get(i);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The step of {@code op}, its memories bound. */
    private Step step(Op op) {
        int n = op.bindings().size() + op.fixedArgs().length;
        int[] ids = new int[n];
        memory[] mems = new memory[n];
        int i = 0;
        for (Binding b : op.bindings()) {
            ids[i] = b.arg();
            mems[i++] = primitiveMemory(b, op.md(b.arg()));
        }
        for (int j = 0; j < op.fixedArgs().length; j++) {
            ids[i] = op.fixedArgs()[j];
            mems[i++] = owned.own(op.fixedMems()[j]);
        }
        for (memory m : op.storage()) {
            owned.own(m);
        }
        String what = dir.label() + " " + impl;
        return op.gemm() != null ? new GemmStep(op.gemm(), ids, mems, what)
                : new PrimitiveStep(owned, eng, op.pd(), new primitive(op.pd().get()), what, ids, mems);
    }

    /** The steps of {@code parts} (index: the part) as one step, each part after the first on a stream of its own. */
    private Step partsStep(List<List<Step>> parts) {
        List<dnnl_stream> streams = new ArrayList<>();
        for (int t = 1; t < parts.size(); t++) {
            streams.add(owned.own(new stream(eng)).get());
        }
        ThreadParts step = new ThreadParts(parts, streams);
        threadParts.add(step);
        return step;
    }

    /**
     * The memory a primitive reads or writes for {@code b}; a role bound by two ops is one
     * memory, and a block of it ({@link Binding#whole}) a view of that memory.
     */
    private memory primitiveMemory(Binding b, memory.desc primMd) {
        Role role = b.role();
        if (b.whole() != null) {
            if (primMd.notEquals(b.userMd())) {
                throw new IllegalStateException(role + ": a block read in another layout");
            }
            memory whole = primitiveMemory(new Binding(role, b.arg(), b.whole(), b.dims()), b.whole());
            UserMemory u = user[role.ordinal()];
            if (whole != u.mem || slices > 1) {
                throw new IllegalStateException(role + ": a block of a tensor that is not read in place");
            }
            return u.view(b.userMd());
        }
        memory m = primitiveMems[role.ordinal()];
        if (m != null) {
            if (m.get_desc().notEquals(primMd)) {
                throw new IllegalStateException(role + " is bound twice in different layouts");
            }
            return m;
        }
        m = role.output ? output(role, primMd, b.userMd(), b.dims()) : input(role, primMd, b.userMd(), b.dims());
        primitiveMems[role.ordinal()] = m;
        return m;
    }

    /** Whether the weights are reordered into a layout of the primitive's (tests, AUTO). */
    boolean reordersWeights() {
        return weightsReorder != null;
    }

    /** Whether {@code role} is read or written a slice at a time: an activation, in a pass computed in slices. */
    private boolean sliced(Role role) {
        return slices > 1 && (role == Role.SRC || role == Role.DST || role == Role.DIFF_SRC || role == Role.DIFF_DST);
    }

    /** The memory the primitive reads for {@code role}: the user's, or a reordered copy. */
    private memory input(Role role, memory.desc convMd, memory.desc userMd, long[] dims) {
        boolean weights = role == Role.WEI;
        UserMemory u = new UserMemory(owned, userMd, eng, dims, sliced(role) ? slices : 1);
        user[role.ordinal()] = u;
        if (!convMd.notEquals(userMd)) {
            return u.mem;
        }
        // Reorder only if the primitive picked a different layout than the user tensor.
        memory conv;
        if (weights || slices > 1) {
            // A slice's copy holds no whole tensor: it is not shared with the plan's other passes.
            conv = owned.own(new memory(convMd, eng));
        } else {
            copy[role.ordinal()] = shared.acquire(role, convMd, eng);
            conv = copy[role.ordinal()].mem;
        }
        Step r = reorderStep(u.mem, conv, u::buffer, fixed(conv), reorderName(role), false);
        if (weights) {
            weightsReorder = r;
        } else {
            before.add(r);
            beforeInputs.add(slices > 1 ? null : role);   // null: never skipped
        }
        return conv;
    }

    /**
     * The memory the primitive writes for {@code role}, reordered to the user's after. In
     * slices, an activation is written a slice at a time; a whole-minibatch output (a weight or
     * bias gradient) always goes to a memory of the pass's, reordered into the user's after the
     * first slice and added into it after each later one.
     */
    private memory output(Role role, memory.desc convMd, memory.desc userMd, long[] dims) {
        boolean summed = slices > 1 && !sliced(role);
        UserMemory u = new UserMemory(owned, userMd, eng, dims, sliced(role) ? slices : 1);
        user[role.ordinal()] = u;
        if (!convMd.notEquals(userMd) && !summed) {
            return u.mem;
        }
        memory conv = owned.own(new memory(convMd, eng));
        ReorderRoute route = reorderInJava(convMd, userMd) ? null : ReorderRoute.of(convMd, userMd);
        memory between = route == null || route.direct() ? null : owned.own(new memory(route.md(), eng));
        List<Step> back = outputReorders(conv, route, between, u, reorderName(role), false);
        after.addAll(back);
        if (slices > 1) {
            afterLaterSlices.addAll(summed ? outputReorders(conv, route, between, u, reorderName(role) + ", added in", true) : back);
        }
        return conv;
    }

    /**
     * The reorders of an output from the primitive's memory {@code conv} into the user's
     * {@code u} (added into it if {@code adding}): one, or two through {@code between}, the
     * intermediate layout of {@code route} ({@link ReorderRoute}), where that is not null.
     */
    private List<Step> outputReorders(memory conv, ReorderRoute route, memory between, UserMemory u, String what,
                                      boolean adding) {
        if (between == null) {
            return List.of(reorderStep(conv, u.mem, fixed(conv), u::buffer, what, adding));
        }
        twoStepReorders.add(route.label());
        return List.of(reorderStep(conv, between, fixed(conv), fixed(between), what + " (" + route.label() + ")", false),
                reorderStep(between, u.mem, fixed(between), u::buffer, what, adding));
    }

    /**
     * A reorder from {@code from} to {@code to}, or with {@code adding} one that adds into
     * {@code to} (oneDNN's {@code sum} post-op): a oneDNN reorder primitive, or for a small
     * tensor of a pass not computed in slices a {@link GatherStep} that reads and writes the
     * data {@code fromData} and {@code toData} name at call time.
     */
    private Step reorderStep(memory from, memory to, GatherStep.Data fromData, GatherStep.Data toData, String what,
                             boolean adding) {
        if (reorderInJava(from.get_desc(), to.get_desc())) {
            return GatherStep.of(eng, from.get_desc(), to.get_desc(), fromData, toData, problem, dir, what);
        }
        primitive_attr attr = ConvPrimitives.attr();
        if (adding) {
            post_ops sum = new post_ops();
            sum.append_sum();   // to = 1·to + reorder(from)
            attr.set_post_ops(sum);
        }
        reorder.primitive_desc rpd = new reorder.primitive_desc(from, to, attr, true);
        if (!rpd.asBoolean()) {
            throw NativeErrors.unimplemented(problem, dir, what);
        }
        return new PrimitiveStep(owned, eng, rpd, new reorder(rpd), what,
                new int[] {dnnl.DNNL_ARG_FROM, dnnl.DNNL_ARG_TO}, new memory[] {from, to});
    }

    /** Whether a reorder between these layouts runs in Java ({@link GatherStep}): a small tensor, not in slices. */
    private boolean reorderInJava(memory.desc from, memory.desc to) {
        return slices == 1 && GatherStep.fits(from, to);
    }

    private static String reorderName(Role role) {
        return "reorder of " + role.name().toLowerCase(Locale.ROOT);
    }

    /** The data of a memory that owns its buffer (a pass's own, or a shared reordered copy). */
    private static GatherStep.Data fixed(memory m) {
        FloatBuffer view = GatherStep.view(m);
        return () -> view;
    }

    /**
     * Points {@code role} at {@code t}. An input's heap tensor is copied in, unless the shared
     * reordered copy already holds {@code t}, whose reorder is then skipped.
     */
    void bind(Role role, Tensor t) {
        int r = role.ordinal();
        boolean read = !role.output;
        ConvertedInputs.Copy c = copy[r];
        current[r] = read && c != null && c.holds(t);
        bound[r] = t;
        user[r].bind(t, read && !current[r], problem);
    }

    /** Points {@code role} at a direct buffer of the plan's own (not a tensor: never skipped). */
    void bind(Role role, FloatBuffer direct) {
        current[role.ordinal()] = false;
        bound[role.ordinal()] = null;
        user[role.ordinal()].bind(direct, problem);
    }

    /**
     * Binds the weights (channels-first: the plan converts channels-last ones once for all its
     * passes), reordering them only when the tensor or its version changed.
     */
    void bindWeights(Tensor wei, dnnl_stream stream) {
        if (wei == cachedWei && wei.version() == cachedWeiVersion) {
            return;
        }
        cachedWei = null;   // stays unset if the reorder fails
        user[Role.WEI.ordinal()].bind(wei, true, problem);
        if (weightsReorder != null) {
            int before = OpenMpThreads.enter(threads);
            try {
                weightsReorder.run(stream, problem);
            } finally {
                OpenMpThreads.exit(before);
            }
        }
        cachedWei = wei;
        cachedWeiVersion = wei.version();
    }

    /** Runs every step (but reorders into a copy that is current) and waits for the stream. */
    void execute(dnnl_stream stream) {
        int before = OpenMpThreads.enter(threads);
        try {
            runSteps(stream);
        } finally {
            OpenMpThreads.exit(before);
        }
    }

    /** {@link #execute}'s work, on the calling thread's OpenMP count as it is. */
    private void runSteps(dnnl_stream stream) {
        if (slices > 1) {
            runSlices(stream);
            return;
        }
        for (int i = 0; i < steps.length; i++) {
            Role input = stepInput[i];
            if (input != null) {
                if (current[input.ordinal()]) {
                    reordersSkipped++;
                    continue;
                }
                copy[input.ordinal()].forget();   // until this reorder is known to have finished
            }
            steps[i].run(stream, problem);
        }
        awaitStream(stream);
        // Only now do the copies hold their tensors; one of the plan's own buffers is no tensor to remember.
        for (Role input : stepInput) {
            if (input != null && bound[input.ordinal()] != null) {
                copy[input.ordinal()].record(bound[input.ordinal()]);
            }
        }
    }

    /** Every slice in turn: its activations' views moved to it; a weight gradient written by the first, added by the later ones. */
    private void runSlices(dnnl_stream stream) {
        for (int k = 0; k < slices; k++) {
            for (UserMemory u : user) {
                if (u != null && u.slices > 1) {
                    u.selectSlice(k, problem);
                }
            }
            for (Step step : k == 0 ? steps : laterSliceSteps) {
                step.run(stream, problem);
            }
            awaitStream(stream);   // before the views move on
            for (UserMemory u : user) {
                if (u != null && u.slices > 1) {
                    u.sliceWritten(k);
                }
            }
        }
    }

    private void awaitStream(dnnl_stream stream) {
        int status = dnnl.dnnl_stream_wait(stream);
        if (status != 0) {
            throw NativeErrors.status(problem, "stream wait", status);
        }
    }

    /** Copies a heap output back and records the write. */
    void finish(Role role, Tensor t) {
        user[role.ordinal()].finish(t);
    }

    /** The weights' reorder (if any), the steps, and the steps that only later slices run. */
    private List<Step> everyStep() {
        List<Step> all = new ArrayList<>(steps.length + afterLaterSlices.size() + 1);
        if (weightsReorder != null) {
            all.add(weightsReorder);
        }
        all.addAll(List.of(steps));
        all.addAll(afterLaterSlices);
        return all;
    }

    /** The largest scratchpad a step of this pass needs, in bytes. */
    long scratchpadBytes() {
        long bytes = 0;
        for (Step s : everyStep()) {
            bytes = Math.max(bytes, s.scratchpadBytes());
        }
        return bytes;
    }

    /** Points every step's scratchpad at {@code buffer}, of at least {@link #scratchpadBytes()}. */
    void useScratchpad(Pointer buffer) {
        for (Step s : everyStep()) {
            s.useScratchpad(buffer, problem);
        }
    }

    /** The distinct addresses the steps' scratchpads point at (tests). */
    Set<Long> scratchpadAddresses() {
        Set<Long> out = new HashSet<>();
        for (Step s : everyStep()) {
            if (s.scratchpadBytes() > 0) {
                out.add(s.scratchpadAddress());
            }
        }
        return out;
    }

    /**
     * Gets ready for {@link #timeOnce} (AUTO, at prepare time): points every user tensor at a
     * zero-filled buffer of {@code zeros} for its role (allocated there on first need, so that
     * the candidates timed one after another share them), brings the weights in and, if
     * {@code warmUp}, runs once untimed. A later call binds the caller's tensors again.
     *
     * <p>An input whose converted copy is one of {@code earlier} (a pass built before this
     * race converts it into the same layout) is converted here, untimed, and not again in
     * {@link #timeOnce}: in a training step the earlier pass has made that copy by the time
     * this one runs (backward-weights reads the source forward converted, and the destination
     * gradient backward-data converted), so the reorder is not this pass's cost.
     */
    void beginTiming(dnnl_stream stream, Map<Role, FloatBuffer> zeros, boolean warmUp, Set<ConvertedInputs.Copy> earlier) {
        int before = OpenMpThreads.enter(threads);
        try {
            prepareTiming(stream, zeros, warmUp, earlier);
        } finally {
            OpenMpThreads.exit(before);
        }
    }

    private void prepareTiming(dnnl_stream stream, Map<Role, FloatBuffer> zeros, boolean warmUp,
                               Set<ConvertedInputs.Copy> earlier) {
        for (Role r : Role.values()) {
            UserMemory u = user[r.ordinal()];
            if (u != null) {
                FloatBuffer z = zeros.get(r);
                if (z == null || z.capacity() < u.totalElements()) {
                    z = Tensor.alignedDirect(u.totalElements());
                    zeros.put(r, z);
                }
                u.bind(z, problem);
                current[r.ordinal()] = false;
                bound[r.ordinal()] = null;
            }
        }
        for (int i = 0; i < steps.length; i++) {
            Role input = stepInput[i];
            if (input != null && earlier.contains(copy[input.ordinal()])) {
                copy[input.ordinal()].forget();   // it holds zeros now, no caller's tensor
                steps[i].run(stream, problem);
                current[input.ordinal()] = true;
            }
        }
        if (weightsReorder != null) {
            weightsReorder.run(stream, problem);
        }
        awaitStream(stream);
        cachedWei = null;   // the primitive's weights are zeros now: the next call brings the caller's in
        if (warmUp) {
            runSteps(stream);
        }
    }

    /**
     * One execution, reorders included, in nanoseconds; after {@link #beginTiming}. With
     * {@code weightsUpdated} the weights' reorder into the primitive's layout runs in it too,
     * as it does on every call of a training loop, whose optimizer changes the weights each step.
     */
    long timeOnce(dnnl_stream stream, boolean weightsUpdated) {
        long t0 = System.nanoTime();
        int before = OpenMpThreads.enter(threads);
        try {
            if (weightsUpdated && weightsReorder != null) {
                weightsReorder.run(stream, problem);
                weightReordersTimed++;
            }
            runSteps(stream);
        } finally {
            OpenMpThreads.exit(before);
        }
        return System.nanoTime() - t0;
    }

    @Override public void close() {
        cachedWei = null;
        for (ThreadParts t : threadParts) {
            t.close();
        }
        for (int i = 0; i < copy.length; i++) {
            if (copy[i] != null) {
                shared.release(copy[i]);
                copy[i] = null;
            }
        }
        owned.close();
    }
}
