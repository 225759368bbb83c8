package dev.conv4j.onednn;

import dev.conv4j.Direction;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.onednn.Pass.Binding;
import dev.conv4j.onednn.Pass.Role;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.deconvolution_backward_data;
import org.bytedeco.dnnl.deconvolution_backward_weights;
import org.bytedeco.dnnl.deconvolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.global.dnnl.prop_kind;
import org.bytedeco.dnnl.global.dnnl.scratchpad_mode;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc;

/**
 * Builds the primitive descriptor of each direction from a {@link DnnlMapping}, as
 * {@code convolution.cpp} does: source, weights and destination are {@code format_tag.any}
 * (or channels-last/-first source and destination under {@link LayoutPolicy#CHANNELS_LAST}
 * and {@link LayoutPolicy#CHANNELS_FIRST}) so oneDNN
 * picks its fastest layout; bias is plain. Every pd uses a user-mode scratchpad. A pd with
 * no implementation comes back empty ({@code asBoolean() == false}), never as an exception;
 * an implementation known to be defective on the problem ({@link #defective}) is passed over
 * as if oneDNN did not list it.
 * Call inside a {@code PointerScope}: every descriptor made here is a temporary.
 */
final class ConvPrimitives {
    private ConvPrimitives() {}

    static memory.desc md(long[] dims, String tag) {
        return new memory.desc(dims, memory.data_type.f32, memory.format_tag.valueOf(tag));
    }

    /** The descriptor the primitive computes an activation in under {@code layout}. */
    static memory.desc computeMd(long[] dims, DnnlMapping m, LayoutPolicy layout) {
        return md(dims, switch (layout) {
            case CHANNELS_LAST -> m.channelsLastTag();
            case CHANNELS_FIRST -> DnnlMapping.plain(dims.length);
            case ANY, AUTO -> "any";
        });
    }

    /**
     * The user tensors a convolution pass of {@code dir} reads and writes, in the user's layouts
     * (a cropped destination is a strided view of the full tensor), each at its own argument.
     */
    static List<Binding> bindings(DnnlMapping m, Direction dir) {
        memory.desc src = md(m.srcDims(), m.srcTag());
        memory.desc dst = m.cropped()
                ? new memory.desc(m.dstDims(), memory.data_type.f32, m.fullDstStrides())
                : md(m.dstDims(), m.dstTag());
        memory.desc wei = md(m.weiDims(), m.weiTag());
        List<Binding> out = new ArrayList<>();
        switch (dir) {
            case FWD -> {
                out.add(Binding.conv(Role.SRC, src, m.srcDims()));
                out.add(Binding.conv(Role.WEI, wei, m.weiDims()));
                if (m.biaDims() != null) {
                    out.add(Binding.conv(Role.BIA, biasMd(m), m.biaDims()));
                }
                out.add(Binding.conv(Role.DST, dst, m.fullDstDims()));
            }
            case BWD_D -> {
                out.add(Binding.conv(Role.DIFF_DST, dst, m.fullDstDims()));
                out.add(Binding.conv(Role.WEI, wei, m.weiDims()));
                out.add(Binding.conv(Role.DIFF_SRC, src, m.srcDims()));
            }
            case BWD_W -> {
                out.add(Binding.conv(Role.SRC, src, m.srcDims()));
                out.add(Binding.conv(Role.DIFF_DST, dst, m.fullDstDims()));
                out.add(Binding.conv(Role.DIFF_WEI, wei, m.weiDims()));
                if (m.biaDims() != null) {
                    out.add(Binding.conv(Role.DIFF_BIA, biasMd(m), m.biaDims()));
                }
            }
        }
        return out;
    }

    static memory.desc biasMd(DnnlMapping m) {
        return m.biaDims() == null ? new memory.desc() : md(m.biaDims(), "a");
    }

    static primitive_attr attr() {
        primitive_attr attr = new primitive_attr();
        attr.set_scratchpad_mode(scratchpad_mode.user);   // we own the scratchpad: no allocation per call
        return attr;
    }

    /** Forward: {@code forward_training} when backward passes will use it as a hint. */
    static primitive_desc forward(engine eng, DnnlMapping m, LayoutPolicy layout, boolean training) {
        memory.desc src = computeMd(m.srcDims(), m, layout);
        memory.desc wei = md(m.weiDims(), "any");
        memory.desc dst = computeMd(m.dstDims(), m, layout);
        prop_kind prop = training ? prop_kind.forward_training : prop_kind.forward_inference;
        if (m.deconvolution()) {
            return new deconvolution_forward.primitive_desc(eng, prop, algorithm.deconvolution_direct, src, wei,
                    biasMd(m), dst, m.strides(), m.dilates(), m.padL(), m.padR(), attr(), true);
        }
        return new convolution_forward.primitive_desc(eng, prop, algorithm.convolution_direct, src, wei,
                biasMd(m), dst, m.strides(), m.dilates(), m.padL(), m.padR(), attr(), true);
    }

    /** Backward data, with the forward pd of the same layout as the hint. */
    static primitive_desc backwardData(engine eng, DnnlMapping m, LayoutPolicy layout, primitive_desc hint) {
        memory.desc diffSrc = computeMd(m.srcDims(), m, layout);
        memory.desc wei = md(m.weiDims(), "any");
        memory.desc diffDst = computeMd(m.dstDims(), m, layout);
        if (m.deconvolution()) {
            return new deconvolution_backward_data.primitive_desc(eng, algorithm.deconvolution_direct, diffSrc, wei,
                    diffDst, m.strides(), m.dilates(), m.padL(), m.padR(),
                    (deconvolution_forward.primitive_desc) hint, attr(), true);
        }
        return new convolution_backward_data.primitive_desc(eng, algorithm.convolution_direct, diffSrc, wei,
                diffDst, m.strides(), m.dilates(), m.padL(), m.padR(),
                (convolution_forward.primitive_desc) hint, attr(), true);
    }

    /** Backward weights (and bias), with the forward pd of the same layout as the hint. */
    static primitive_desc backwardWeights(engine eng, DnnlMapping m, LayoutPolicy layout, primitive_desc hint) {
        memory.desc src = computeMd(m.srcDims(), m, layout);
        memory.desc diffWei = md(m.weiDims(), "any");
        memory.desc diffDst = computeMd(m.dstDims(), m, layout);
        primitive_desc pd = m.deconvolution()
                ? new deconvolution_backward_weights.primitive_desc(eng, algorithm.deconvolution_direct, src,
                        diffWei, biasMd(m), diffDst, m.strides(), m.dilates(), m.padL(), m.padR(),
                        (deconvolution_forward.primitive_desc) hint, attr(), true)
                : new convolution_backward_weights.primitive_desc(eng, algorithm.convolution_direct, src, diffWei,
                        biasMd(m), diffDst, m.strides(), m.dilates(), m.padL(), m.padR(),
                        (convolution_forward.primitive_desc) hint, attr(), true);
        if (pd.asBoolean() && defective(pd, m, Direction.BWD_W) && !nextImpl(pd, m, Direction.BWD_W)) {
            return new convolution_backward_weights.primitive_desc();   // empty: no usable implementation
        }
        return pd;
    }

    /**
     * Moves {@code pd} of {@code dir} to oneDNN's next implementation that is not {@link
     * #defective}; false when there is none (then {@code pd} is left at its last one). Every
     * walk over oneDNN's implementations goes through here, so an implementation's index
     * ({@link LayoutChoice.Choice#impl}) counts the usable ones only.
     */
    static boolean nextImpl(primitive_desc pd, DnnlMapping m, Direction dir) {
        do {
            if (!pd.next_impl()) {
                return false;
            }
        } while (defective(pd, m, dir));
        return true;
    }

    /**
     * Why channels-last backward-weights may have no implementation left, when the problem is
     * one {@link #defective} applies to (its only kernel may be the one passed over: oneDNN
     * lists no other for a strided transposed 1×1 layer); else empty.
     */
    static String passedOver(DnnlMapping m, Direction dir, LayoutPolicy layout) {
        if (dir != Direction.BWD_W || layout != LayoutPolicy.CHANNELS_LAST || !m.strided() || !fewChannels(m)) {
            return "";
        }
        return ": its jit_1x1 kernel is passed over, as it writes past its workspace on strided 1x1 layers with fewer"
                + " than " + RTUS_SAFE_CHANNELS + " channels per group (oneDNN issue 6035); layout ANY or AUTO"
                + " may compute it";
    }

    private static boolean fewChannels(DnnlMapping m) {
        long[] w = m.weiDims();
        int c = w.length - m.srcDims().length;   // 1 when grouped: {G, OC/G, IC/G, K...}
        return Math.min(w[c], w[c + 1]) < RTUS_SAFE_CHANNELS;
    }

    /** Input or output channels per group below which {@link #defective} holds, whatever the ISA's block. */
    static final long RTUS_SAFE_CHANNELS = 16;

    /**
     * Whether {@code pd}'s present implementation is known to corrupt memory on this problem.
     * oneDNN 3.11's {@code jit_1x1} backward-weights, on a strided 1×1 layer whose source
     * is channels-last, first copies each thread's strided source rows into a workspace,
     * reserving {@code IC} floats per pixel but placing pixel {@code p} at {@code p ·
     * ic_block}: with fewer input channels per group than a block (8 on AVX2, 16 on
     * AVX-512) it writes past the workspace. Seen here as glibc aborting the JVM ({@code
     * corrupted double-linked list}) on one thread, where the race gave that kernel a
     * scratchpad of exactly its reported size (384 bytes; 64 more sufficed); reported with
     * hangs and wrong sums on two threads as oneDNN issue 6035. A transposed layer runs the
     * same kernel with the roles of source and destination swapped, so both channel counts
     * and both layouts count.
     */
    static boolean defective(primitive_desc pd, DnnlMapping m, Direction dir) {
        // A deconvolution names the convolution it runs on: conv:any+jit_1x1:...
        if (dir != Direction.BWD_W || !pd.impl_info_str().getString().contains("jit_1x1")) {
            return false;
        }
        return m.strided() && fewChannels(m)
                && (!pd.src_desc().notEquals(computeMd(m.srcDims(), m, LayoutPolicy.CHANNELS_LAST))
                        || !pd.diff_dst_desc().notEquals(computeMd(m.dstDims(), m, LayoutPolicy.CHANNELS_LAST)));
    }
}
