package dev.conv4j.onednn;

import dev.conv4j.Check;
import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.bench.RawBaseline;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.deconvolution_backward_data;
import org.bytedeco.dnnl.deconvolution_backward_weights;
import org.bytedeco.dnnl.deconvolution_forward;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * One oneDNN convolution (or deconvolution) primitive called directly, the way a C++ user
 * of oneDNN would: every memory descriptor {@code format_tag.any} (or, for the source and
 * destination, the tag of a fixed layout policy, to time the very primitive a plan under
 * that policy runs), memories allocated in the layouts the primitive chose, a user-mode
 * scratchpad, execute then wait (through the C API, with the argument array built once).
 * No conv4j plan, no reorders, no checks per call. {@code conv4j bench --baseline} times it
 * beside the plan of the same problem to measure the facade's overhead.
 *
 * <p>Optionally ({@code --baseline-outputs user}) it also does the layout work a C++ caller
 * holding tensors in conv4j's user layouts must do, where the primitive chose another layout:
 * its inputs start in those layouts (the activation layout given, PyTorch's weight layout),
 * and its output is reordered into the user's layout after every run. The activation input
 * of forward and of backward-data is reordered on every run too, as {@code conv4j bench}
 * hands the plan a changed input each time; the weights, and backward-weights' inputs (which
 * a training step has reordered already for the other two directions), are reordered once.
 * The plan under the same fixed layout policy does exactly this oneDNN work in the bench, so
 * the ratio is the cost of the Java facade alone.
 *
 * <p>It covers what maps one-to-one onto a oneDNN primitive: zero padding, any rank, groups,
 * stride, dilation, asymmetric padding, transposed. A non-zero padding mode (which conv4j
 * implements by pre-padding) has no raw equivalent and is rejected.
 */
public final class OneDnnBaseline implements RawBaseline {

    /** Creates baselines with every descriptor {@code any}; see {@link #create}. */
    public static final RawBaseline.Factory FACTORY = OneDnnBaseline::create;

    /**
     * Creates baselines whose source and destination are in {@code layout}'s tags
     * ({@code ANY}, {@code CHANNELS_LAST} or {@code CHANNELS_FIRST}; weights stay {@code any}).
     */
    public static RawBaseline.Factory factory(LayoutPolicy layout) {
        return factory(layout, null);
    }

    /**
     * As {@link #factory(LayoutPolicy)}; with {@code userLayout} non-null, the baselines also
     * convert from and to the user's layouts (activations in {@code userLayout}), see the class
     * comment.
     */
    public static RawBaseline.Factory factory(LayoutPolicy layout, Layout userLayout) {
        Check.arg(layout != LayoutPolicy.AUTO, "baseline-layout: AUTO is not one primitive; use any, channels-last or channels-first");
        return (spec, src, dir, training) -> create(spec, src, dir, training, layout, userLayout);
    }

    private final List<Pointer> kept = new ArrayList<>();
    private final Call[] calls;          // reorders of inputs, the convolution, the output's reorder (with user layouts)
    private final memory output;         // what the caller reads: the user-layout output, if converted
    private final dnnl_stream strm;
    private final String impl;
    private final String problem;
    private boolean closed;

    /** One primitive and its argument array, built once and passed as is to the C API. */
    private record Call(dnnl_primitive prim, dnnl_exec_arg_t args, int nargs) {}

    private OneDnnBaseline(Call[] calls, memory output, dnnl_stream strm, String impl, String problem, List<Pointer> kept) {
        this.calls = calls;
        this.output = output;
        this.strm = strm;
        this.impl = impl;
        this.problem = problem;
        this.kept.addAll(kept);
    }

    /**
     * Builds the primitive of {@code dir} for {@code spec} on input {@code src}.
     *
     * @param training whether the forward primitive uses {@code forward_training} (backward
     *                 directions always take a training forward descriptor as their hint)
     * @throws IllegalArgumentException if {@code src} does not fit {@code spec}, or the padding
     *         mode is not zeros
     */
    public static OneDnnBaseline create(ConvSpec spec, Shape src, Direction dir, boolean training) {
        return create(spec, src, dir, training, LayoutPolicy.ANY);
    }

    /** As {@link #create(ConvSpec, Shape, Direction, boolean)}, with source and destination in {@code layout}. */
    public static OneDnnBaseline create(ConvSpec spec, Shape src, Direction dir, boolean training, LayoutPolicy layout) {
        return create(spec, src, dir, training, layout, null);
    }

    /**
     * As {@link #create(ConvSpec, Shape, Direction, boolean, LayoutPolicy)}; with
     * {@code userLayout} non-null, inputs start in the user's layouts and the output is
     * converted into them (see the class comment).
     */
    public static OneDnnBaseline create(ConvSpec spec, Shape src, Direction dir, boolean training, LayoutPolicy layout,
                                        Layout userLayout) {
        ConvShapes.validateInput(spec, src);
        Check.arg(layout != LayoutPolicy.AUTO, "baseline-layout: AUTO is not one primitive; use any, channels-last or channels-first");
        Check.arg(spec.paddingMode() == PaddingMode.ZEROS,
                "baseline: padding_mode %s has no raw oneDNN primitive (conv4j pre-pads it); use zeros",
                spec.paddingMode().name().toLowerCase(java.util.Locale.ROOT));
        Shape dst = ConvShapes.dst(spec, src);
        int r = spec.rank();
        long[] strides = new long[r];
        long[] dilates = new long[r];
        long[] padL = new long[r];
        long[] padR = new long[r];
        int[] pl = ConvShapes.padLeft(spec, src);
        int[] pr = ConvShapes.exactPadRight(spec, src);
        for (int k = 0; k < r; k++) {
            strides[k] = spec.stride(k);
            dilates[k] = spec.dilation(k) - 1;   // oneDNN counts the gaps
            padL[k] = pl[k];
            padR[k] = pr[k];
        }
        List<Pointer> keep = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            engine eng = Holder.ENGINE;
            memory.desc srcMd = activationDesc(toLongs(src), layout);
            memory.desc dstMd = activationDesc(toLongs(dst), layout);
            memory.desc weiMd = anyDesc(weightDims(spec));
            memory.desc biaMd = spec.bias() ? anyDesc(new long[] {spec.outChannels()}) : new memory.desc();
            LongPointer st = new LongPointer(strides);
            LongPointer di = new LongPointer(dilates);
            LongPointer l = new LongPointer(padL);
            LongPointer rr = new LongPointer(padR);
            primitive_attr attr = new primitive_attr();
            attr.set_scratchpad_mode(dnnl.scratchpad_mode.user);
            dnnl.prop_kind fwdKind = (training || dir != Direction.FWD)
                    ? dnnl.prop_kind.forward_training : dnnl.prop_kind.forward_inference;

            primitive_desc pd;
            primitive prim;
            ArgList args = new ArgList(userLayout == null ? null : new UserLayouts(spec, src, dst, userLayout), keep);
            if (!spec.transposed()) {
                dnnl.algorithm alg = dnnl.algorithm.convolution_direct;
                convolution_forward.primitive_desc fwd = new convolution_forward.primitive_desc(eng, fwdKind, alg,
                        srcMd, weiMd, biaMd, dstMd, st, di, l, rr, attr, false);
                switch (dir) {
                    case FWD -> {
                        pd = fwd;
                        prim = new convolution_forward(fwd);
                        bindForward(args, fwd.src_desc(), fwd.weights_desc(), spec.bias() ? fwd.bias_desc() : null,
                                fwd.dst_desc());
                    }
                    case BWD_D -> {
                        convolution_backward_data.primitive_desc bd = new convolution_backward_data.primitive_desc(eng, alg,
                                srcMd, weiMd, dstMd, st, di, l, rr, fwd, attr, false);
                        pd = bd;
                        prim = new convolution_backward_data(bd);
                        bindBackwardData(args, bd.diff_dst_desc(), bd.weights_desc(), bd.diff_src_desc());
                    }
                    default -> {
                        convolution_backward_weights.primitive_desc bw = new convolution_backward_weights.primitive_desc(eng, alg,
                                srcMd, weiMd, biaMd, dstMd, st, di, l, rr, fwd, attr, false);
                        pd = bw;
                        prim = new convolution_backward_weights(bw);
                        bindBackwardWeights(args, bw.src_desc(), bw.diff_dst_desc(), bw.diff_weights_desc(),
                                spec.bias() ? bw.diff_bias_desc() : null);
                    }
                }
            } else {
                dnnl.algorithm alg = dnnl.algorithm.deconvolution_direct;
                deconvolution_forward.primitive_desc fwd = new deconvolution_forward.primitive_desc(eng, fwdKind, alg,
                        srcMd, weiMd, biaMd, dstMd, st, di, l, rr, attr, false);
                switch (dir) {
                    case FWD -> {
                        pd = fwd;
                        prim = new deconvolution_forward(fwd);
                        bindForward(args, fwd.src_desc(), fwd.weights_desc(), spec.bias() ? fwd.bias_desc() : null,
                                fwd.dst_desc());
                    }
                    case BWD_D -> {
                        deconvolution_backward_data.primitive_desc bd = new deconvolution_backward_data.primitive_desc(eng, alg,
                                srcMd, weiMd, dstMd, st, di, l, rr, fwd, attr, false);
                        pd = bd;
                        prim = new deconvolution_backward_data(bd);
                        bindBackwardData(args, bd.diff_dst_desc(), bd.weights_desc(), bd.diff_src_desc());
                    }
                    default -> {
                        deconvolution_backward_weights.primitive_desc bw = new deconvolution_backward_weights.primitive_desc(eng, alg,
                                srcMd, weiMd, biaMd, dstMd, st, di, l, rr, fwd, attr, false);
                        pd = bw;
                        prim = new deconvolution_backward_weights(bw);
                        bindBackwardWeights(args, bw.src_desc(), bw.diff_dst_desc(), bw.diff_weights_desc(),
                                spec.bias() ? bw.diff_bias_desc() : null);
                    }
                }
            }
            memory.desc scratch = pd.scratchpad_desc();
            if (scratch.get_size() > 0) {
                args.output(dnnl.DNNL_ARG_SCRATCHPAD, scratch);
            }
            String impl = pd.impl_info_str().getString();
            keep.add(prim.retainReference());
            List<Call> calls = new ArrayList<>(args.before);
            calls.add(call(prim, args.ids, args.mems, keep));
            memory output = args.mems.get(args.ids.indexOf(mainOutput(dir)));
            if (userLayout != null) {
                memory user = args.userMemory(mainOutput(dir), false, output.get_desc());
                if (user != null) {
                    calls.add(reorderCall(output, user, keep));
                    output = user;
                }
            }
            return new OneDnnBaseline(calls.toArray(new Call[0]), output, Holder.STREAM.get(), impl,
                    spec + " on " + src + " " + dir.label(), keep);
        } catch (RuntimeException e) {
            for (Pointer p : keep) {
                p.releaseReference();
            }
            throw e;
        }
    }

    @Override
    public void run() {
        Check.state(!closed, "baseline: used after close");
        // The C API, as conv4j's plans use it: the C++ execute() builds an argument vector per
        // call, and its wait() returns a new Java wrapper per call.
        execute(calls, strm, problem, "baseline execute");
    }

    /** Runs {@code calls} in order and waits, through the C API; a failure names {@code what}. */
    private static void execute(Call[] calls, dnnl_stream strm, String problem, String what) {
        int status = 0;
        for (int i = 0; i < calls.length && status == 0; i++) {
            status = dnnl.dnnl_primitive_execute(calls[i].prim, strm, calls[i].nargs, calls[i].args);
        }
        if (status == 0) {
            status = dnnl.dnnl_stream_wait(strm);
        }
        if (status != 0) {
            throw NativeErrors.status(problem, what, status);
        }
    }

    /** How many reorders run besides the convolution on every run (tests). */
    int conversions() {
        return calls.length - 1;
    }

    /**
     * The output of the last run (destination, source gradient or weight gradient), in the
     * user's layout when converting (tests); valid until close.
     */
    FloatBuffer output() {
        Check.state(!closed, "baseline: used after close");
        return GatherStep.view(output);
    }

    @Override
    public String implementation() {
        return impl;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = kept.size() - 1; i >= 0; i--) {
            kept.get(i).releaseReference();
        }
        kept.clear();
    }

    // ---- helpers -----------------------------------------------------------------------

    /**
     * The engine of conv4j's plans (so that native-config's ISA cap applies alike) and one
     * stream for every baseline, created on first use.
     */
    private static final class Holder {
        static final engine ENGINE = NativeRuntime.get().engine();
        static final stream STREAM = new stream(ENGINE).retainReference();
    }

    /** The direction's output: what the caller reads. */
    private static int mainOutput(Direction dir) {
        return switch (dir) {
            case FWD -> dnnl.DNNL_ARG_DST;
            case BWD_D -> dnnl.DNNL_ARG_DIFF_SRC;
            case BWD_W -> dnnl.DNNL_ARG_DIFF_WEIGHTS;
        };
    }

    /**
     * Argument ids and the memories bound to them, in order. Inputs hold small non-zero values,
     * written in the primitive's layout; with user layouts, written in the user's layout and
     * reordered into the primitive's once, or before every run ({@link #before}).
     */
    private static final class ArgList {
        final List<Integer> ids = new ArrayList<>();
        final List<memory> mems = new ArrayList<>();
        final List<Call> before = new ArrayList<>();   // reorders of inputs on every run
        private final UserLayouts userLayouts;   // null: no conversions
        private final List<Pointer> keep;

        ArgList(UserLayouts userLayouts, List<Pointer> keep) {
            this.userLayouts = userLayouts;
            this.keep = keep;
        }

        /** @param everyRun with user layouts, whether the input is reordered on every run, else once */
        void input(int id, memory.desc md, boolean everyRun) {
            memory m = keep(new memory(md, Holder.ENGINE), keep);
            memory user = userMemory(id, true, md);
            if (user == null) {
                fill(m);
            } else if (everyRun) {
                before.add(reorderCall(user, m, keep));
            } else {
                execute(new Call[] {reorderCall(user, m, keep)}, Holder.STREAM.get(), "baseline", "reorder of an input");
            }
            ids.add(id);
            mems.add(m);
        }

        void output(int id, memory.desc md) {
            ids.add(id);
            mems.add(keep(new memory(md, Holder.ENGINE), keep));
        }

        /**
         * A memory in the user's layout for argument {@code id} (filled when an input), or
         * {@code null} when not converting or when the primitive's layout is the user's already.
         */
        memory userMemory(int id, boolean input, memory.desc primMd) {
            if (userLayouts == null) {
                return null;
            }
            memory.desc userMd = userLayouts.desc(id);
            if (!primMd.notEquals(userMd)) {
                return null;
            }
            memory user = keep(new memory(userMd, Holder.ENGINE), keep);
            if (input) {
                fill(user);
            }
            return user;
        }
    }

    /** The user's memory descriptor of each argument: PyTorch's layouts, activations in one layout. */
    private record UserLayouts(ConvSpec spec, Shape src, Shape dst, Layout activations) {
        memory.desc desc(int id) {
            long[] dims;
            String tag;
            if (id == dnnl.DNNL_ARG_SRC || id == dnnl.DNNL_ARG_DIFF_SRC || id == dnnl.DNNL_ARG_DST
                    || id == dnnl.DNNL_ARG_DIFF_DST) {
                dims = toLongs(id == dnnl.DNNL_ARG_SRC || id == dnnl.DNNL_ARG_DIFF_SRC ? src : dst);
                tag = activations == Layout.CHANNELS_LAST ? DnnlMapping.channelsLast(dims.length) : DnnlMapping.plain(dims.length);
            } else if (id == dnnl.DNNL_ARG_WEIGHTS || id == dnnl.DNNL_ARG_DIFF_WEIGHTS) {
                dims = weightDims(spec);
                tag = DnnlMapping.weightsTag(spec.transposed(), spec.groups() > 1, dims.length);
            } else {
                dims = new long[] {spec.outChannels()};
                tag = "a";
            }
            return new memory.desc(new LongPointer(dims), memory.data_type.f32, memory.format_tag.valueOf(tag));
        }
    }

    private static void bindForward(ArgList args, memory.desc src, memory.desc wei, memory.desc bia, memory.desc dst) {
        args.input(dnnl.DNNL_ARG_SRC, src, true);
        args.input(dnnl.DNNL_ARG_WEIGHTS, wei, false);
        if (bia != null) {
            args.input(dnnl.DNNL_ARG_BIAS, bia, false);
        }
        args.output(dnnl.DNNL_ARG_DST, dst);
    }

    private static void bindBackwardData(ArgList args, memory.desc diffDst, memory.desc wei, memory.desc diffSrc) {
        args.input(dnnl.DNNL_ARG_DIFF_DST, diffDst, true);
        args.input(dnnl.DNNL_ARG_WEIGHTS, wei, false);
        args.output(dnnl.DNNL_ARG_DIFF_SRC, diffSrc);
    }

    private static void bindBackwardWeights(ArgList args, memory.desc src, memory.desc diffDst, memory.desc diffWei,
                                            memory.desc diffBia) {
        args.input(dnnl.DNNL_ARG_SRC, src, false);
        args.input(dnnl.DNNL_ARG_DIFF_DST, diffDst, false);
        args.output(dnnl.DNNL_ARG_DIFF_WEIGHTS, diffWei);
        if (diffBia != null) {
            args.output(dnnl.DNNL_ARG_DIFF_BIAS, diffBia);
        }
    }

    /** A primitive call with its argument array built once, both kept past the scope. */
    private static Call call(primitive prim, List<Integer> ids, List<memory> mems, List<Pointer> keep) {
        dnnl_exec_arg_t array = new dnnl_exec_arg_t(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            array.getPointer(i).arg(ids.get(i)).memory(mems.get(i).get());
        }
        keep.add(array.retainReference());
        return new Call(prim.get(), array, ids.size());
    }

    /** A reorder from {@code from} to {@code to} (library-managed scratchpad), kept past the scope. */
    private static Call reorderCall(memory from, memory to, List<Pointer> keep) {
        reorder r = new reorder(new reorder.primitive_desc(from, to, new primitive_attr(), false));
        keep.add(r.retainReference());
        return call(r, List.of(dnnl.DNNL_ARG_FROM, dnnl.DNNL_ARG_TO), List.of(from, to), keep);
    }

    private static memory keep(memory m, List<Pointer> keep) {
        keep.add(m.retainReference());
        return m;
    }

    /** Small non-zero values by storage index: no zeros-only or denormal inputs. */
    private static void fill(memory m) {
        FloatBuffer b = GatherStep.view(m);
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, fillValue(i));
        }
    }

    /** The value {@link #fill} writes at storage index {@code i} (tests build the same tensors). */
    static float fillValue(int i) {
        return ((i % 13) - 6) * 0.01f;
    }

    private static memory.desc activationDesc(long[] dims, LayoutPolicy layout) {
        String tag = switch (layout) {
            case CHANNELS_LAST -> DnnlMapping.channelsLast(dims.length);
            case CHANNELS_FIRST -> DnnlMapping.plain(dims.length);
            case ANY, AUTO -> "any";
        };
        return new memory.desc(new LongPointer(dims), memory.data_type.f32, memory.format_tag.valueOf(tag));
    }

    private static memory.desc anyDesc(long[] dims) {
        return new memory.desc(new LongPointer(dims), memory.data_type.f32, memory.format_tag.any);
    }

    private static long[] toLongs(Shape s) {
        long[] d = new long[s.rank()];
        for (int i = 0; i < d.length; i++) {
            d[i] = s.dim(i);
        }
        return d;
    }

    /**
     * oneDNN's weight dims: {@code [OC, IC, K...]}, with groups {@code [G, OC/G, IC/G, K...]};
     * the same for a deconvolution (oneDNN names the channels by the primitive's own src/dst).
     */
    static long[] weightDims(ConvSpec spec) {
        int r = spec.rank();
        int g = spec.groups();
        long[] d = new long[(g > 1 ? 3 : 2) + r];
        int i = 0;
        if (g > 1) {
            d[i++] = g;
        }
        d[i++] = spec.outChannels() / g;
        d[i++] = spec.inChannels() / g;
        for (int k = 0; k < r; k++) {
            d[i++] = spec.kernel(k);
        }
        return d;
    }
}
