package dev.conv4j.nn;

import dev.conv4j.ConvSpec;

/**
 * PyTorch's {@code nn.ConvTranspose3d}: the adjoint (backward-data) of the 3-D convolution with the channel counts swapped, plus a bias;
 * output size per spatial dimension {@code (i − 1)·s − p_l − p_r + d·(k − 1) + 1 + output_padding}.
 *
 * <p>Input {@code [N, C_in, D, H, W]}, weight {@code [IC, OC/G, KD, KH, KW]}, bias {@code [OC]}. Defaults as in
 * PyTorch: stride 1, padding 0, dilation 1, groups 1, bias, zeros padding, weights and bias
 * initialised by {@link Init.Scheme#PYTORCH_DEFAULT}. For example
 * {@code ConvTranspose3d.builder(8, 4, 2).stride(2).build()}.
 *
 * <p>Forward, backward, gradients, plans, modes and threads: see {@link ConvLayer} and
 * {@link Layer}.
 */
public final class ConvTranspose3d extends ConvLayer {

    /** {@code nn.ConvTranspose3d(inChannels, outChannels, kernelSize)} with every other argument at its default. */
    public ConvTranspose3d(int inChannels, int outChannels, int... kernelSize) {
        this(ConvSpec.transposed(3, inChannels, outChannels, kernelSize).build(), Options.defaults());
    }

    ConvTranspose3d(ConvSpec spec, Options options) {
        super(requireKind(spec, 3, true, "ConvTranspose3d"), options);
    }

    /**
     * A builder with PyTorch's positional arguments; the rest are chainable.
     *
     * @param inChannels  {@code in_channels}
     * @param outChannels {@code out_channels}
     * @param kernelSize  {@code kernel_size}: kernel extent, 1 or 3 values
     */
    public static Builder<ConvTranspose3d> builder(int inChannels, int outChannels, int... kernelSize) {
        return new Builder<>(ConvSpec.transposed(3, inChannels, outChannels, kernelSize), ConvTranspose3d::new);
    }
}
