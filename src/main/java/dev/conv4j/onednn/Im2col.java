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
import java.util.List;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.javacpp.Pointer;

/**
 * The column matrix ("im2col") of a convolution's source, for backward-weights as one {@code
 * sgemm} product ({@link Candidate#GEMM_IM2COL}, built by {@link Matmul1x1}). With {@code T}
 * kernel taps and {@code M = N · output positions}, row {@code c·T + t} of the columns holds,
 * for every output position, the source value that tap {@code t} of input channel {@code c}
 * multiplies there (0 in the padding). The weight gradient in PyTorch's layout is then
 * {@code diff_wei[OC, IC·T] = diff_dstᵀ[OC, M] · colsᵀ[M, IC·T]}, the gradient read as rows.
 *
 * <p>oneDNN's reorders build it, no loop in Java: one copies the source into a channels-first
 * buffer with a zero border (the border is zeroed once, when the pass is built), then one per
 * tap copies a strided window of that buffer into the tap's rows. Every element of the
 * columns is written on every call.
 *
 * <p>Why: on small images oneDNN's backward-weights kernels run far below the machine's peak.
 * ResNet-50's {@code res5a_branch2b} (512→512, 3×3, 7×7) at mb 1 took 0.72-0.73 ms on the
 * {@code any} primitive and 0.74 ms on oneDNN's own {@code gemm:jit}; a probe of this route
 * took 0.01 ms for the border copy, 0.04 ms for the nine windows and 0.50-0.52 ms for the
 * product ({@code docs/perf-notes.md}). On larger images the product alone is no faster than
 * those kernels, and {@code AUTO} keeps them.
 */
final class Im2col {
    private Im2col() {}

    /**
     * Columns of at most this many bytes. At mb 1 ResNet-50's 3×3 layers need 0.9-7.2 MB; the
     * cap keeps a plan's buffer bounded where the minibatch is large.
     */
    static final long MAX_COLUMN_BYTES = 32L << 20;

    /**
     * Whether {@code spec}'s backward-weights on {@code src} in {@code userLayout} can run on
     * columns (pure Java): a convolution (not transposed) of one group, zero padding, a kernel
     * larger than 1×1 (a 1×1 layer's source is its own column matrix: {@link
     * Matmul1x1#eligible}), a gradient that reads as one matrix of rows (channels-last, or a
     * minibatch of 1), and columns within {@link #MAX_COLUMN_BYTES}.
     */
    static boolean applies(ConvSpec spec, Shape src, Layout userLayout, Direction dir) {
        if (dir != Direction.BWD_W || spec.transposed() || spec.groups() != 1 || spec.paddingMode() != PaddingMode.ZEROS) {
            return false;
        }
        if (userLayout != Layout.CHANNELS_LAST && src.dim(0) != 1) {
            return false;   // channels-first over several images: the sum over them is no single product
        }
        long taps = 1;
        for (int k = 0; k < spec.rank(); k++) {
            taps *= spec.kernel(k);
        }
        if (taps == 1) {
            return false;
        }
        Shape dst = ConvShapes.dst(spec, src);
        long positions = dst.elementCount() / dst.dim(1);
        return (long) spec.inChannels() * taps * positions * Float.BYTES <= MAX_COLUMN_BYTES;
    }

    /**
     * What the product reads: the ops that build the columns, and the columns' memory (row-major
     * {@code [IC·T, M]}, described as the product's operand view {@code colsᵀ}).
     *
     * @param ops     the border copy, then one window copy per tap
     * @param columns the columns' buffer; the op that reads them must own it (the window copies
     *                write through views)
     * @param rows    {@code IC·T}
     */
    record Columns(List<Op> ops, memory columns, long rows) {}

    /**
     * The columns of {@code m}'s source (call inside a PointerScope, for a problem that {@link
     * #applies}); null when oneDNN has no reorder for a copy.
     */
    static Columns of(engine eng, DnnlMapping m) {
        long[] src = m.srcDims();
        long[] out = m.fullDstDims();
        int r = src.length - 2;
        long n = src[0];
        long c = src[1];
        // The padded buffer spans every position a tap reads: from -padL to the last tap of the last output.
        long[] padded = new long[r + 2];
        padded[0] = n;
        padded[1] = c;
        long[] copied = src.clone();   // the source positions some tap reads (a stride may skip trailing ones)
        long taps = 1;
        long positions = 1;
        for (int k = 0; k < r; k++) {
            long kernel = m.weiDims()[2 + k];
            padded[2 + k] = (out[2 + k] - 1) * m.strides()[k] + (kernel - 1) * (m.dilates()[k] + 1) + 1;
            copied[2 + k] = Math.min(src[2 + k], padded[2 + k] - m.padL()[k]);
            if (copied[2 + k] <= 0) {
                return null;   // no tap reads the source at all
            }
            taps *= kernel;
            positions *= out[2 + k];
        }
        long[] paddedStrides = DnnlMapping.activationStrides(padded, false);
        long rows = c * taps;
        long cols = n * positions;

        List<Op> ops = new ArrayList<>();
        memory border = new memory(new memory.desc(new long[] {n * paddedStrides[0]}, memory.data_type.f32,
                memory.format_tag.a), eng);
        Pointer.memset(border.get_data_handle(), 0, border.get_desc().get_size());   // the border stays 0
        long interior = 0;
        for (int k = 0; k < r; k++) {
            interior += m.padL()[k] * paddedStrides[2 + k];
        }
        memory.desc userView = new memory.desc(copied, memory.data_type.f32, m.srcStrides());
        memory.desc interiorView = new memory.desc(copied, memory.data_type.f32, paddedStrides);
        reorder.primitive_desc borderPd = reorder(eng, userView, interiorView);
        if (borderPd == null) {
            return null;
        }
        ops.add(new Op(borderPd, null, List.of(new Binding(Role.SRC, dnnl.DNNL_ARG_FROM, userView, src)),
                new int[] {dnnl.DNNL_ARG_TO}, new memory[] {new memory(interiorView, eng, at(border, interior))},
                new memory[] {border}));

        memory columns = new memory(new memory.desc(new long[] {rows * cols}, memory.data_type.f32,
                memory.format_tag.a), eng);
        // Window of tap t: output position o reads padded position o·stride + t·dilation.
        long[] windowDims = out.clone();
        windowDims[1] = c;
        long[] windowStrides = paddedStrides.clone();
        long[] outStrides = DnnlMapping.activationStrides(out, false);
        long[] columnStrides = new long[r + 2];
        columnStrides[0] = positions;
        columnStrides[1] = taps * cols;
        for (int k = 0; k < r; k++) {
            windowStrides[2 + k] = paddedStrides[2 + k] * m.strides()[k];
            columnStrides[2 + k] = outStrides[2 + k];
        }
        memory.desc window = new memory.desc(windowDims, memory.data_type.f32, windowStrides);
        memory.desc tapRows = new memory.desc(windowDims, memory.data_type.f32, columnStrides);
        long[] tap = new long[r];
        for (long t = 0; t < taps; t++) {
            long from = 0;
            for (int k = 0; k < r; k++) {
                from += tap[k] * (m.dilates()[k] + 1) * paddedStrides[2 + k];
            }
            reorder.primitive_desc pd = reorder(eng, window, tapRows);
            if (pd == null) {
                return null;
            }
            Op copy = new Op(pd, null, List.of(), new int[] {dnnl.DNNL_ARG_FROM, dnnl.DNNL_ARG_TO},
                    new memory[] {new memory(window, eng, at(border, from)), new memory(tapRows, eng, at(columns, t * cols))},
                    new memory[0]);
            ops.add(copy);
            for (int k = r - 1; k >= 0 && ++tap[k] == m.weiDims()[2 + k]; k--) {
                tap[k] = 0;   // next tap, the last dimension fastest (PyTorch's order of the kernel)
            }
        }
        return new Columns(ops, columns, rows);
    }

    /** A reorder's descriptor, or null without one. */
    private static reorder.primitive_desc reorder(engine eng, memory.desc fromMd, memory.desc toMd) {
        reorder.primitive_desc pd = new reorder.primitive_desc(eng, fromMd, eng, toMd, ConvPrimitives.attr(), true);
        return pd.asBoolean() ? pd : null;
    }

    /** The address {@code elements} floats into {@code m}'s buffer. */
    private static Pointer at(memory m, long elements) {
        return new Offset(m.get_data_handle(), elements * Float.BYTES);
    }

    /** A pointer into another's buffer; it owns nothing. */
    private static final class Offset extends Pointer {
        Offset(Pointer base, long bytes) {
            address = base.address() + bytes;
        }
    }
}
