package dev.conv4j.onednn;

import dev.conv4j.Check;
import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.bench.RawBaseline;
import dev.conv4j.engine.LayoutPolicy;
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
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
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
        Check.arg(layout != LayoutPolicy.AUTO, "baseline-layout: AUTO is not one primitive; use any, channels-last or channels-first");
        return (spec, src, dir, training) -> create(spec, src, dir, training, layout);
    }

    private final List<Pointer> kept = new ArrayList<>();
    private final dnnl_primitive prim;
    private final dnnl_exec_arg_t args;
    private final int nargs;
    private final dnnl_stream strm;
    private final String impl;
    private final String problem;
    private boolean closed;

    private OneDnnBaseline(dnnl_primitive prim, dnnl_exec_arg_t args, int nargs, dnnl_stream strm, String impl,
                           String problem, List<Pointer> kept) {
        this.prim = prim;
        this.args = args;
        this.nargs = nargs;
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
            ArgList args = new ArgList();
            if (!spec.transposed()) {
                dnnl.algorithm alg = dnnl.algorithm.convolution_direct;
                convolution_forward.primitive_desc fwd = new convolution_forward.primitive_desc(eng, fwdKind, alg,
                        srcMd, weiMd, biaMd, dstMd, st, di, l, rr, attr, false);
                switch (dir) {
                    case FWD -> {
                        pd = fwd;
                        prim = new convolution_forward(fwd);
                        bindForward(args, fwd.src_desc(), fwd.weights_desc(), spec.bias() ? fwd.bias_desc() : null,
                                fwd.dst_desc(), keep);
                    }
                    case BWD_D -> {
                        convolution_backward_data.primitive_desc bd = new convolution_backward_data.primitive_desc(eng, alg,
                                srcMd, weiMd, dstMd, st, di, l, rr, fwd, attr, false);
                        pd = bd;
                        prim = new convolution_backward_data(bd);
                        bindBackwardData(args, bd.diff_dst_desc(), bd.weights_desc(), bd.diff_src_desc(), keep);
                    }
                    default -> {
                        convolution_backward_weights.primitive_desc bw = new convolution_backward_weights.primitive_desc(eng, alg,
                                srcMd, weiMd, biaMd, dstMd, st, di, l, rr, fwd, attr, false);
                        pd = bw;
                        prim = new convolution_backward_weights(bw);
                        bindBackwardWeights(args, bw.src_desc(), bw.diff_dst_desc(), bw.diff_weights_desc(),
                                spec.bias() ? bw.diff_bias_desc() : null, keep);
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
                                fwd.dst_desc(), keep);
                    }
                    case BWD_D -> {
                        deconvolution_backward_data.primitive_desc bd = new deconvolution_backward_data.primitive_desc(eng, alg,
                                srcMd, weiMd, dstMd, st, di, l, rr, fwd, attr, false);
                        pd = bd;
                        prim = new deconvolution_backward_data(bd);
                        bindBackwardData(args, bd.diff_dst_desc(), bd.weights_desc(), bd.diff_src_desc(), keep);
                    }
                    default -> {
                        deconvolution_backward_weights.primitive_desc bw = new deconvolution_backward_weights.primitive_desc(eng, alg,
                                srcMd, weiMd, biaMd, dstMd, st, di, l, rr, fwd, attr, false);
                        pd = bw;
                        prim = new deconvolution_backward_weights(bw);
                        bindBackwardWeights(args, bw.src_desc(), bw.diff_dst_desc(), bw.diff_weights_desc(),
                                spec.bias() ? bw.diff_bias_desc() : null, keep);
                    }
                }
            }
            memory.desc scratch = pd.scratchpad_desc();
            if (scratch.get_size() > 0) {
                args.put(dnnl.DNNL_ARG_SCRATCHPAD, keepMemory(scratch, keep, false));
            }
            String impl = pd.impl_info_str().getString();
            keep.add(prim.retainReference());
            // The argument array is built once and passed as is to the C API on every call.
            dnnl_exec_arg_t array = new dnnl_exec_arg_t(args.ids.size());
            for (int i = 0; i < args.ids.size(); i++) {
                array.getPointer(i).arg(args.ids.get(i)).memory(args.mems.get(i).get());
            }
            keep.add(array.retainReference());
            return new OneDnnBaseline(prim.get(), array, args.ids.size(), Holder.STREAM.get(), impl,
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
        int status = dnnl.dnnl_primitive_execute(prim, strm, nargs, args);
        if (status == 0) {
            status = dnnl.dnnl_stream_wait(strm);
        }
        if (status != 0) {
            throw NativeErrors.status(problem, "baseline execute", status);
        }
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

    /** Argument ids and memories, in the order they are bound. */
    private static final class ArgList {
        final List<Integer> ids = new ArrayList<>();
        final List<memory> mems = new ArrayList<>();

        void put(int id, memory m) {
            ids.add(id);
            mems.add(m);
        }
    }

    private static void bindForward(ArgList args, memory.desc src, memory.desc wei, memory.desc bia,
                                    memory.desc dst, List<Pointer> keep) {
        args.put(dnnl.DNNL_ARG_SRC, keepMemory(src, keep, true));
        args.put(dnnl.DNNL_ARG_WEIGHTS, keepMemory(wei, keep, true));
        if (bia != null) {
            args.put(dnnl.DNNL_ARG_BIAS, keepMemory(bia, keep, true));
        }
        args.put(dnnl.DNNL_ARG_DST, keepMemory(dst, keep, false));
    }

    private static void bindBackwardData(ArgList args, memory.desc diffDst, memory.desc wei, memory.desc diffSrc,
                                         List<Pointer> keep) {
        args.put(dnnl.DNNL_ARG_DIFF_DST, keepMemory(diffDst, keep, true));
        args.put(dnnl.DNNL_ARG_WEIGHTS, keepMemory(wei, keep, true));
        args.put(dnnl.DNNL_ARG_DIFF_SRC, keepMemory(diffSrc, keep, false));
    }

    private static void bindBackwardWeights(ArgList args, memory.desc src, memory.desc diffDst, memory.desc diffWei,
                                            memory.desc diffBia, List<Pointer> keep) {
        args.put(dnnl.DNNL_ARG_SRC, keepMemory(src, keep, true));
        args.put(dnnl.DNNL_ARG_DIFF_DST, keepMemory(diffDst, keep, true));
        args.put(dnnl.DNNL_ARG_DIFF_WEIGHTS, keepMemory(diffWei, keep, false));
        if (diffBia != null) {
            args.put(dnnl.DNNL_ARG_DIFF_BIAS, keepMemory(diffBia, keep, false));
        }
    }

    /** A library-allocated memory in layout {@code md}, kept past the scope; inputs get small non-zero values. */
    private static memory keepMemory(memory.desc md, List<Pointer> keep, boolean input) {
        memory m = new memory(md, Holder.ENGINE);
        if (input) {
            long floats = md.get_size() / Float.BYTES;
            FloatBuffer b = new FloatPointer(m.get_data_handle()).capacity(floats).asBuffer();
            for (int i = 0; i < b.capacity(); i++) {
                b.put(i, ((i % 13) - 6) * 0.01f);   // no zeros-only or denormal inputs
            }
        }
        keep.add(m.retainReference());
        return m;
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
