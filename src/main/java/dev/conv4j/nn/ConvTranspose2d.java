package dev.conv4j.nn;

import dev.conv4j.ConvSpec;

/**
 * PyTorch's {@code nn.ConvTranspose2d}: the adjoint (backward-data) of the 2-D convolution with the channel counts swapped, plus a bias;
 * output size per spatial dimension {@code (i − 1)·s − p_l − p_r + d·(k − 1) + 1 + output_padding}.
 *
 * <p>Input {@code [N, C_in, H, W]}, weight {@code [IC, OC/G, KH, KW]}, bias {@code [OC]}. Defaults as in
 * PyTorch: stride 1, padding 0, dilation 1, groups 1, bias, zeros padding, weights and bias
 * initialised by {@link Init.Scheme#PYTORCH_DEFAULT}. For example
 * {@code ConvTranspose2d.builder(64, 32, 3).stride(2).padding(1).outputPadding(1).build()}.
 *
 * <p>Forward, backward, gradients, plans, modes and threads: see {@link ConvLayer} and
 * {@link Layer}.
 */
public final class ConvTranspose2d extends ConvLayer {

    /** {@code nn.ConvTranspose2d(inChannels, outChannels, kernelSize)} with every other argument at its default. */
    public ConvTranspose2d(int inChannels, int outChannels, int... kernelSize) {
        this(ConvSpec.transposed(2, inChannels, outChannels, kernelSize).build(), Options.defaults());
    }

    ConvTranspose2d(ConvSpec spec, Options options) {
        super(requireKind(spec, 2, true, "ConvTranspose2d"), options);
    }

    /**
     * A builder with PyTorch's positional arguments; the rest are chainable.
     *
     * @param inChannels  {@code in_channels}
     * @param outChannels {@code out_channels}
     * @param kernelSize  {@code kernel_size}: kernel extent, 1 or 2 values
     */
    public static Builder<ConvTranspose2d> builder(int inChannels, int outChannels, int... kernelSize) {
        return new Builder<>(ConvSpec.transposed(2, inChannels, outChannels, kernelSize), ConvTranspose2d::new);
    }
}
