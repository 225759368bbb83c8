package dev.conv4j.nn;

import dev.conv4j.Check;
import dev.conv4j.ConvSpec;
import dev.conv4j.Padding;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A depthwise-separable 2-D convolution as one layer: a {@link DepthwiseConv2d}
 * ({@code C → C·m}, the kernel, stride, padding, dilation and padding mode) followed by a
 * pointwise 1×1 {@link Conv2d} ({@code C·m → out_channels}). Both parameter sets are exposed
 * through {@link #depthwise()} and {@link #pointwise()}.
 *
 * <p>It is the PyTorch module
 * <pre>
 * class SeparableConv2d(nn.Module):
 *     def __init__(self, cin, cout, k, stride=1, padding=0, dilation=1, depth_multiplier=1,
 *                  bias=True, depthwise_bias=False):
 *         super().__init__()
 *         self.depthwise = nn.Conv2d(cin, cin * depth_multiplier, k, stride, padding, dilation,
 *                                    groups=cin, bias=depthwise_bias)
 *         self.pointwise = nn.Conv2d(cin * depth_multiplier, cout, 1, bias=bias)
 *     def forward(self, x):
 *         return self.pointwise(self.depthwise(x))
 * </pre>
 * and its {@code state_dict} names are {@code depthwise.weight}, ({@code depthwise.bias},)
 * {@code pointwise.weight}, {@code pointwise.bias}. As in Keras' {@code SeparableConv2D}, the
 * depthwise part has no bias unless {@link Builder#depthwiseBias} asks for one.
 *
 * <p>Modes, gradients and threads as for every {@link Layer}.
 */
public final class SeparableConv2d implements Layer {
    private final DepthwiseConv2d depthwise;
    private final Conv2d pointwise;
    private final Map<String, Parameter> named;
    private final UseGuard guard = new UseGuard();

    private SeparableConv2d(DepthwiseConv2d depthwise, Conv2d pointwise) {
        this.depthwise = depthwise;
        this.pointwise = pointwise;
        Map<String, Parameter> m = new LinkedHashMap<>();
        depthwise.namedParameters().forEach((k, v) -> m.put("depthwise." + k, v));
        pointwise.namedParameters().forEach((k, v) -> m.put("pointwise." + k, v));
        this.named = Collections.unmodifiableMap(m);
    }

    /** {@code in → out} with kernel {@code kernelSize} and every other argument at its default. */
    public static SeparableConv2d of(int inChannels, int outChannels, int... kernelSize) {
        return builder(inChannels, outChannels, kernelSize).build();
    }

    /**
     * A builder; everything but the channels and kernel is chainable.
     *
     * @param inChannels  input channels
     * @param outChannels output channels of the pointwise part
     * @param kernelSize  depthwise kernel extent, 1 or 2 values
     */
    public static Builder builder(int inChannels, int outChannels, int... kernelSize) {
        return new Builder(inChannels, outChannels, kernelSize);
    }

    /** The depthwise part ({@code C → C·m}). */
    public DepthwiseConv2d depthwise() { return depthwise; }

    /** The pointwise 1×1 part ({@code C·m → out_channels}). */
    public Conv2d pointwise() { return pointwise; }

    /** The output shape for input shape {@code src}. */
    public Shape outputShape(Shape src) {
        return pointwise.outputShape(depthwise.outputShape(src));
    }

    /** Moves both parts to engine {@code e} (see {@link ConvLayer#setEngine}). */
    public void setEngine(Engine e) {
        guard.enter(this);
        try {
            depthwise.setEngine(e);
            pointwise.setEngine(e);
        } finally {
            guard.exit();
        }
    }

    @Override public Tensor forward(Tensor x) {
        guard.enter(this);
        try {
            return pointwise.forward(depthwise.forward(x));
        } finally {
            guard.exit();
        }
    }

    @Override public Tensor backward(Tensor dy) {
        guard.enter(this);
        try {
            return depthwise.backward(pointwise.backward(dy));
        } finally {
            guard.exit();
        }
    }

    /**
     * Back-propagates like {@link #backward(Tensor)}, writing the input gradient into
     * {@code dx}, or skipping it when {@code dx} is {@code null}.
     */
    public void backward(Tensor dy, Tensor dx) {
        guard.enter(this);
        try {
            depthwise.backward(pointwise.backward(dy), dx);
        } finally {
            guard.exit();
        }
    }

    @Override public Map<String, Parameter> namedParameters() { return named; }

    @Override public void train() {
        depthwise.train();
        pointwise.train();
    }

    @Override public void eval() {
        depthwise.eval();
        pointwise.eval();
    }

    @Override public boolean isTraining() { return depthwise.isTraining(); }

    @Override public void close() {
        try {
            depthwise.close();
        } finally {
            pointwise.close();
        }
    }

    @Override public String toString() {
        ConvSpec d = depthwise.spec();
        return "SeparableConv2d(" + d.inChannels() + ", " + pointwise.spec().outChannels()
                + ", depth_multiplier=" + depthwise.depthMultiplier()
                + ", depthwise=" + depthwise + ", pointwise=" + pointwise + ")";
    }

    /** Builds a {@link SeparableConv2d}; {@link #build()} validates both parts. */
    public static final class Builder {
        private final int inChannels;
        private final int outChannels;
        private final int[] kernelSize;
        private int[] stride = {1};
        private Padding padding = Padding.of(0);
        private int[] dilation = {1};
        private PaddingMode paddingMode = PaddingMode.ZEROS;
        private int depthMultiplier = 1;
        private boolean bias = true;
        private boolean depthwiseBias;
        private Engine engine;
        private Layout layout = Layout.CHANNELS_FIRST;
        private LayoutPolicy layoutPolicy = LayoutPolicy.ANY;
        private Init.Scheme init = Init.Scheme.PYTORCH_DEFAULT;
        private Long seed;
        private int planCacheSize = ConvLayer.Options.DEFAULT_PLAN_CACHE_SIZE;

        private Builder(int inChannels, int outChannels, int[] kernelSize) {
            this.inChannels = inChannels;
            this.outChannels = outChannels;
            this.kernelSize = kernelSize.clone();
        }

        /** Depthwise {@code stride}, default 1. */
        public Builder stride(int... perDim) { stride = perDim.clone(); return this; }
        /** Depthwise symmetric {@code padding}, default 0. */
        public Builder padding(int... perDim) { padding = Padding.of(perDim); return this; }
        /** Depthwise {@code padding}: {@code "same"}, {@code "valid"} or a number. */
        public Builder padding(String p) { padding = Padding.parse(p); return this; }
        /** Depthwise padding of any kind. */
        public Builder padding(Padding p) { padding = Objects.requireNonNull(p, "padding"); return this; }
        /** Depthwise {@code dilation}, default 1. */
        public Builder dilation(int... perDim) { dilation = perDim.clone(); return this; }
        /** Depthwise {@code padding_mode}, default zeros. */
        public Builder paddingMode(PaddingMode m) { paddingMode = Objects.requireNonNull(m, "padding_mode"); return this; }
        /** Filters per input channel in the depthwise part, default 1. */
        public Builder depthMultiplier(int m) {
            Check.arg(m >= 1, "depth_multiplier: must be >= 1, got %d", m);
            depthMultiplier = m;
            return this;
        }
        /** Bias of the pointwise part, default true. */
        public Builder bias(boolean b) { bias = b; return this; }
        /** Bias of the depthwise part, default false. */
        public Builder depthwiseBias(boolean b) { depthwiseBias = b; return this; }
        /** Engine of both parts; default {@link Layers#defaultEngine()} at build time. */
        public Builder engine(Engine e) { engine = Objects.requireNonNull(e, "engine"); return this; }
        /** Layout of the activations; default channels-first. */
        public Builder layout(Layout l) { layout = Objects.requireNonNull(l, "layout"); return this; }
        /** Shorthand for {@code layout(Layout.CHANNELS_LAST)}. */
        public Builder channelsLast() { return layout(Layout.CHANNELS_LAST); }
        /** Layout policy of the oneDNN engine's primitives. */
        public Builder layoutPolicy(LayoutPolicy p) { layoutPolicy = Objects.requireNonNull(p, "layout_policy"); return this; }
        /** Initialisation scheme of both parts. */
        public Builder init(Init.Scheme s) { init = Objects.requireNonNull(s, "init"); return this; }
        /** Seed of the initialisation draws; default a random seed. */
        public Builder seed(long s) { seed = s; return this; }
        /** Plan cache size of each part, default 8. */
        public Builder planCacheSize(int n) {
            planCacheSize = ConvLayer.Options.checkPlanCacheSize(n);
            return this;
        }

        /** @throws IllegalArgumentException naming the first invalid parameter */
        public SeparableConv2d build() {
            ConvSpec dw = ConvSpec.depthwise(2, inChannels, depthMultiplier, kernelSize)
                    .stride(stride).padding(padding).dilation(dilation).paddingMode(paddingMode)
                    .bias(depthwiseBias).build();
            ConvSpec pw = ConvSpec.conv2d(inChannels * depthMultiplier, outChannels, 1).bias(bias).build();
            Random seeds = new Random(seed != null ? seed : ThreadLocalRandom.current().nextLong());
            // Each part draws from its own seed, both from the one given.
            ConvLayer.Options o = ConvLayer.Options.of(engine, layout, layoutPolicy, init, 0L, planCacheSize);
            DepthwiseConv2d d = new DepthwiseConv2d(dw, o.withPrefix("depthwise.").withSeed(seeds.nextLong()));
            Conv2d p = new Conv2d(pw, o.withPrefix("pointwise.").withSeed(seeds.nextLong()));
            return new SeparableConv2d(d, p);
        }
    }
}
