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
    /** Time {@link #ANY} and {@link #CHANNELS_LAST} once per (spec, shape, direction) and keep the faster. */
    AUTO
}
