package dev.conv4j.onednn;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.onednn.GemmStep.Matrix;
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
import org.bytedeco.dnnl.reorder;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A 1×1, unpadded, ungrouped convolution as a oneDNN {@code matmul} on the user's own tensors,
 * bound through strided memory descriptors: at stride 1 no activation reorder at all. With
 * {@code M = N · spatial} rows, {@code W} the PyTorch weights {@code [OC, IC]}:
 *
 * <pre>
 * channels-last   fwd    dst[M,OC]      = src[M,IC] · Wᵀ[IC,OC]            (+ bias[1,OC])
 *                 bwd_d  diff_src[M,IC] = diff_dst[M,OC] · W[OC,IC]
 *                 bwd_w  diff_wei[OC,IC] = diff_dstᵀ[OC,M] · src[M,IC]
 *                   or   diff_weiᵀ[IC,OC] = srcᵀ[IC,M] · diff_dst[M,OC]   (into a buffer, reordered after)
 *                 fwd and bwd_w, stride s: src is first gathered (a reorder from a strided view
 *                        of the user's source) into a dense [M,IC] buffer of the pass; in a pass
 *                        computed in slices of the minibatch, a slice at a time
 *                 bwd_w, GEMM_PADDED: src (at stride 1) and/or diff_dst first copied into rows
 *                        padded by {@link PaddedRows#paddedRow}, where their rows would be a
 *                        multiple of 4 KB apart
 *                 bwd_w, GEMM_IM2COL, a kernel larger than 1×1 (no 1×1 layer then):
 *                        diff_wei[OC,IC·T] = diff_dstᵀ[OC,M] · colsᵀ[M,IC·T], the source's
 *                        columns built first by {@link Im2col}
 * spatial size 1 ({@code [N, C, 1, 1]}): channels-first tensors are the same memory, and take the rows above
 * channels-first  fwd    dst[n][OC,S]   = W[OC,IC] · src[n][IC,S]           batched over n, W broadcast
 *                 bwd_d  diff_src[n][IC,S] = Wᵀ[IC,OC] · diff_dst[n][OC,S]
 *                 bwd_w  (N = 1, stride 1 only: the batch sum is no single matmul) as channels-last, M = S
 * diff_bias[OC] = diff_dstᵀ[OC,M] · ones[M,1] (or onesᵀ[1,M] · diff_dst[M,OC]), a second matmul
 * with the pass's own vector of ones
 * </pre>
 *
 * The transposed product is written densely and reordered into diff_wei by the pass: for a
 * transposed view of diff_wei as destination oneDNN 3.11 has only its reference matmul.
 *
 * Why: oneDNN's channels-last backward-weights of 1×1 layers ({@code jit_1x1}) measured 1.1-2.1×
 * slower than its {@code any} primitive here, while this matmul on the same channels-last data
 * was within ±10 % of it, with no reorder (stride 1). A strided forward gathers its source
 * and can still win: at mb 32 on channels-last tensors, {@code res4a_branch1} (512→1024, 28×28,
 * stride 2) took 14.2 ms as the gathered matmul with packed weights and 14.8 ms on oneDNN's
 * {@code brgconv_1x1} (one probe, the plans side by side); where the gather costs more (a
 * 56×56 source), {@code AUTO} keeps the convolution.
 */
final class Matmul1x1 {
    private Matmul1x1() {}

    /**
     * Whether {@code dir} of {@code spec} on {@code src} in {@code userLayout} is one matmul
     * (pure Java): stride 1 in every direction, but for channels-first tensors with a spatial
     * size above 1, backward-weights at N = 1 only (the batch sum is no single matmul); a stride
     * above 1 for forward and backward-weights on rows of channels only (channels-last, or a
     * spatial size of 1), through a gathered copy of the source, where each stride divides its
     * input size (ResNet's 56/28/14 at stride 2).
     */
    static boolean eligible(ConvSpec spec, Shape src, Layout userLayout, Direction dir) {
        if (spec.transposed() || spec.groups() != 1 || spec.paddingMode() != PaddingMode.ZEROS) {
            return false;
        }
        int[] pl = ConvShapes.padLeft(spec, src);
        int[] pr = ConvShapes.exactPadRight(spec, src);   // negative: trailing rows a stride skips
        boolean strided = false;
        boolean divides = true;
        for (int k = 0; k < spec.rank(); k++) {
            if (spec.kernel(k) != 1 || pl[k] != 0 || pr[k] > 0) {
                return false;
            }
            strided |= spec.stride(k) != 1;
            divides &= src.spatial(k) % spec.stride(k) == 0;
        }
        if (strided && !divides) {
            return false;   // oneDNN takes no strided view whose rows reach past the next dimension's
        }
        boolean rows = channelRows(src.elementCount() / ((long) src.dim(0) * src.dim(1)), userLayout);
        if (strided) {
            return rows && dir != Direction.BWD_D;
        }
        return rows || dir != Direction.BWD_W || src.dim(0) == 1;
    }

    /**
     * Whether matmul candidate {@code c} applies to {@code dir} of {@code spec} on {@code src} in
     * {@code userLayout} (pure Java): the problem is {@link #eligible}, and {@link
     * Candidate#GEMM_PADDED} is backward-weights whose source or gradient, read as rows, has
     * rows that {@link PaddedRows#paddedRow} pads (a strided layer's source is padded by its
     * gather already).
     */
    static boolean applies(Candidate c, ConvSpec spec, Shape src, Layout userLayout, Direction dir) {
        if (c == Candidate.GEMM_IM2COL) {
            return Im2col.applies(spec, src, userLayout, dir);
        }
        if (!eligible(spec, src, userLayout, dir)) {
            return false;
        }
        if (c != Candidate.GEMM_PADDED) {
            return true;
        }
        boolean strided = false;
        for (int k = 0; k < spec.rank(); k++) {
            strided |= spec.stride(k) != 1;
        }
        long spatial = src.elementCount() / ((long) src.dim(0) * src.dim(1));
        return dir == Direction.BWD_W
                && PaddedCopies.of(channelRows(spatial, userLayout), strided, src.dim(1), spec.outChannels()).any();
    }

    /** What {@link Candidate#GEMM_PADDED} copies into padded rows before its product: the source, the gradient. */
    private record PaddedCopies(boolean source, boolean gradient) {
        /**
         * For operands read as rows ({@code asRows}) of {@code ic} and {@code oc} channels: the
         * source at stride 1 (a stride gathers it anyway), each where {@link #padded} says.
         */
        static PaddedCopies of(boolean asRows, boolean strided, long ic, long oc) {
            return new PaddedCopies(asRows && !strided && padded(ic), asRows && padded(oc));
        }

        boolean any() {
            return source || gradient;
        }
    }

    /** Whether rows of {@code channels} floats get padded ({@link PaddedRows#paddedRow}). */
    private static boolean padded(long channels) {
        return PaddedRows.paddedRow(channels) != channels;
    }

    /**
     * Whether the activations are read as rows {@code [M, C]} ({@code M = N · spatial}): those
     * of channels-last tensors, and those of any tensor of spatial size 1, whose two layouts
     * are the same memory ({@code [N, C, 1, 1]}, a classifier's head). Otherwise they are
     * channels-first {@code [N][C, S]}, and backward-weights, whose sum over the batch is no
     * single product, is one matmul only at {@code N = 1}.
     */
    static boolean channelRows(long spatialSize, Layout userLayout) {
        return userLayout == Layout.CHANNELS_LAST || spatialSize == 1;
    }

    /** The ops of a pass and the kernel's name as {@code Plan.implementation} shows it. */
    record Ops(List<Op> ops, String impl) {}

    /**
     * The ops of matmul candidate {@code c} in {@code dir} (call inside a PointerScope, for an
     * {@link #eligible} problem), or null when oneDNN has no matmul for them or {@code c} does
     * not apply ({@link Candidate#GEMM_PADDED} where neither the source's nor the gradient's rows
     * need padding).
     * {@link Candidate#MATMUL_PACKED}: weights {@code any}, so oneDNN may pick a layout of its
     * own (backward-weights reads no weights: the plain matmul); the transposed, {@code sgemm}
     * and padded candidates are backward-weights' (other directions: the plain matmul).
     */
    static Ops ops(engine eng, DnnlMapping m, Layout userLayout, Direction dir, Candidate c) {
        return ops(eng, m, userLayout, dir, c, 1);
    }

    /**
     * As above; {@code parts}: the OpenMP threads a pass may split its work among ({@link
     * Candidate#GEMM_PARTS}, which needs two or more).
     */
    static Ops ops(engine eng, DnnlMapping m, Layout userLayout, Direction dir, Candidate c, int parts) {
        long[] srcDims = m.srcDims();
        long spatial = spatialSize(srcDims);
        boolean asRows = channelRows(spatial, userLayout);
        if (c == Candidate.GEMM_IM2COL) {
            Im2col.Columns columns = Im2col.of(eng, m);
            return columns == null ? null : backwardWeights(eng, m, asRows, false, true, false, false, columns);
        }
        if (dir == Direction.BWD_W) {
            boolean padded = c == Candidate.GEMM_PADDED;
            PaddedCopies copies = padded ? PaddedCopies.of(asRows, m.strided(), srcDims[1], m.dstDims()[1])
                    : new PaddedCopies(false, false);
            if (padded && !copies.any()) {
                return null;   // rows that need no padding: the same as GEMM
            }
            if (c == Candidate.GEMM_PARTS) {
                // sgemm on one thread packs rows 4 KB apart into buffers of its own: only the gradient
                // is worth copying, and not on top of a gathered source (two copies, one split).
                boolean gradient = PaddedCopies.of(asRows, m.strided(), srcDims[1], m.dstDims()[1]).gradient();
                return parts > 1 && !(m.strided() && gradient) && splitsInto(m, gradient, parts) > 1
                        ? backwardWeightsInParts(eng, m, asRows, gradient, parts) : null;
            }
            return backwardWeights(eng, m, asRows, c == Candidate.MATMUL_TRANSPOSED || c == Candidate.GEMM_TRANSPOSED,
                    c == Candidate.GEMM || c == Candidate.GEMM_TRANSPOSED || padded, copies.source(), copies.gradient(), null);
        }
        boolean packed = c == Candidate.MATMUL_PACKED;
        long n = srcDims[0];
        long ic = srcDims[1];
        long oc = m.dstDims()[1];
        // W is [OC, IC] row-major. Channels-last: dst = src · Wᵀ, diff_src = diff_dst · W;
        // channels-first, W on the left: dst = W · src, diff_src = Wᵀ · diff_dst.
        boolean fwd = dir == Direction.FWD;
        Side src = new Side(Role.SRC, srcDims, ic);
        Side dst = new Side(Role.DST, m.fullDstDims(), oc);
        memory.desc w = fwd
                ? (asRows ? view(new long[] {ic, oc}, 1, ic) : view(new long[] {1, oc, ic}, oc * ic, ic, 1))
                : (asRows ? view(new long[] {oc, ic}, ic, 1) : view(new long[] {1, ic, oc}, oc * ic, 1, ic));
        // A strided forward reads the rows it needs from a gathered copy of the source.
        boolean gathers = fwd && m.strided();
        Op gather = gathers ? rowsCopy(eng, Role.SRC, srcDims, m.fullDstDims(), m.strides()) : null;
        if (gathers && gather == null) {
            return null;
        }
        memory sourceRows = gathers ? gather.fixedMems()[0] : null;
        Op op = fwd ? dataOp(eng, asRows, n, spatialSize(m.fullDstDims()), src, sourceRows, dst, w, m.weiDims(), packed,
                        m.biaDims())
                : dataOp(eng, asRows, n, spatial, new Side(Role.DIFF_DST, dst.dims(), oc), null,
                        new Side(Role.DIFF_SRC, src.dims(), ic), w, m.weiDims(), packed, null);
        if (op == null) {
            return null;
        }
        String what = (packed ? " (1x1 as matmul, packed weights" : " (1x1 as matmul")
                + (gathers ? ", gathered stride " + strides(m.strides()) + ")" : ")");
        return new Ops(gathers ? List.of(gather, op) : List.of(op), op.pd().impl_info_str().getString() + what);
    }

    /**
     * Backward-weights, the source gathered first into a dense buffer when strided (or copied
     * so when {@code copySource}, at stride 1), or replaced by its {@code columns} (a layer
     * larger than 1×1, {@link Im2col}: {@code diff_wei[OC, IC·T] = diff_dstᵀ · colsᵀ}), and the
     * gradient copied so when {@code copyGradient}: {@code
     * diff_wei[OC,IC] = diff_dstᵀ · src}, or ({@code transposed}) {@code diff_weiᵀ[IC,OC] =
     * srcᵀ · diff_dst} into a dense buffer that the pass reorders into diff_wei (bound as the
     * view {@code {IC, OC}} strides {@code {1, IC}}); on a matmul primitive, or on oneDNN's
     * {@code sgemm} when {@code gemm} ({@link GemmStep}).
     */
    private static Ops backwardWeights(engine eng, DnnlMapping m, boolean asRows, boolean transposed, boolean gemm,
                                       boolean copySource, boolean copyGradient, Im2col.Columns columns) {
        long ic = columns == null ? m.srcDims()[1] : columns.rows();   // the product's width: diff_wei's row
        long oc = m.dstDims()[1];
        long rows = m.fullDstDims()[0] * spatialSize(m.fullDstDims());   // M: one per output position
        boolean copiesSourceRows = columns == null && (m.strided() || copySource);   // gathered at a stride, or padded
        List<Op> ops = new ArrayList<>(columns == null ? List.of() : columns.ops());
        memory sourceRows = null;
        if (copiesSourceRows) {
            Op g = rowsCopy(eng, Role.SRC, m.srcDims(), m.fullDstDims(), m.strides());
            if (g == null) {
                return null;
            }
            ops.add(g);
            sourceRows = g.fixedMems()[0];
        }
        memory gradientRows = null;
        if (copyGradient) {
            long[] dst = m.fullDstDims();
            Op g = rowsCopy(eng, Role.DIFF_DST, dst, dst, unitStrides(dst.length - 2));
            if (g == null) {
                return null;
            }
            ops.add(g);
            gradientRows = g.fixedMems()[0];
        }
        // The source as [M, IC] or [IC, M], diff_dst as [OC, M] or [M, OC] (channels-first: N = 1);
        // a gathered source's or a copied gradient's rows are the copy's, padded where PaddedRows says.
        long xRow = copiesSourceRows ? PaddedRows.paddedRow(ic) : ic;
        long dyRow = copyGradient ? PaddedRows.paddedRow(oc) : oc;
        Matrix x = columns != null ? new Matrix(rows, ic, 1, rows)   // the columns, stored [IC·T, M]
                : transposed
                ? (asRows ? new Matrix(ic, rows, 1, xRow) : new Matrix(ic, rows, rows, 1))
                : (asRows ? new Matrix(rows, ic, xRow, 1) : new Matrix(rows, ic, 1, rows));
        Matrix dy = transposed
                ? (asRows ? new Matrix(rows, oc, dyRow, 1) : new Matrix(rows, oc, 1, rows))
                : (asRows ? new Matrix(oc, rows, 1, dyRow) : new Matrix(oc, rows, rows, 1));
        Matrix dw = transposed ? new Matrix(ic, oc, oc, 1) : new Matrix(oc, ic, ic, 1);
        memory.desc dwUser = transposed ? new Matrix(ic, oc, 1, ic).md() : dw.md();
        int xArg = transposed ? dnnl.DNNL_ARG_SRC : dnnl.DNNL_ARG_WEIGHTS;
        int dyArg = transposed ? dnnl.DNNL_ARG_WEIGHTS : dnnl.DNNL_ARG_SRC;
        Product main = transposed ? product(eng, x, dy, dw, gemm) : product(eng, dy, x, dw, gemm);
        if (main == null) {
            return null;
        }
        // The weight and bias products both read the gradient: the user's, or its padded copy.
        Args gradient = new Args().operand(eng, new Binding(Role.DIFF_DST, dyArg, dy.md(), m.fullDstDims()), gradientRows);
        Args product = gradient.copy();
        if (columns != null) {
            product.fixed(xArg, new memory(x.md(), eng, columns.columns().get_data_handle())).store(columns.columns());
        } else {
            product.operand(eng, new Binding(Role.SRC, xArg, x.md(), m.srcDims()), sourceRows);
        }
        ops.add(main.op(product.bind(new Binding(Role.DIFF_WEI, dnnl.DNNL_ARG_DST, dwUser, m.weiDims()))));
        long[] bia = m.biaDims();
        if (bia != null) {
            Matrix ones = transposed ? new Matrix(1, rows, rows, 1) : new Matrix(rows, 1, 1, 1);
            Matrix db = transposed ? new Matrix(1, oc, oc, 1) : new Matrix(oc, 1, 1, 1);
            Product sum = transposed ? product(eng, ones, dy, db, gemm) : product(eng, dy, ones, db, gemm);
            if (sum == null) {
                return null;
            }
            ops.add(sum.op(gradient.copy()
                    .bind(new Binding(Role.DIFF_BIA, dnnl.DNNL_ARG_DST, db.md(), bia))
                    .fixed(xArg, ones(eng, ones.md(), rows))));
        }
        StringBuilder what = new StringBuilder(columns != null ? " (as sgemm on im2col columns"
                : " (1x1 as " + (gemm ? "sgemm" : "matmul"));
        if (copiesSourceRows && !m.strided()) {
            what.append(", source in padded rows");
        } else if (copiesSourceRows) {
            what.append(", gathered stride ").append(strides(m.strides()));
        }
        if (gradientRows != null) {
            what.append(", diff_dst in padded rows");
        }
        if (transposed) {
            what.append(", diff_wei transposed");
        }
        String kernel = main.pd == null ? "x64:sgemm" : main.pd.impl_info_str().getString();
        return new Ops(ops, kernel + what.append(')'));
    }

    /**
     * Backward-weights on {@code sgemm} in {@code parts} {@link ThreadParts}, each on one OpenMP
     * thread: {@code diff_wei[OC, IC] = diff_dstᵀ · src} by blocks of its rows (output channels)
     * or of its columns (input channels), as {@link #byOutput} says, and the bias gradient by
     * output channels. Each part copies its own block of the operand it splits, where that is
     * copied (a strided source gathered; with {@code copyGradient}, the gradient into padded
     * rows), and {@code sgemm} on one thread packs what it reads into buffers of that thread:
     * nothing one thread writes during the call is read by another. A gradient copied while the
     * columns are split is copied whole first, on the pass's threads.
     */
    static Ops backwardWeightsInParts(engine eng, DnnlMapping m, boolean asRows, boolean copyGradient, int parts) {
        long ic = m.srcDims()[1];
        long oc = m.dstDims()[1];
        long rows = m.fullDstDims()[0] * spatialSize(m.fullDstDims());
        long[] dstDims = m.fullDstDims();
        boolean byOutput = byOutput(m, copyGradient);
        List<Op> ops = new ArrayList<>();
        memory wholeGradient = null;   // the gradient copied whole, before the parts
        if (copyGradient && !byOutput) {
            Op g = rowsCopy(eng, Role.DIFF_DST, dstDims, dstDims, unitStrides(dstDims.length - 2));
            if (g == null) {
                return null;
            }
            ops.add(g);
            wholeGradient = g.fixedMems()[0];
        }
        Matrix x = asRows ? new Matrix(rows, ic, ic, 1) : new Matrix(rows, ic, 1, rows);
        Matrix dy = asRows ? new Matrix(oc, rows, 1, wholeGradient != null ? PaddedRows.paddedRow(oc) : oc)
                : new Matrix(oc, rows, rows, 1);
        Matrix dw = new Matrix(oc, ic, ic, 1);
        Matrix db = new Matrix(oc, 1, 1, 1);
        Matrix ones = new Matrix(rows, 1, 1, 1);
        long[] blocks = blocks(byOutput ? oc : ic, parts);
        long[] biasBlocks = m.biaDims() == null ? new long[0] : byOutput ? blocks : blocks(oc, parts);
        int partCount = Math.max(blocks.length, biasBlocks.length) - 1;
        for (int p = 0; p < partCount; p++) {
            // The operand the part splits: its own copy of the block, or the block read in place.
            Operand own = null;
            if (p + 1 < blocks.length) {
                long from = blocks[p];
                long count = blocks[p + 1] - from;
                own = byOutput ? gradientBlock(eng, m, dy, from, count, copyGradient)
                        : sourceBlock(eng, m, x, from, count);
                if (own == null) {
                    return null;
                }
                if (own.copy() != null) {
                    ops.add(own.copy().inPart(p));
                }
                Args product = new Args();
                own.bindTo(product, eng, byOutput ? dnnl.DNNL_ARG_SRC : dnnl.DNNL_ARG_WEIGHTS);
                if (byOutput) {
                    product.bind(new Binding(Role.SRC, dnnl.DNNL_ARG_WEIGHTS, x.md(), m.srcDims()));
                } else {
                    gradient(eng, product, dy, dy.md(), dstDims, wholeGradient);
                }
                Matrix out = byOutput ? dw.rowBlock(from, count) : dw.colBlock(from, count);
                product.bind(new Binding(Role.DIFF_WEI, dnnl.DNNL_ARG_DST, out.md(), m.weiDims(), dw.md()));
                ops.add(product(eng, byOutput ? own.matrix() : dy, byOutput ? x : own.matrix(), out, true).op(product)
                        .inPart(p));
            }
            if (p + 1 < biasBlocks.length) {
                long from = biasBlocks[p];
                long count = biasBlocks[p + 1] - from;
                Args sum = new Args();
                Matrix dyBlock;
                if (byOutput) {
                    own.bindTo(sum, eng, dnnl.DNNL_ARG_SRC);   // the same blocks as the product's
                    dyBlock = own.matrix();
                } else {
                    dyBlock = dy.rowBlock(from, count);
                    gradient(eng, sum, dyBlock, dy.md(), dstDims, wholeGradient);
                }
                sum.bind(new Binding(Role.DIFF_BIA, dnnl.DNNL_ARG_DST, db.rowBlock(from, count).md(), m.biaDims(), db.md()))
                        .fixed(dnnl.DNNL_ARG_WEIGHTS, ones(eng, ones.md(), rows));
                ops.add(product(eng, dyBlock, ones, db.rowBlock(from, count), true).op(sum).inPart(p));
            }
        }
        StringBuilder what = new StringBuilder(" (1x1 as sgemm");
        if (m.strided()) {
            what.append(", gathered stride ").append(strides(m.strides()));
        }
        if (copyGradient) {
            what.append(", diff_dst in padded rows");
        }
        what.append(", in ").append(blocks.length - 1).append(" thread parts by ")
                .append(byOutput ? "output" : "input").append(" channels)");
        return new Ops(ops, "x64:sgemm" + what);
    }

    /**
     * A part's block of an operand, seen as {@code matrix}: a copy of its own ({@code copy}, whose
     * one fixed memory holds it), or else a block of the user's tensor of {@code role} read in
     * place ({@code dims}: the tensor's; {@code whole}: the matrix the block lies in).
     */
    private record Operand(Matrix matrix, Op copy, Role role, long[] dims, memory.desc whole) {
        static Operand copied(Matrix matrix, Op copy) {
            return new Operand(matrix, copy, null, null, null);
        }

        /** Binds it at {@code arg} of {@code args}: the copy through a view of its own, or the user's block. */
        void bindTo(Args args, engine eng, int arg) {
            if (copy != null) {
                args.fixed(arg, new memory(matrix.md(), eng, copy.fixedMems()[0].get_data_handle()));
            } else {
                args.bind(new Binding(role, arg, matrix.md(), dims, whole));
            }
        }
    }

    /** Source columns {@code [from, from + count)}: gathered into a copy of the part's own at a stride, else in place. */
    private static Operand sourceBlock(engine eng, DnnlMapping m, Matrix x, long from, long count) {
        if (!m.strided()) {
            return new Operand(x.colBlock(from, count), null, Role.SRC, m.srcDims(), x.md());
        }
        Op copy = OpenMpThreads.on(1, () -> rowsCopy(eng, Role.SRC, m.srcDims(), m.fullDstDims(), m.strides(), from, count));
        return copy == null ? null : Operand.copied(new Matrix(x.rows(), count, PaddedRows.paddedRow(count), 1), copy);
    }

    /** Gradient rows {@code [from, from + count)} ({@code [count, M]}): copied into padded rows of the part's own, else in place. */
    private static Operand gradientBlock(engine eng, DnnlMapping m, Matrix dy, long from, long count, boolean copy) {
        long[] dst = m.fullDstDims();
        if (!copy) {
            return new Operand(dy.rowBlock(from, count), null, Role.DIFF_DST, dst, dy.md());
        }
        Op op = OpenMpThreads.on(1, () -> rowsCopy(eng, Role.DIFF_DST, dst, dst, unitStrides(dst.length - 2), from, count));
        return op == null ? null : Operand.copied(new Matrix(count, dy.cols(), 1, PaddedRows.paddedRow(count)), op);
    }

    /**
     * Whether {@link #backwardWeightsInParts} splits diff_wei's rows (output channels) rather than
     * its columns: where the gradient is copied (each part copies its own channels), or else
     * where there are more output channels than input ones, unless the source is gathered (each
     * part gathers its own). A part of a thin block ran slower: 128→512 on 28×28 split by its
     * 128 input channels took 1.01-1.09 of the bare primitive, against 0.90-0.92 as one call.
     */
    private static boolean byOutput(DnnlMapping m, boolean copyGradient) {
        return copyGradient || !m.strided() && m.dstDims()[1] > m.srcDims()[1];
    }

    /** How many parts {@link #backwardWeightsInParts} splits the product into (1: too few channels to split). */
    private static int splitsInto(DnnlMapping m, boolean copyGradient, int parts) {
        long channels = byOutput(m, copyGradient) ? m.dstDims()[1] : m.srcDims()[1];
        return blocks(channels, parts).length - 1;
    }

    /**
     * Binds the gradient block {@code dy} (of the whole {@code whole}) at the product's SRC: of
     * the user's tensor, or of its whole copy {@code rows} where that is not null.
     */
    private static void gradient(engine eng, Args args, Matrix dy, memory.desc whole, long[] dstDims, memory rows) {
        if (rows != null) {
            args.fixed(dnnl.DNNL_ARG_SRC, new memory(dy.md(), eng, rows.get_data_handle()));
        } else if (!dy.md().notEquals(whole)) {
            args.bind(new Binding(Role.DIFF_DST, dnnl.DNNL_ARG_SRC, dy.md(), dstDims));
        } else {
            args.bind(new Binding(Role.DIFF_DST, dnnl.DNNL_ARG_SRC, dy.md(), dstDims, whole));
        }
    }

    /**
     * Bounds of {@code parts} blocks of {@code n} channels, each but the last a multiple of 16
     * (a cache line of floats, so that no two parts write one line): {@code parts + 1} bounds,
     * or fewer where {@code n} has fewer such blocks.
     */
    static long[] blocks(long n, int parts) {
        long lines = (n + 15) / 16;
        int count = (int) Math.max(1, Math.min(parts, lines));
        long[] bounds = new long[count + 1];
        for (int p = 1; p < count; p++) {
            bounds[p] = Math.min(n, lines * p / count * 16);
        }
        bounds[count] = n;
        return bounds;
    }

    /** A product {@code c = a · b}: a matmul primitive's descriptor, or an {@code sgemm} call. */
    private record Product(primitive_desc pd, GemmStep.Call gemm) {
        Op op(Args args) {
            return args.op(pd, gemm);
        }
    }

    /**
     * What an op reads and writes: the user's tensors (bindings), and memories of the pass's own
     * at fixed arguments, among them copies of an operand (gathered or padded rows) that the op
     * reads through a second memory over the copy's storage.
     */
    private static final class Args {
        private final List<Binding> bindings = new ArrayList<>();
        private final List<Integer> fixedArgs = new ArrayList<>();
        private final List<memory> fixedMems = new ArrayList<>();
        private final List<memory> storage = new ArrayList<>();

        /** A second set with what this one holds so far (an op sharing operands with another). */
        Args copy() {
            Args c = new Args();
            c.bindings.addAll(bindings);
            c.fixedArgs.addAll(fixedArgs);
            c.fixedMems.addAll(fixedMems);
            c.storage.addAll(storage);
            return c;
        }

        Args bind(Binding b) {
            bindings.add(b);
            return this;
        }

        Args fixed(int arg, memory mem) {
            fixedArgs.add(arg);
            fixedMems.add(mem);
            return this;
        }

        /** A buffer the op reads through a view of its own ({@link Op#storage}). */
        Args store(memory buffer) {
            storage.add(buffer);
            return this;
        }

        /** The operand {@code b}: the user's tensor, or where {@code copy} is not null that copy, seen as {@code b}'s view. */
        Args operand(engine eng, Binding b, memory copy) {
            return copy == null ? bind(b) : fixed(b.arg(), new memory(b.userMd(), eng, copy.get_data_handle()));
        }

        Op op(primitive_desc pd, GemmStep.Call gemm) {
            return new Op(pd, gemm, bindings, fixedArgs.stream().mapToInt(Integer::intValue).toArray(),
                    fixedMems.toArray(new memory[0]), storage.toArray(new memory[0]));
        }
    }

    /** {@code c = a · b} on oneDNN's sgemm or its matmul primitive; null without a matmul implementation. */
    private static Product product(engine eng, Matrix a, Matrix b, Matrix c, boolean gemm) {
        if (gemm) {
            return new Product(null, new GemmStep.Call(a, b, c));
        }
        primitive_desc pd = matmul(eng, a.md(), b.md(), new memory.desc(), c.md());
        return pd == null ? null : new Product(pd, null);
    }

    /**
     * A reorder of the positions a 1×1 convolution reads, every {@code strides} one, from a view
     * {@code {N, OD..., C}} of the user's channels-last tensor {@code role} (logical dims {@code
     * tensorDims}; {@code outDims}: the output's, whose spatial sizes the view takes), into a
     * dense buffer of the pass's own ({@code [M, C]} row-major, rows padded by {@link
     * PaddedRows#paddedRow}; the op's one fixed memory). Null without one.
     */
    private static Op rowsCopy(engine eng, Role role, long[] tensorDims, long[] outDims, long[] strides) {
        return rowsCopy(eng, role, tensorDims, outDims, strides, 0, tensorDims[1]);
    }

    /** As above, of channels {@code [from, from + count)} only: {@code [M, count]}. */
    private static Op rowsCopy(engine eng, Role role, long[] tensorDims, long[] outDims, long[] strides, long from,
                               long count) {
        int r = tensorDims.length - 2;
        long[] dims = new long[r + 2];
        long[] fromStrides = new long[r + 2];
        dims[0] = tensorDims[0];
        dims[r + 1] = tensorDims[1];
        fromStrides[r + 1] = 1;
        long inner = tensorDims[1];   // the element stride of spatial dimension k in the user's tensor
        for (int k = r - 1; k >= 0; k--) {
            dims[k + 1] = outDims[k + 2];
            fromStrides[k + 1] = inner * strides[k];
            inner *= tensorDims[k + 2];
        }
        fromStrides[0] = inner;
        memory.desc wholeMd = new memory.desc(dims, memory.data_type.f32, fromStrides);
        long[] block = dims.clone();
        block[r + 1] = count;
        long[] offsets = new long[r + 2];
        offsets[r + 1] = from;
        boolean all = from == 0 && count == tensorDims[1];
        memory.desc fromMd = all ? wholeMd : wholeMd.submemory_desc(block, offsets);
        // Row-major [M, count], with rows a cache line longer where a product reading them many
        // at a time would find them a multiple of 4 KB apart (PaddedRows).
        long[] dense = new long[r + 2];
        dense[r + 1] = 1;
        long step = PaddedRows.paddedRow(count);
        for (int k = r; k >= 0; k--) {
            dense[k] = step;
            step *= block[k];
        }
        memory.desc toMd = new memory.desc(block, memory.data_type.f32, dense);
        reorder.primitive_desc pd = new reorder.primitive_desc(eng, fromMd, eng, toMd, ConvPrimitives.attr(), true);
        if (!pd.asBoolean()) {
            return null;
        }
        return new Op(pd, List.of(new Binding(role, dnnl.DNNL_ARG_FROM, fromMd, tensorDims, all ? null : wholeMd)),
                new int[] {dnnl.DNNL_ARG_TO}, new memory[] {new memory(toMd, eng)});
    }

    private static long[] unitStrides(int n) {
        long[] out = new long[n];
        Arrays.fill(out, 1);
        return out;
    }

    /** {@code 2}, or {@code 2x1} when the spatial strides differ. */
    private static String strides(long[] strides) {
        boolean same = true;
        for (long st : strides) {
            same &= st == strides[0];
        }
        if (same) {
            return Long.toString(strides[0]);
        }
        StringBuilder b = new StringBuilder();
        for (long st : strides) {
            b.append(b.length() == 0 ? "" : "x").append(st);
        }
        return b.toString();
    }

    /** The product of {@code dims} past batch and channels. */
    private static long spatialSize(long[] dims) {
        long size = 1;
        for (int d = 2; d < dims.length; d++) {
            size *= dims[d];
        }
        return size;
    }

    /** An activation a matmul reads or writes: its role, its tensor's dims, its channels. */
    private record Side(Role role, long[] dims, long channels) {}

    /**
     * Forward or backward-data: {@code out} from {@code in} and the weights' user view {@code w}
     * ({@code [cIn, cOut]} when {@code asRows}; else {@code [1, cOut, cIn]}, the weights the
     * left operand of a product batched over {@code n}), {@code s} output positions per image;
     * {@code in} read from {@code inRows} instead where that is not null (the rows a {@link
     * #rowsCopy} gathered, {@code asRows} only). Null without an implementation.
     */
    private static Op dataOp(engine eng, boolean asRows, long n, long s, Side in, memory inRows, Side out,
                             memory.desc w, long[] weiDims, boolean packed, long[] bia) {
        long cIn = in.channels();
        long cOut = out.channels();
        long inRow = inRows == null ? cIn : PaddedRows.paddedRow(cIn);
        memory.desc x = asRows ? view(new long[] {n * s, cIn}, inRow, 1) : view(new long[] {n, cIn, s}, cIn * s, s, 1);
        memory.desc y = asRows ? view(new long[] {n * s, cOut}, cOut, 1) : view(new long[] {n, cOut, s}, cOut * s, s, 1);
        memory.desc b = bia == null ? new memory.desc()
                : asRows ? view(new long[] {1, cOut}, cOut, 1) : view(new long[] {1, cOut, 1}, cOut, 1, 1);
        memory.desc wPd = packed ? any(asRows ? new long[] {cIn, cOut} : new long[] {1, cOut, cIn}) : w;
        primitive_desc pd = asRows ? matmul(eng, x, wPd, b, y) : matmul(eng, wPd, x, b, y);
        if (pd == null) {
            return null;
        }
        Args args = new Args()
                .operand(eng, new Binding(in.role(), asRows ? dnnl.DNNL_ARG_SRC : dnnl.DNNL_ARG_WEIGHTS, x, in.dims()), inRows)
                .bind(new Binding(Role.WEI, asRows ? dnnl.DNNL_ARG_WEIGHTS : dnnl.DNNL_ARG_SRC, w, weiDims))
                .bind(new Binding(out.role(), dnnl.DNNL_ARG_DST, y, out.dims()));
        if (bia != null) {
            args.bind(new Binding(Role.BIA, dnnl.DNNL_ARG_BIAS, b, bia));
        }
        return args.op(pd, null);
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
