package dev.conv4j.tensor;

/**
 * Memory order of an activation tensor. The logical shape is always {@code [N, C, spatial...]};
 * the layout says how elements lie in storage.
 */
public enum Layout {
    /** PyTorch's default: {@code N, C, (D,) (H,) W} (nchw), C-order over the logical shape. */
    CHANNELS_FIRST,
    /** Channels innermost: {@code N, (D,) (H,) W, C} (nhwc); PyTorch's {@code channels_last}. */
    CHANNELS_LAST
}
