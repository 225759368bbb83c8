package dev.conv4j.onednn;

import dev.conv4j.Direction;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.javacpp.Pointer;

/**
 * One direction of a plan, ready to run: reorders of the inputs into the primitive's layout,
 * the convolution, reorders of the outputs back. A reorder exists only where oneDNN chose a
 * layout other than the user's. Weights keep their reordered copy between calls and are
 * reordered again only when the weight tensor's identity or version changes.
 */
final class Pass implements AutoCloseable {
    /** The tensors a pass reads or writes, with their oneDNN argument ids. */
    enum Role {
        SRC(dnnl.DNNL_ARG_SRC), WEI(dnnl.DNNL_ARG_WEIGHTS), BIA(dnnl.DNNL_ARG_BIAS), DST(dnnl.DNNL_ARG_DST),
        DIFF_SRC(dnnl.DNNL_ARG_DIFF_SRC), DIFF_WEI(dnnl.DNNL_ARG_DIFF_WEIGHTS),
        DIFF_BIA(dnnl.DNNL_ARG_DIFF_BIAS), DIFF_DST(dnnl.DNNL_ARG_DIFF_DST);

        final int arg;

        Role(int arg) {
            this.arg = arg;
        }
    }

    final Direction dir;
    final LayoutPolicy layout;
    final String impl;
    private final Owned owned = new Owned();
    private final engine eng;
    private final String problem;
    private final UserMemory[] user = new UserMemory[Role.values().length];
    private final List<Step> before = new ArrayList<>();
    private final List<Step> after = new ArrayList<>();
    private Step weightsReorder;
    private final Step[] steps;           // before + main + after, in order
    private final Role[] stepInput;       // the input a step reorders, else null
    // Activation inputs reordered into a copy shared with the plan's other passes.
    private final ConvertedInputs shared;
    private final ConvertedInputs.Copy[] copy = new ConvertedInputs.Copy[Role.values().length];
    private final boolean[] current = new boolean[Role.values().length];   // copy already holds the bound tensor
    private final Tensor[] bound = new Tensor[Role.values().length];
    private final List<Role> beforeInputs = new ArrayList<>();
    long reordersSkipped;   // tests
    private Tensor cachedWei;
    private Tensor weiCf;                 // channels-first copy of channels-last weights
    private long cachedWeiVersion;

    /**
     * Builds the pass of {@code pd} (call inside a PointerScope); reordered activation inputs
     * go to copies in {@code shared}.
     */
    Pass(engine eng, DnnlMapping m, Direction dir, LayoutPolicy layout, primitive_desc pd, String problem,
         ConvertedInputs shared) {
        this.eng = eng;
        this.shared = shared;
        this.dir = dir;
        this.layout = layout;
        this.problem = problem;
        this.impl = pd.impl_info_str().getString();
        try {
            memory.desc userSrc = ConvPrimitives.md(m.srcDims(), m.srcTag());
            memory.desc userDst = m.cropped()
                    ? new memory.desc(m.dstDims(), memory.data_type.f32, m.fullDstStrides())
                    : ConvPrimitives.md(m.dstDims(), m.dstTag());
            memory.desc userWei = ConvPrimitives.md(m.weiDims(), m.weiTag());
            List<Integer> ids = new ArrayList<>();
            List<memory> mems = new ArrayList<>();
            switch (dir) {
                case FWD -> {
                    add(ids, mems, Role.SRC, input(Role.SRC, pd.src_desc(), userSrc, m.srcDims(), false));
                    add(ids, mems, Role.WEI, input(Role.WEI, pd.weights_desc(), userWei, m.weiDims(), true));
                    if (m.biaDims() != null) {
                        add(ids, mems, Role.BIA, input(Role.BIA, pd.weights_desc(1), ConvPrimitives.biasMd(m), m.biaDims(), false));
                    }
                    add(ids, mems, Role.DST, output(Role.DST, pd.dst_desc(), userDst, m.fullDstDims()));
                }
                case BWD_D -> {
                    add(ids, mems, Role.DIFF_DST, input(Role.DIFF_DST, pd.diff_dst_desc(), userDst, m.fullDstDims(), false));
                    add(ids, mems, Role.WEI, input(Role.WEI, pd.weights_desc(), userWei, m.weiDims(), true));
                    add(ids, mems, Role.DIFF_SRC, output(Role.DIFF_SRC, pd.diff_src_desc(), userSrc, m.srcDims()));
                }
                case BWD_W -> {
                    add(ids, mems, Role.SRC, input(Role.SRC, pd.src_desc(), userSrc, m.srcDims(), false));
                    add(ids, mems, Role.DIFF_DST, input(Role.DIFF_DST, pd.diff_dst_desc(), userDst, m.fullDstDims(), false));
                    add(ids, mems, Role.DIFF_WEI, output(Role.DIFF_WEI, pd.diff_weights_desc(), userWei, m.weiDims()));
                    if (m.biaDims() != null) {
                        add(ids, mems, Role.DIFF_BIA, output(Role.DIFF_BIA, pd.diff_weights_desc(1), ConvPrimitives.biasMd(m), m.biaDims()));
                    }
                }
            }
            int[] idArray = ids.stream().mapToInt(Integer::intValue).toArray();
            Step main = new Step(owned, eng, pd, new primitive(pd), dir.label() + " " + impl, idArray,
                    mems.toArray(new memory[0]));
            List<Step> all = new ArrayList<>(before);
            all.add(main);
            all.addAll(after);
            this.steps = all.toArray(new Step[0]);
            this.stepInput = new Role[steps.length];
            for (int i = 0; i < beforeInputs.size(); i++) {
                stepInput[i] = beforeInputs.get(i);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static void add(List<Integer> ids, List<memory> mems, Role role, memory mem) {
        ids.add(role.arg);
        mems.add(mem);
    }

    /** The memory the primitive reads for {@code role}: the user's, or a reordered copy. */
    private memory input(Role role, memory.desc convMd, memory.desc userMd, long[] dims, boolean weights) {
        UserMemory u = new UserMemory(owned, userMd, eng, dims);
        user[role.ordinal()] = u;
        if (!convMd.notEquals(userMd)) {
            return u.mem;
        }
        // Reorder only if the primitive picked a different layout than the user tensor.
        memory conv;
        if (weights) {
            conv = owned.own(new memory(convMd, eng));
        } else {
            copy[role.ordinal()] = shared.acquire(role, convMd, eng);
            conv = copy[role.ordinal()].mem;
        }
        Step r = reorderStep(u.mem, conv, "reorder of " + role.name().toLowerCase(java.util.Locale.ROOT));
        if (weights) {
            weightsReorder = r;
        } else {
            before.add(r);
            beforeInputs.add(role);
        }
        return conv;
    }

    /** The memory the primitive writes for {@code role}, reordered to the user's after. */
    private memory output(Role role, memory.desc convMd, memory.desc userMd, long[] dims) {
        UserMemory u = new UserMemory(owned, userMd, eng, dims);
        user[role.ordinal()] = u;
        if (!convMd.notEquals(userMd)) {
            return u.mem;
        }
        memory conv = owned.own(new memory(convMd, eng));
        after.add(reorderStep(conv, u.mem, "reorder of " + role.name().toLowerCase(java.util.Locale.ROOT)));
        return conv;
    }

    private Step reorderStep(memory from, memory to, String what) {
        reorder.primitive_desc rpd = new reorder.primitive_desc(from, to, ConvPrimitives.attr(), true);
        if (!rpd.asBoolean()) {
            throw NativeErrors.unimplemented(problem, dir, what);
        }
        return new Step(owned, eng, rpd, new reorder(rpd), what,
                new int[] {dnnl.DNNL_ARG_FROM, dnnl.DNNL_ARG_TO}, new memory[] {from, to});
    }

    boolean has(Role role) {
        return user[role.ordinal()] != null;
    }

    /**
     * Points {@code role} at {@code t}; {@code read} for inputs (copies heap tensors in, unless
     * the shared reordered copy already holds {@code t}, whose reorder is then skipped).
     */
    void bind(Role role, Tensor t, boolean read) {
        int r = role.ordinal();
        ConvertedInputs.Copy c = copy[r];
        current[r] = read && c != null && c.holds(t);
        bound[r] = t;
        user[r].bind(t, read && !current[r], problem);
    }

    /** Points {@code role} at a direct buffer of the plan's own (not a tensor: never skipped). */
    void bind(Role role, java.nio.FloatBuffer direct) {
        current[role.ordinal()] = false;
        bound[role.ordinal()] = null;
        user[role.ordinal()].bind(direct, problem);
    }

    /** Binds the weights, reordering them only when the tensor or its version changed. */
    void bindWeights(Tensor wei, dnnl_stream stream) {
        if (wei == cachedWei && wei.version() == cachedWeiVersion) {
            return;
        }
        cachedWei = null;   // stays unset if the reorder fails
        if (wei.layout() == Layout.CHANNELS_FIRST) {
            user[Role.WEI.ordinal()].bind(wei, true, problem);
        } else {
            // A channels-last weight tensor is [OC, K..., IC/G] in storage: convert once per change.
            if (weiCf == null) {
                weiCf = Tensor.allocate(wei.shape());
            }
            weiCf.copyFrom(wei);
            user[Role.WEI.ordinal()].bind(weiCf, true, problem);
        }
        if (weightsReorder != null) {
            weightsReorder.run(stream, problem);
        }
        cachedWei = wei;
        cachedWeiVersion = wei.version();
    }

    /** Runs every step (but reorders into a copy that is current) and waits for the stream. */
    void execute(dnnl_stream stream) {
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
        int status = dnnl.dnnl_stream_wait(stream);
        if (status != 0) {
            throw NativeErrors.status(problem, "stream wait", status);
        }
        for (Role input : stepInput) {
            if (input != null && bound[input.ordinal()] != null) {
                copy[input.ordinal()].record(bound[input.ordinal()]);
            }
        }
    }

    /** Copies a heap output back and records the write. */
    void finish(Role role, Tensor t) {
        user[role.ordinal()].finish(t);
    }

    /** The largest scratchpad a step of this pass needs, in bytes. */
    long scratchpadBytes() {
        long bytes = weightsReorder == null ? 0 : weightsReorder.scratchpadBytes;
        for (Step s : steps) {
            bytes = Math.max(bytes, s.scratchpadBytes);
        }
        return bytes;
    }

    /** Points every step's scratchpad at {@code buffer}, of at least {@link #scratchpadBytes()}. */
    void useScratchpad(Pointer buffer) {
        if (weightsReorder != null) {
            weightsReorder.useScratchpad(buffer, problem);
        }
        for (Step s : steps) {
            s.useScratchpad(buffer, problem);
        }
    }

    /** The distinct addresses the steps' scratchpads point at (tests). */
    Set<Long> scratchpadAddresses() {
        Set<Long> out = new HashSet<>();
        if (weightsReorder != null && weightsReorder.scratchpadBytes > 0) {
            out.add(weightsReorder.scratchpadAddress());
        }
        for (Step s : steps) {
            if (s.scratchpadBytes > 0) {
                out.add(s.scratchpadAddress());
            }
        }
        return out;
    }

    /** Median time of {@code runs} executions on zero-filled buffers, in nanoseconds (AUTO). */
    long time(dnnl_stream stream, int runs) {
        for (Role r : Role.values()) {
            UserMemory u = user[r.ordinal()];
            if (u != null) {
                u.bindScratch(problem);
                current[r.ordinal()] = false;
                bound[r.ordinal()] = null;
            }
        }
        if (weightsReorder != null) {
            weightsReorder.run(stream, problem);
        }
        cachedWei = null;
        execute(stream);   // warm-up
        long[] t = new long[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            execute(stream);
            t[i] = System.nanoTime() - t0;
        }
        for (UserMemory u : user) {
            if (u != null) {
                u.dropScratch();
            }
        }
        java.util.Arrays.sort(t);
        return t[runs / 2];
    }

    @Override public void close() {
        cachedWei = null;
        for (int i = 0; i < copy.length; i++) {
            if (copy[i] != null) {
                shared.release(copy[i]);
                copy[i] = null;
            }
        }
        owned.close();
    }
}
