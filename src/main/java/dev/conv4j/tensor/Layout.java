package dev.conv4j.tensor;

/**
 * Memory order of an activation tensor. The logical shape is always {@code [N, C, spatial...]};
 * the layout says how elements lie in storage.
 */
public enum Layout {
    /** PyTorch's default: {@code N, C, (D,) (H,) W} (nchw), C-order over the logical shape. */
    CHANNELS_FIRST,
    /** Channels innermost: {@code N, (D,) (H,) W, C} (nhwc); PyTorch's {@code channels_last}. */
    CHANNELS_LAST;

    /**
     * Storage index of element {@code (n, c, first spatial position)} of a tensor of
     * {@code channels} channels of {@code plane} spatial positions each, in this layout.
     */
    public int planeStart(int n, int c, int channels, int plane) {
        return this == CHANNELS_LAST ? n * plane * channels + c : (n * channels + c) * plane;
    }

    /** Storage distance between neighbouring spatial positions of one channel, in this layout. */
    public int spatialStride(int channels) {
        return this == CHANNELS_LAST ? channels : 1;
    }
}
