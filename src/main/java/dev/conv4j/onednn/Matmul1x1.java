package dev.conv4j.onednn;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.onednn.Pass.Binding;
import dev.conv4j.onednn.Pass.Op;
import dev.conv4j.onednn.Pass.Role;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A 1×1, stride-1, unpadded, ungrouped convolution as a oneDNN {@code matmul} on the user's own
 * tensors, bound through strided memory descriptors: no activation reorder at all. With
 * {@code M = N · spatial} rows, {@code W} the PyTorch weights {@code [OC, IC]}:
 *
 * <pre>
 * channels-last   fwd    dst[M,OC]      = src[M,IC] · Wᵀ[IC,OC]            (+ bias[1,OC])
 *                 bwd_d  diff_src[M,IC] = diff_dst[M,OC] · W[OC,IC]
 *                 bwd_w  diff_wei[OC,IC] = diff_dstᵀ[OC,M] · src[M,IC]
 * channels-first  fwd    dst[n][OC,S]   = W[OC,IC] · src[n][IC,S]           batched over n, W broadcast
 *                 bwd_d  diff_src[n][IC,S] = Wᵀ[IC,OC] · diff_dst[n][OC,S]
 *                 bwd_w  (N = 1 only: the batch sum is no single matmul) as channels-last, M = S
 * diff_bias[OC] = diff_dstᵀ[OC,M] · ones[M,1], a second matmul with the pass's own vector of ones
 * </pre>
 *
 * Why: oneDNN's channels-last backward-weights of 1×1 layers ({@code jit_1x1}) measured 1.5-2.1×
 * slower than its {@code any} primitive here, while this matmul on the same channels-last data
 * was within ±10 % of it, with no reorder.
 */
final class Matmul1x1 {
    private Matmul1x1() {}

    /** Whether {@code dir} of {@code spec} on {@code src} in {@code userLayout} is one matmul (pure Java). */
    static boolean eligible(ConvSpec spec, Shape src, Layout userLayout, Direction dir) {
        if (spec.transposed() || spec.groups() != 1 || spec.paddingMode() != PaddingMode.ZEROS) {
            return false;
        }
        int[] pl = ConvShapes.padLeft(spec, src);
        int[] pr = ConvShapes.exactPadRight(spec, src);
        for (int k = 0; k < spec.rank(); k++) {
            if (spec.kernel(k) != 1 || spec.stride(k) != 1 || pl[k] != 0 || pr[k] != 0) {
                return false;
            }
        }
        return !(userLayout == Layout.CHANNELS_FIRST && dir == Direction.BWD_W && src.dim(0) != 1);
    }

    /**
     * The ops of {@code dir} (call inside a PointerScope, for an {@link #eligible} problem), or
     * null when oneDNN has no matmul for them. {@code packed}: weights {@code any}, so oneDNN
     * may pick a layout of its own (backward-weights reads no weights: ignored).
     */
    static List<Op> ops(engine eng, DnnlMapping m, Layout userLayout, Direction dir, boolean packed) {
        long n = m.srcDims()[0];
        long ic = m.srcDims()[1];
        long oc = m.dstDims()[1];
        long s = 1;
        for (int d = 2; d < m.srcDims().length; d++) {
            s *= m.srcDims()[d];
        }
        long rows = n * s;
        boolean cl = userLayout == Layout.CHANNELS_LAST;
        long[] bia = m.biaDims();
        List<Op> ops = new ArrayList<>();
        switch (dir) {
            case FWD, BWD_D -> {
                // W is [OC, IC] row-major. Channels-last: dst = src · Wᵀ, diff_src = diff_dst · W;
                // channels-first, W on the left: dst = W · src, diff_src = Wᵀ · diff_dst.
                boolean fwd = dir == Direction.FWD;
                Side src = new Side(Role.SRC, m.srcDims(), ic);
                Side dst = new Side(Role.DST, m.fullDstDims(), oc);
                memory.desc w = fwd
                        ? (cl ? view(new long[] {ic, oc}, 1, ic) : view(new long[] {1, oc, ic}, oc * ic, ic, 1))
                        : (cl ? view(new long[] {oc, ic}, ic, 1) : view(new long[] {1, ic, oc}, oc * ic, 1, ic));
                Op op = fwd ? dataOp(eng, cl, n, s, src, dst, w, m.weiDims(), packed, bia)
                        : dataOp(eng, cl, n, s, new Side(Role.DIFF_DST, dst.dims(), oc),
                                new Side(Role.DIFF_SRC, src.dims(), ic), w, m.weiDims(), packed, null);
                if (op == null) {
                    return null;
                }
                ops.add(op);
            }
            case BWD_W -> {
                // diff_dstᵀ [OC, M] and src [M, IC] as views of either layout (channels-first: N = 1).
                memory.desc dyT = cl ? view(new long[] {oc, rows}, 1, oc) : view(new long[] {oc, rows}, rows, 1);
                memory.desc x = cl ? view(new long[] {rows, ic}, ic, 1) : view(new long[] {rows, ic}, 1, rows);
                memory.desc dw = view(new long[] {oc, ic}, ic, 1);
                primitive_desc pd = matmul(eng, dyT, x, new memory.desc(), dw);
                if (pd == null) {
                    return null;
                }
                Binding dyb = new Binding(Role.DIFF_DST, dnnl.DNNL_ARG_SRC, dyT, m.fullDstDims());
                ops.add(new Op(pd, List.of(dyb, new Binding(Role.SRC, dnnl.DNNL_ARG_WEIGHTS, x, m.srcDims()),
                        new Binding(Role.DIFF_WEI, dnnl.DNNL_ARG_DST, dw, m.weiDims()))));
                if (bia != null) {
                    memory.desc onesMd = view(new long[] {rows, 1}, 1, 1);
                    memory.desc db = view(new long[] {oc, 1}, 1, 1);
                    primitive_desc bpd = matmul(eng, dyT, onesMd, new memory.desc(), db);
                    if (bpd == null) {
                        return null;
                    }
                    ops.add(new Op(bpd, List.of(dyb, new Binding(Role.DIFF_BIA, dnnl.DNNL_ARG_DST, db, bia)),
                            new int[] {dnnl.DNNL_ARG_WEIGHTS}, new memory[] {ones(eng, onesMd, rows)}));
                }
            }
        }
        return ops;
    }

    /** An activation a matmul reads or writes: its role, its tensor's dims, its channels. */
    private record Side(Role role, long[] dims, long channels) {}

    /**
     * Forward or backward-data: {@code out} from {@code in} and the weights' user view {@code w}
     * ({@code [cIn, cOut]} channels-last; {@code [1, cOut, cIn]} channels-first, where the
     * weights are the left operand). Null without an implementation.
     */
    private static Op dataOp(engine eng, boolean cl, long n, long s, Side in, Side out,
                             memory.desc w, long[] weiDims, boolean packed, long[] bia) {
        long cIn = in.channels();
        long cOut = out.channels();
        memory.desc x = cl ? view(new long[] {n * s, cIn}, cIn, 1) : view(new long[] {n, cIn, s}, cIn * s, s, 1);
        memory.desc y = cl ? view(new long[] {n * s, cOut}, cOut, 1) : view(new long[] {n, cOut, s}, cOut * s, s, 1);
        memory.desc b = bia == null ? new memory.desc()
                : cl ? view(new long[] {1, cOut}, cOut, 1) : view(new long[] {1, cOut, 1}, cOut, 1, 1);
        memory.desc wPd = packed ? any(cl ? new long[] {cIn, cOut} : new long[] {1, cOut, cIn}) : w;
        primitive_desc pd = cl ? matmul(eng, x, wPd, b, y) : matmul(eng, wPd, x, b, y);
        if (pd == null) {
            return null;
        }
        List<Binding> bs = new ArrayList<>(List.of(
                new Binding(in.role(), cl ? dnnl.DNNL_ARG_SRC : dnnl.DNNL_ARG_WEIGHTS, x, in.dims()),
                new Binding(Role.WEI, cl ? dnnl.DNNL_ARG_WEIGHTS : dnnl.DNNL_ARG_SRC, w, weiDims),
                new Binding(out.role(), dnnl.DNNL_ARG_DST, y, out.dims())));
        if (bia != null) {
            bs.add(new Binding(Role.BIA, dnnl.DNNL_ARG_BIAS, b, bia));
        }
        return new Op(pd, bs);
    }

    /** The kernel's name as {@code Plan.implementation} shows it. */
    static String impl(List<Op> ops, boolean packed) {
        return ops.get(0).pd().impl_info_str().getString()
                + (packed ? " (1x1 as matmul, packed weights)" : " (1x1 as matmul)");
    }

    private static primitive_desc matmul(engine eng, memory.desc src, memory.desc wei, memory.desc bia, memory.desc dst) {
        matmul.primitive_desc pd = new matmul.primitive_desc(eng, src, wei, bia, dst, ConvPrimitives.attr(), true);
        return pd.asBoolean() ? pd : null;
    }

    private static memory.desc view(long[] dims, long... strides) {
        return new memory.desc(dims, memory.data_type.f32, strides);
    }

    private static memory.desc any(long... dims) {
        return new memory.desc(dims, memory.data_type.f32, memory.format_tag.any);
    }

    /** A column of {@code rows} ones, filled once (the pass owns it). */
    private static memory ones(engine eng, memory.desc md, long rows) {
        memory mem = new memory(md, eng);
        float[] one = new float[Math.toIntExact(rows)];
        Arrays.fill(one, 1f);
        new FloatPointer(mem.get_data_handle()).capacity(rows).put(one);
        return mem;
    }
}
