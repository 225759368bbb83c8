package dev.conv4j.engine;

/**
 * How the oneDNN engine picks the memory layout its primitives compute in (the user's
 * tensors keep theirs; reorders bridge the two). The reference engine ignores it.
 */
public enum LayoutPolicy {
    /** oneDNN's own choice ({@code format_tag.any}) for source, weights and destination. */
    ANY,
    /** Channels-last source and destination ({@code nwc/nhwc/ndhwc}), weights {@code any}. */
    CHANNELS_LAST,
    /**
     * Channels-first source and destination ({@code ncw/nchw/ncdhw}), weights {@code any}: no
     * activation reorder for channels-first tensors, but often a slower kernel (im2col + GEMM).
     */
    CHANNELS_FIRST,
    /**
     * Time {@link #ANY}, {@link #CHANNELS_LAST} and {@link #CHANNELS_FIRST}, each on every kernel
     * family oneDNN lists for it, once per (spec, shape, direction, tensor layout, training,
     * weights updated), reorders included, and keep the fastest. A 1×1, stride-1,
     * unpadded, ungrouped convolution is also timed as a oneDNN matmul on the user's own tensors
     * (no reorder), with the weights read in place or packed; with channels-last tensors its
     * strided backward-weights too, after gathering the source positions the stride reads; its
     * backward-weights also as the transposed product and on oneDNN's {@code sgemm}.
     */
    AUTO
}
