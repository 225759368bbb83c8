package dev.conv4j.nn;

import dev.conv4j.ConvSpec;

/**
 * PyTorch's {@code nn.ConvTranspose1d}: the adjoint (backward-data) of the 1-D convolution with the channel counts swapped, plus a bias;
 * output size per spatial dimension {@code (i − 1)·s − p_l − p_r + d·(k − 1) + 1 + output_padding}.
 *
 * <p>Input {@code [N, C_in, W]}, weight {@code [IC, OC/G, K]}, bias {@code [OC]}. Defaults as in
 * PyTorch: stride 1, padding 0, dilation 1, groups 1, bias, zeros padding, weights and bias
 * initialised by {@link Init.Scheme#PYTORCH_DEFAULT}. For example
 * {@code ConvTranspose1d.builder(32, 16, 4).stride(2).padding(1).build()}.
 *
 * <p>Forward, backward, gradients, plans, modes and threads: see {@link ConvLayer} and
 * {@link Layer}.
 */
public final class ConvTranspose1d extends ConvLayer {

    /** {@code nn.ConvTranspose1d(inChannels, outChannels, kernelSize)} with every other argument at its default. */
    public ConvTranspose1d(int inChannels, int outChannels, int kernelSize) {
        this(ConvSpec.transposed(1, inChannels, outChannels, kernelSize).build(), Options.defaults());
    }

    ConvTranspose1d(ConvSpec spec, Options options) {
        super(requireKind(spec, 1, true, "ConvTranspose1d"), options);
    }

    /**
     * A builder with PyTorch's positional arguments; the rest are chainable.
     *
     * @param inChannels  {@code in_channels}
     * @param outChannels {@code out_channels}
     * @param kernelSize  {@code kernel_size}: kernel extent
     */
    public static Builder<ConvTranspose1d> builder(int inChannels, int outChannels, int kernelSize) {
        return new Builder<>(ConvSpec.transposed(1, inChannels, outChannels, kernelSize), ConvTranspose1d::new);
    }
}
