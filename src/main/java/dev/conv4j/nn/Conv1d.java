package dev.conv4j.nn;

import dev.conv4j.ConvSpec;

/**
 * PyTorch's {@code nn.Conv1d}: {@code y = b + conv(x, w)} as in {@link ConvSpec}; output size per spatial dimension
 * {@code floor((i + p_l + p_r − d·(k − 1) − 1) / s) + 1}.
 *
 * <p>Input {@code [N, C_in, W]}, weight {@code [OC, IC/G, K]}, bias {@code [OC]}. Defaults as in
 * PyTorch: stride 1, padding 0, dilation 1, groups 1, bias, zeros padding, weights and bias
 * initialised by {@link Init.Scheme#PYTORCH_DEFAULT}. For example
 * {@code Conv1d.builder(16, 32, 5).padding("same").build()}.
 *
 * <p>Forward, backward, gradients, plans, modes and threads: see {@link ConvLayer} and
 * {@link Layer}.
 */
public final class Conv1d extends ConvLayer {

    /** {@code nn.Conv1d(inChannels, outChannels, kernelSize)} with every other argument at its default. */
    public Conv1d(int inChannels, int outChannels, int kernelSize) {
        this(ConvSpec.conv1d(inChannels, outChannels, kernelSize).build(), Options.defaults());
    }

    Conv1d(ConvSpec spec, Options options) {
        super(requireKind(spec, 1, false, "Conv1d"), options);
    }

    /**
     * A builder with PyTorch's positional arguments; the rest are chainable.
     *
     * @param inChannels  {@code in_channels}
     * @param outChannels {@code out_channels}
     * @param kernelSize  {@code kernel_size}: kernel extent
     */
    public static Builder<Conv1d> builder(int inChannels, int outChannels, int kernelSize) {
        return new Builder<>(ConvSpec.conv1d(inChannels, outChannels, kernelSize), Conv1d::new);
    }
}
