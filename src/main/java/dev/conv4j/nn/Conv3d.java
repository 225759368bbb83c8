package dev.conv4j.nn;

import dev.conv4j.ConvSpec;

/**
 * PyTorch's {@code nn.Conv3d}: {@code y = b + conv(x, w)} as in {@link ConvSpec}; output size per spatial dimension
 * {@code floor((i + p_l + p_r − d·(k − 1) − 1) / s) + 1}.
 *
 * <p>Input {@code [N, C_in, D, H, W]}, weight {@code [OC, IC/G, KD, KH, KW]}, bias {@code [OC]}. Defaults as in
 * PyTorch: stride 1, padding 0, dilation 1, groups 1, bias, zeros padding, weights and bias
 * initialised by {@link Init.Scheme#PYTORCH_DEFAULT}. For example
 * {@code Conv3d.builder(4, 8, 3).padding(1).dilation(2).build()}.
 *
 * <p>Forward, backward, gradients, plans, modes and threads: see {@link ConvLayer} and
 * {@link Layer}.
 */
public final class Conv3d extends ConvLayer {

    /** {@code nn.Conv3d(inChannels, outChannels, kernelSize)} with every other argument at its default. */
    public Conv3d(int inChannels, int outChannels, int... kernelSize) {
        this(ConvSpec.conv3d(inChannels, outChannels, kernelSize).build(), Options.defaults());
    }

    Conv3d(ConvSpec spec, Options options) {
        super(requireKind(spec, 3, false, "Conv3d"), options);
    }

    /**
     * A builder with PyTorch's positional arguments; the rest are chainable.
     *
     * @param inChannels  {@code in_channels}
     * @param outChannels {@code out_channels}
     * @param kernelSize  {@code kernel_size}: kernel extent, 1 or 3 values
     */
    public static Builder<Conv3d> builder(int inChannels, int outChannels, int... kernelSize) {
        return new Builder<>(ConvSpec.conv3d(inChannels, outChannels, kernelSize), Conv3d::new);
    }
}
