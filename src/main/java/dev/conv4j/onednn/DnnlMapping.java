package dev.conv4j.onednn;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;

/**
 * The descriptor-to-oneDNN table for one (spec, input shape, user layout), in plain Java so
 * that it can be tested without loading native code. Tags are oneDNN {@code format_tag} names
 * over the dims in oneDNN's order.
 *
 * <pre>
 * ConvSpec (PyTorch)                  oneDNN
 * groups == 1                          wei dims {OC, IC, K...}, user tag abc/abcd/abcde (oiw/oihw/oidhw)
 * groups  > 1 (incl. depthwise)        wei dims {G, OC/G, IC/G, K...}, user tag abcd/abcde/abcdef (goiw/goihw/goidhw)
 * transposed, wei (IC, OC/G, K...)     deconvolution, same dims; user tag bac/bacd/bacde (iohw-style),
 *                                      grouped acbd/acbde/acbdef (giohw-style)
 * stride s                             strides = s
 * dilation d (1 = dense)               dilates = d - 1
 * padding left                         padding_l
 * padding right / output_padding       padding_r = ConvShapes.exactPadRight (may be negative)
 * padding_mode != zeros                src pre-padded in Java (channels-first buffer), padding_l = 0,
 *                                      padding_r = exactPadRight - padRight
 * transposed, padding_r <= -stride     (output_padding >= stride, allowed with dilation) oneDNN needs
 *                                      padding_r + stride > 0: the primitive computes the output
 *                                      without its last dstCrop columns, which no input reaches
 *                                      (they hold the bias alone), through a strided view of dst
 * user layout channels-first / -last   activation tag abc.. / acb, acdb, acdeb (nwc, nhwc, ndhwc)
 * </pre>
 *
 * @param deconvolution   whether the primitive is a oneDNN deconvolution (a transposed spec)
 * @param srcDims         {N, C, spatial...} of the primitive's source (the padded copy when pre-padded)
 * @param weiDims         weights dims in oneDNN order
 * @param biaDims         {OC}, or {@code null} without bias
 * @param dstDims         {N, OC, spatial...}
 * @param strides         per spatial dimension
 * @param dilates         oneDNN dilation: PyTorch's minus one
 * @param padL            left padding
 * @param padR            right padding, possibly negative
 * @param srcTag          user tag of the source memory the primitive reads
 * @param dstTag          user tag of the destination
 * @param weiTag          user tag of the weights (PyTorch layout)
 * @param channelsLastTag the channels-last tag for the {@code CHANNELS_LAST} layout policy
 * @param prePadded       whether a non-zero padding mode is applied in Java before the primitive
 * @param fullDstDims     the user's {N, OC, spatial...}; {@code dstDims} is smaller by {@code dstCrop}
 * @param dstCrop         per spatial dimension, trailing output columns the primitive does not compute
 */
record DnnlMapping(boolean deconvolution, long[] srcDims, long[] weiDims, long[] biaDims, long[] dstDims,
                   long[] strides, long[] dilates, long[] padL, long[] padR,
                   String srcTag, String dstTag, String weiTag, String channelsLastTag, boolean prePadded,
                   long[] fullDstDims, long[] dstCrop) {

    private static final String LETTERS = "abcdef";

    /** The mapping of {@code spec} on input {@code src} with activations in {@code userLayout}. */
    static DnnlMapping of(ConvSpec spec, Shape src, Layout userLayout) {
        ConvShapes.validateInput(spec, src);
        int rank = spec.rank();
        int ndims = rank + 2;
        Shape dst = ConvShapes.dst(spec, src);
        boolean prePadded = spec.paddingMode() != PaddingMode.ZEROS;
        Shape conv = prePadded ? ConvShapes.paddedInput(spec, src) : src;

        int[] pl = ConvShapes.padLeft(spec, src);
        int[] pr = ConvShapes.padRight(spec, src);
        int[] exactR = ConvShapes.exactPadRight(spec, src);
        long[] strides = new long[rank];
        long[] dilates = new long[rank];
        long[] padL = new long[rank];
        long[] padR = new long[rank];
        for (int k = 0; k < rank; k++) {
            strides[k] = spec.stride(k);
            dilates[k] = spec.dilation(k) - 1;   // oneDNN counts the gaps: 0 = dense
            // A pre-padded source holds both paddings already; what is left of the right one
            // is zero or negative: padded rows a stride never reaches.
            padL[k] = prePadded ? 0 : pl[k];
            padR[k] = prePadded ? exactR[k] - pr[k] : exactR[k];
        }

        long[] wei = weightDims(spec);

        long[] fullDst = toLong(dst.dims());
        long[] dstDims = fullDst.clone();
        long[] crop = new long[rank];
        for (int k = 0; k < rank; k++) {
            // oneDNN needs padding_r + stride > 0: the primitive leaves the columns past it to the plan.
            if (spec.transposed() && padR[k] + strides[k] <= 0) {
                crop[k] = 1 - strides[k] - padR[k];
                padR[k] = 1 - strides[k];
                dstDims[2 + k] -= crop[k];
            }
        }

        String activation = userLayout == Layout.CHANNELS_LAST ? channelsLast(ndims) : plain(ndims);
        return new DnnlMapping(spec.transposed(), toLong(conv.dims()), wei,
                spec.bias() ? new long[] {spec.outChannels()} : null, dstDims,
                strides, dilates, padL, padR,
                prePadded ? plain(ndims) : activation, activation,
                weightsTag(spec.transposed(), spec.groups() > 1, wei.length), channelsLast(ndims), prePadded,
                fullDst, crop);
    }

    /** {@code {OC, IC, K...}}, grouped {@code {G, OC/G, IC/G, K...}} (see the table). */
    private static long[] weightDims(ConvSpec spec) {
        int g = spec.groups();
        boolean grouped = g > 1;
        int kernelStart = grouped ? 3 : 2;
        long[] wei = new long[kernelStart + spec.rank()];
        if (grouped) {
            wei[0] = g;
            wei[1] = spec.outChannels() / g;
            wei[2] = spec.inChannels() / g;
        } else {
            wei[0] = spec.outChannels();
            wei[1] = spec.inChannels();
        }
        for (int k = 0; k < spec.rank(); k++) {
            wei[kernelStart + k] = spec.kernel(k);
        }
        return wei;
    }

    /** Whether any spatial stride is above 1. */
    boolean strided() {
        for (long st : strides) {
            if (st != 1) {
                return true;
            }
        }
        return false;
    }

    /** Whether the primitive leaves trailing output columns to the plan (see the table). */
    boolean cropped() {
        for (long c : dstCrop) {
            if (c != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Element strides of the user's full destination tensor in its layout: the user memory of
     * a cropped destination is a view of the full tensor with the primitive's smaller dims.
     */
    long[] fullDstStrides() {
        return activationStrides(fullDstDims, dstTag.equals(channelsLast(fullDstDims.length)));
    }

    /** Element strides of the source the primitive reads, in its tag's layout. */
    long[] srcStrides() {
        return activationStrides(srcDims, srcTag.equals(channelsLast(srcDims.length)));
    }

    /** Dense strides of an activation of {@code dims} ({N, C, spatial...}), channels-last or channels-first. */
    static long[] activationStrides(long[] dims, boolean channelsLast) {
        int n = dims.length;
        long[] st = new long[n];
        long acc = 1;
        if (channelsLast) {
            st[1] = acc;
            acc *= dims[1];
            for (int d = n - 1; d >= 2; d--) {
                st[d] = acc;
                acc *= dims[d];
            }
            st[0] = acc;
        } else {
            for (int d = n - 1; d >= 0; d--) {
                st[d] = acc;
                acc *= dims[d];
            }
        }
        return st;
    }

    /** {@code abc}, {@code abcd}, ...: dims in their own order (nchw, oihw, goihw). */
    static String plain(int ndims) {
        return LETTERS.substring(0, ndims);
    }

    /** {@code acb}, {@code acdb}, {@code acdeb}: channels innermost (nwc, nhwc, ndhwc). */
    static String channelsLast(int ndims) {
        return "a" + LETTERS.substring(2, ndims) + "b";
    }

    /**
     * The user tag of PyTorch weights. A transposed layer stores {@code (IC, OC/G, K...)}, i.e.
     * input channels outside output channels: {@code bac..} (iohw), grouped {@code acbd..} (giohw).
     */
    static String weightsTag(boolean transposed, boolean grouped, int ndims) {
        String p = plain(ndims);
        if (!transposed) {
            return p;
        }
        return grouped ? "a" + p.charAt(2) + p.charAt(1) + p.substring(3) : "" + p.charAt(1) + p.charAt(0) + p.substring(2);
    }

    private static long[] toLong(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
