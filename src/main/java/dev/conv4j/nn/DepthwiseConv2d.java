package dev.conv4j.nn;

import dev.conv4j.Check;
import dev.conv4j.ConvSpec;

/**
 * A 2-D depthwise convolution with a channel multiplier {@code m}: each input channel
 * {@code c} is convolved with its own {@code m} filters, giving output channels
 * {@code c·m … c·m + m − 1}. It is PyTorch's
 * {@code nn.Conv2d(channels, channels·m, kernel_size, groups=channels)} (Keras'
 * {@code DepthwiseConv2D(depth_multiplier=m)}), so weights exchange with PyTorch unchanged.
 *
 * <p>Input {@code [N, C, H, W]}, weight {@code [C·m, 1, KH, KW]}, bias {@code [C·m]}, output
 * {@code [N, C·m, OH, OW]}. Defaults as in PyTorch (stride 1, padding 0, dilation 1, bias).
 * For example {@code DepthwiseConv2d.builder(32, 1, 3).padding(1).build()}.
 */
public final class DepthwiseConv2d extends ConvLayer {

    /** {@code channels → channels·depthMultiplier} with every other argument at its default. */
    public DepthwiseConv2d(int channels, int depthMultiplier, int... kernelSize) {
        this(ConvSpec.depthwise(2, channels, depthMultiplier, kernelSize).build(), Options.defaults());
    }

    DepthwiseConv2d(ConvSpec spec, Options options) {
        super(requireDepthwise(spec), options);
    }

    private static ConvSpec requireDepthwise(ConvSpec spec) {
        requireKind(spec, 2, false, "DepthwiseConv2d");
        Check.arg(spec.groups() == spec.inChannels(),
                "groups: a DepthwiseConv2d has groups = in_channels = %d, got %d", spec.inChannels(), spec.groups());
        return spec;
    }

    /**
     * A builder; stride, padding, dilation, bias, padding mode and the layer options are chainable
     * (groups is fixed at {@code channels}).
     *
     * @param channels        input channels ({@code in_channels = groups})
     * @param depthMultiplier filters per input channel, {@code >= 1}
     * @param kernelSize      kernel extent, 1 or 2 values
     */
    public static Builder<DepthwiseConv2d> builder(int channels, int depthMultiplier, int... kernelSize) {
        return new Builder<>(ConvSpec.depthwise(2, channels, depthMultiplier, kernelSize), DepthwiseConv2d::new);
    }

    /** Filters per input channel: {@code out_channels / in_channels}. */
    public int depthMultiplier() {
        return spec().outChannels() / spec().inChannels();
    }
}
