package dev.conv4j;

import dev.conv4j.tensor.Shape;
import java.util.Arrays;
import java.util.Objects;

/**
 * A convolution layer's hyper-parameters: an immutable value, valid by construction.
 *
 * <p>For output channel {@code o}, output position {@code (i, j)} (2-D shown), groups
 * {@code G}, input channels per group {@code C/G}, stride {@code s}, left padding {@code p},
 * dilation {@code d} (PyTorch convention, 1 = dense):
 *
 * <pre>
 * y[n,o,i,j] = b[o] + Σ_c Σ_u Σ_v w[o,c,u,v] · x[n, g(o)·C/G + c, i·s_h + u·d_h − p_h, j·s_w + v·d_w − p_w]
 * </pre>
 *
 * with {@code x} read as the {@link PaddingMode} says outside the input. A transposed
 * convolution ({@link #transposed()}) is the adjoint of that map (its backward-data) plus its
 * own bias. Tensor layouts are PyTorch's: activations {@code [N, C, (D,) (H,) W]}, weights
 * {@code [OC, IC/G, K...]} (transposed: {@code [IC, OC/G, K...]}), bias {@code [OC]}.
 *
 * <p>Arrays ({@code kernelSize}, {@code stride}, {@code dilation}, {@code outputPadding}) hold
 * one value per spatial dimension; the accessors return copies. All sizes derived from a spec
 * come from {@link ConvShapes}.
 *
 * @param rank          spatial rank: 1, 2 or 3
 * @param inChannels    channels of the input ({@code src})
 * @param outChannels   channels of the output ({@code dst})
 * @param kernelSize    kernel extent per spatial dimension
 * @param stride        stride per spatial dimension (default 1)
 * @param padding       explicit, {@code same} or {@code valid} (default 0)
 * @param dilation      dilation per spatial dimension, 1 = dense (default 1)
 * @param groups        groups; {@code groups == inChannels} is depthwise (default 1)
 * @param paddingMode   what fills the padding (default {@link PaddingMode#ZEROS})
 * @param transposed    whether this is a transposed convolution (default false)
 * @param outputPadding extra output size on the right, transposed only (default 0)
 * @param bias          whether the layer has a bias (default true)
 */
public record ConvSpec(int rank, int inChannels, int outChannels, int[] kernelSize, int[] stride,
                       Padding padding, int[] dilation, int groups, PaddingMode paddingMode,
                       boolean transposed, int[] outputPadding, boolean bias) {

    /**
     * The largest stride per dimension. oneDNN 3.11's strided backward-data kernel
     * ({@code brgconv_strided}) crashed the JVM with SIGFPE at strides 65536, 131072, 2^20 and
     * 2^31 - 1 (even 1-D, at prepare or on the first call), and took 80-200 s to prepare at
     * strides 65544-100000; every stride up to 65535 that was tried ran. No layer has a use
     * for more: a stride beyond the padded input only leaves one output position.
     */
    public static final int MAX_STRIDE = 65535;

    /** Validates every parameter (the rules are in {@code validate}, one message per rule). */
    public ConvSpec {
        Check.arg(rank >= 1 && rank <= 3, "rank: must be 1, 2 or 3, got %d", rank);
        Objects.requireNonNull(padding, "padding");
        Objects.requireNonNull(paddingMode, "padding_mode");
        kernelSize = expand("kernel_size", kernelSize, rank);
        stride = expand("stride", stride, rank);
        dilation = expand("dilation", dilation, rank);
        outputPadding = expand("output_padding", outputPadding, rank);
        if (padding instanceof Padding.Explicit e) {
            padding = new Padding.Explicit(expand("padding", e.left(), rank), expand("padding", e.right(), rank));
        }
        validate(rank, inChannels, outChannels, kernelSize, stride, padding, dilation, groups,
                paddingMode, transposed, outputPadding);
    }

    // ---- factories -------------------------------------------------------------------------

    /** A builder for a convolution of the given rank; optional values are chainable. */
    public static Builder builder(int rank, int inChannels, int outChannels, int... kernelSize) {
        return new Builder(rank, inChannels, outChannels, kernelSize);
    }

    /** {@code nn.Conv1d(inChannels, outChannels, kernelSize)}. */
    public static Builder conv1d(int inChannels, int outChannels, int kernelSize) {
        return builder(1, inChannels, outChannels, kernelSize);
    }

    /** {@code nn.Conv2d(inChannels, outChannels, kernelSize)}; kernel: 1 or 2 values. */
    public static Builder conv2d(int inChannels, int outChannels, int... kernelSize) {
        return builder(2, inChannels, outChannels, kernelSize);
    }

    /** {@code nn.Conv3d(inChannels, outChannels, kernelSize)}; kernel: 1 or 3 values. */
    public static Builder conv3d(int inChannels, int outChannels, int... kernelSize) {
        return builder(3, inChannels, outChannels, kernelSize);
    }

    /** {@code nn.ConvTranspose{rank}d(inChannels, outChannels, kernelSize)}. */
    public static Builder transposed(int rank, int inChannels, int outChannels, int... kernelSize) {
        return builder(rank, inChannels, outChannels, kernelSize).transposed(true);
    }

    /**
     * A depthwise convolution: {@code groups = channels}, {@code outChannels = channels · multiplier}.
     */
    public static Builder depthwise(int rank, int channels, int multiplier, int... kernelSize) {
        Check.arg(multiplier >= 1, "depth_multiplier: must be >= 1, got %d", multiplier);
        long outChannels = (long) channels * multiplier;   // an int product wraps: 4 · (2^30 + 1) gave 4
        Check.arg(outChannels <= Integer.MAX_VALUE, "depth_multiplier: %d x in_channels %d = %d out_channels, more than %d",
                multiplier, channels, outChannels, Integer.MAX_VALUE);
        return builder(rank, channels, (int) outChannels, kernelSize).groups(channels);
    }

    /** A builder that starts from this spec's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    // ---- derived values --------------------------------------------------------------------

    /** The output shape for an input of shape {@code src}; see {@link ConvShapes#dst}. */
    public Shape outputShape(Shape src) {
        return ConvShapes.dst(this, src);
    }

    /** Whether this is a depthwise convolution ({@code groups == inChannels > 1}, not transposed). */
    public boolean isDepthwise() {
        return !transposed && groups == inChannels && groups > 1;
    }

    @Override public int[] kernelSize() { return kernelSize.clone(); }
    @Override public int[] stride() { return stride.clone(); }
    @Override public int[] dilation() { return dilation.clone(); }
    @Override public int[] outputPadding() { return outputPadding.clone(); }

    /** Kernel extent of spatial dimension {@code k} (0-based), without a copy. */
    public int kernel(int k) { return kernelSize[k]; }
    /** Stride of spatial dimension {@code k}, without a copy. */
    public int stride(int k) { return stride[k]; }
    /** Dilation of spatial dimension {@code k}, without a copy. */
    public int dilation(int k) { return dilation[k]; }
    /** Output padding of spatial dimension {@code k}, without a copy. */
    public int outputPadding(int k) { return outputPadding[k]; }

    @Override public boolean equals(Object o) {
        return o instanceof ConvSpec s && rank == s.rank && inChannels == s.inChannels
                && outChannels == s.outChannels && Arrays.equals(kernelSize, s.kernelSize)
                && Arrays.equals(stride, s.stride) && padding.equals(s.padding)
                && Arrays.equals(dilation, s.dilation) && groups == s.groups
                && paddingMode == s.paddingMode && transposed == s.transposed
                && Arrays.equals(outputPadding, s.outputPadding) && bias == s.bias;
    }

    @Override public int hashCode() {
        int h = Objects.hash(rank, inChannels, outChannels, padding, groups, paddingMode, transposed, bias);
        h = 31 * h + Arrays.hashCode(kernelSize);
        h = 31 * h + Arrays.hashCode(stride);
        h = 31 * h + Arrays.hashCode(dilation);
        return 31 * h + Arrays.hashCode(outputPadding);
    }

    @Override public String toString() {
        StringBuilder b = new StringBuilder(transposed ? "ConvTranspose" : "Conv").append(rank).append("d(")
                .append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(Arrays.toString(kernelSize))
                .append(", stride=").append(Arrays.toString(stride))
                .append(", padding=").append(padding)
                .append(", dilation=").append(Arrays.toString(dilation))
                .append(", groups=").append(groups)
                .append(", bias=").append(bias);
        if (paddingMode != PaddingMode.ZEROS) {
            b.append(", padding_mode=").append(paddingMode.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (transposed) {
            b.append(", output_padding=").append(Arrays.toString(outputPadding));
        }
        return b.append(')').toString();
    }

    // ---- validation: one place ---------------------------------------------------------------

    /** Expands a per-dimension parameter given as one value or {@code rank} values. */
    static int[] expand(String name, int[] values, int rank) {
        Objects.requireNonNull(values, name);
        Check.arg(values.length == 1 || values.length == rank,
                "%s: expected 1 or %d values for a %d-D convolution, got %s",
                name, rank, rank, Arrays.toString(values));
        if (values.length == rank) {
            return values.clone();
        }
        int[] out = new int[rank];
        Arrays.fill(out, values[0]);
        return out;
    }

    private static void validate(int rank, int inChannels, int outChannels, int[] kernelSize,
                                 int[] stride, Padding padding, int[] dilation, int groups,
                                 PaddingMode paddingMode, boolean transposed, int[] outputPadding) {
        // Each value's own range first ...
        Check.arg(inChannels >= 1, "in_channels: must be >= 1, got %d", inChannels);
        Check.arg(outChannels >= 1, "out_channels: must be >= 1, got %d", outChannels);
        for (int k = 0; k < rank; k++) {
            Check.arg(kernelSize[k] >= 1, "kernel_size: must be >= 1, got %s", Arrays.toString(kernelSize));
            Check.arg(stride[k] >= 1, "stride: must be >= 1, got %s", Arrays.toString(stride));
            Check.arg(stride[k] <= MAX_STRIDE, "stride: must be at most %d (larger strides crash oneDNN), got %s",
                    MAX_STRIDE, Arrays.toString(stride));
            Check.arg(dilation[k] >= 1, "dilation: must be >= 1 (PyTorch convention, 1 = dense), got %s",
                    Arrays.toString(dilation));
            Check.arg(outputPadding[k] >= 0, "output_padding: must be >= 0, got %s", Arrays.toString(outputPadding));
        }
        if (padding instanceof Padding.Explicit e) {
            for (int k = 0; k < rank; k++) {
                Check.arg(e.left()[k] >= 0 && e.right()[k] >= 0, "padding: must be >= 0, got %s", e);
            }
        }
        Check.arg(groups >= 1, "groups: must be >= 1, got %d", groups);
        // ... then the relations between them.
        for (int k = 0; k < rank; k++) {
            long dk = ConvShapes.dilatedKernel(kernelSize[k], dilation[k]);
            Check.arg(dk <= Integer.MAX_VALUE, "kernel_size: dilated kernel %d (k=%d, dilation=%d) exceeds %d",
                    dk, kernelSize[k], dilation[k], Integer.MAX_VALUE);
        }
        Check.arg(inChannels % groups == 0 && outChannels % groups == 0,
                "groups: %d must divide in_channels %d and out_channels %d", groups, inChannels, outChannels);
        if (transposed) {
            for (int k = 0; k < rank; k++) {
                Check.arg(ConvShapes.outputPaddingAllowed(outputPadding[k], stride[k], dilation[k]),
                        "output_padding: %d must be smaller than stride %d or dilation %d",
                        outputPadding[k], stride[k], dilation[k]);
            }
            Check.arg(paddingMode == PaddingMode.ZEROS,
                    "padding_mode: only zeros is supported for a transposed convolution, got %s",
                    paddingMode.name().toLowerCase(java.util.Locale.ROOT));
        } else {
            for (int k = 0; k < rank; k++) {
                Check.arg(outputPadding[k] == 0,
                        "output_padding: only a transposed convolution has output padding, got %s",
                        Arrays.toString(outputPadding));
            }
        }
    }

    // ---- builder ----------------------------------------------------------------------------

    /** Builds a {@link ConvSpec}; {@link #build()} validates. Per-dimension setters take 1 or rank values. */
    public static final class Builder {
        private final int rank;
        private final int inChannels;
        private final int outChannels;
        private int[] kernelSize;
        private int[] stride = {1};
        private Padding padding = Padding.of(0);
        private int[] dilation = {1};
        private int groups = 1;
        private PaddingMode paddingMode = PaddingMode.ZEROS;
        private boolean transposed;
        private int[] outputPadding = {0};
        private boolean bias = true;

        private Builder(int rank, int inChannels, int outChannels, int[] kernelSize) {
            this.rank = rank;
            this.inChannels = inChannels;
            this.outChannels = outChannels;
            this.kernelSize = Objects.requireNonNull(kernelSize, "kernel_size").clone();
        }

        private Builder(ConvSpec s) {
            this(s.rank, s.inChannels, s.outChannels, s.kernelSize);
            stride = s.stride();
            padding = s.padding;
            dilation = s.dilation();
            groups = s.groups;
            paddingMode = s.paddingMode;
            transposed = s.transposed;
            outputPadding = s.outputPadding();
            bias = s.bias;
        }

        public Builder kernelSize(int... perDim) { kernelSize = Objects.requireNonNull(perDim, "kernel_size").clone(); return this; }
        public Builder stride(int... perDim) { stride = Objects.requireNonNull(perDim, "stride").clone(); return this; }
        /** Symmetric padding, one value or one per dimension. */
        public Builder padding(int... perDim) { padding = Padding.of(perDim); return this; }
        /** Asymmetric padding: left and right per dimension. */
        public Builder padding(int[] left, int[] right) { padding = Padding.of(left, right); return this; }
        public Builder padding(Padding p) { padding = Objects.requireNonNull(p, "padding"); return this; }
        /** {@code "same"}, {@code "valid"}, or a number. */
        public Builder padding(String p) { padding = Padding.parse(p); return this; }
        public Builder dilation(int... perDim) { dilation = Objects.requireNonNull(perDim, "dilation").clone(); return this; }
        public Builder groups(int g) { groups = g; return this; }
        public Builder paddingMode(PaddingMode m) { paddingMode = Objects.requireNonNull(m, "padding_mode"); return this; }
        public Builder transposed(boolean t) { transposed = t; return this; }
        public Builder outputPadding(int... perDim) {
            outputPadding = Objects.requireNonNull(perDim, "output_padding").clone();
            return this;
        }
        public Builder bias(boolean b) { bias = b; return this; }

        /** @throws IllegalArgumentException naming the first invalid parameter */
        public ConvSpec build() {
            return new ConvSpec(rank, inChannels, outChannels, kernelSize, stride, padding, dilation,
                    groups, paddingMode, transposed, outputPadding, bias);
        }
    }
}
