package dev.conv4j.nn;

import dev.conv4j.Check;
import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Padding;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanArgs;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;

/**
 * One convolution layer with its parameters: the common part of {@link Conv1d},
 * {@link Conv2d}, {@link Conv3d}, {@link ConvTranspose1d}, {@link ConvTranspose2d},
 * {@link ConvTranspose3d} and {@link DepthwiseConv2d}. The formula, shapes and defaults are
 * those of its {@link ConvSpec}: weight {@code [OC, IC/G, K...]} (transposed
 * {@code [IC, OC/G, K...]}), bias {@code [OC]}, activations {@code [N, C, spatial...]} in the
 * layer's {@link Layout} (channels-first unless built with {@link Builder#channelsLast()}).
 *
 * <p><b>Plans.</b> The layer prepares one {@link Plan} per (input shape, mode) on its engine
 * the first time it sees that shape, and reuses it. At most {@link Builder#planCacheSize}
 * plans are kept (default 8); the least recently used one is closed when a new one would
 * exceed that. The layer always passes the same weight tensor to its plans, so an engine that
 * keeps the weights re-laid-out refreshes them only when {@link Parameter#markModified()} (or
 * any write through {@link Tensor}) has changed the weight's {@link Tensor#version()}.
 *
 * <p><b>Gradients.</b> {@link #backward} adds into {@link Parameter#grad()}: two backward
 * calls leave the sum of their gradients, as in PyTorch.
 *
 * <p>Threads: see {@link Layer}; a layer is confined to one thread at a time and overlapping
 * calls fail with {@link IllegalStateException}.
 */
public abstract class ConvLayer implements Layer {
    /** Layer-level options, besides the {@link ConvSpec}. */
    record Options(Engine engine, Layout layout, LayoutPolicy layoutPolicy, Init.Scheme init,
                   long seed, int planCacheSize, String prefix) {
        /** Plans a layer keeps, one per input shape, by default. */
        static final int DEFAULT_PLAN_CACHE_SIZE = 8;

        Options withPrefix(String p) {
            return new Options(engine, layout, layoutPolicy, init, seed, planCacheSize, p);
        }

        Options withSeed(long s) {
            return new Options(engine, layout, layoutPolicy, init, s, planCacheSize, prefix);
        }

        /** Every option at its default. */
        static Options defaults() {
            return of(null, Layout.CHANNELS_FIRST, LayoutPolicy.ANY, Init.Scheme.PYTORCH_DEFAULT, null,
                    DEFAULT_PLAN_CACHE_SIZE);
        }

        /**
         * The options a builder collected, unprefixed; a {@code null} engine is
         * {@link Layers#defaultEngine()} (as of now) and a {@code null} seed a random one.
         */
        static Options of(Engine engine, Layout layout, LayoutPolicy layoutPolicy, Init.Scheme init, Long seed,
                          int planCacheSize) {
            return new Options(engine != null ? engine : Layers.defaultEngine(), layout, layoutPolicy, init,
                    seed != null ? seed : ThreadLocalRandom.current().nextLong(), planCacheSize, "");
        }

        /** The one rule on the plan cache size, checked by the builders' setters and again by the layer. */
        static int checkPlanCacheSize(int n) {
            Check.arg(n >= 1, "plan_cache_size: must be >= 1, got %d", n);
            return n;
        }
    }

    private final ConvSpec spec;
    private final Layout layout;
    private final LayoutPolicy layoutPolicy;
    private final Parameter weight;
    private final Parameter bias;          // null without bias
    private final Tensor diffWei;          // scratch: one backward's weight gradient
    private final Tensor diffBia;
    private final Map<String, Parameter> named;
    private final PlanCache plans;
    private final PlanOptions trainingOptions;
    private final PlanOptions inferenceOptions;
    private PlanCache.Key hotKey;          // the last key looked up: found again without allocating
    private final UseGuard guard = new UseGuard();
    private Engine engine;
    private boolean training = true;
    private boolean closed;
    private Tensor lastInput;              // training forward's input, for backward
    private Plan lastPlan;

    ConvLayer(ConvSpec spec, Options options) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.engine = Objects.requireNonNull(options.engine(), "engine");
        this.layout = options.layout();
        this.layoutPolicy = options.layoutPolicy();
        this.plans = new PlanCache(Options.checkPlanCacheSize(options.planCacheSize()));
        // In training mode an optimizer changes the weights between calls: AUTO counts their re-layout.
        this.trainingOptions = PlanOptions.DEFAULT.withLayout(layoutPolicy).withUserLayout(layout).withWeightsUpdated(true);
        this.inferenceOptions = trainingOptions.withTraining(false).withWeightsUpdated(false);
        Shape weiShape = ConvShapes.wei(spec);
        this.weight = new Parameter(options.prefix() + "weight", weiShape);
        this.diffWei = Tensor.allocate(weiShape);
        Shape biaShape = ConvShapes.bia(spec);
        this.bias = biaShape == null ? null : new Parameter(options.prefix() + "bias", biaShape);
        this.diffBia = biaShape == null ? null : Tensor.allocate(biaShape);
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("weight", weight);
        if (bias != null) {
            m.put("bias", bias);
        }
        this.named = Collections.unmodifiableMap(m);
        Init.initialize(options.init(), weight.value(), bias == null ? null : bias.value(), new Random(options.seed()));
    }

    /** Checks that {@code spec} is of the kind the layer class {@code cls} computes. */
    static ConvSpec requireKind(ConvSpec spec, int rank, boolean transposed, String cls) {
        Check.arg(spec.rank() == rank && spec.transposed() == transposed,
                "spec: %s needs a %d-D %sconvolution, got %s", cls, rank, transposed ? "transposed " : "", spec);
        return spec;
    }

    // ---- builders ------------------------------------------------------------------------------

    /**
     * A builder for the layer class that matches {@code spec}: {@link DepthwiseConv2d} for a 2-D
     * depthwise spec, else {@code Conv{rank}d} or {@code ConvTranspose{rank}d}.
     */
    public static Builder<ConvLayer> builder(ConvSpec spec) {
        BiFunction<ConvSpec, Options, ConvLayer> f = (s, o) -> {
            if (s.transposed()) {
                return switch (s.rank()) {
                    case 1 -> new ConvTranspose1d(s, o);
                    case 2 -> new ConvTranspose2d(s, o);
                    default -> new ConvTranspose3d(s, o);
                };
            }
            return switch (s.rank()) {
                case 1 -> new Conv1d(s, o);
                case 2 -> s.isDepthwise() ? new DepthwiseConv2d(s, o) : new Conv2d(s, o);
                default -> new Conv3d(s, o);
            };
        };
        return new Builder<>(spec.toBuilder(), f);
    }

    /**
     * Builds a layer: PyTorch's constructor arguments as chainable setters (each per-dimension
     * setter takes one value or one per spatial dimension), then the layer's own options.
     * {@link #build()} validates through {@link ConvSpec}.
     */
    public static final class Builder<L extends ConvLayer> {
        private final ConvSpec.Builder spec;
        private final BiFunction<ConvSpec, Options, L> factory;
        private Engine engine;
        private Layout layout = Layout.CHANNELS_FIRST;
        private LayoutPolicy layoutPolicy = LayoutPolicy.ANY;
        private Init.Scheme init = Init.Scheme.PYTORCH_DEFAULT;
        private Long seed;
        private int planCacheSize = Options.DEFAULT_PLAN_CACHE_SIZE;

        Builder(ConvSpec.Builder spec, BiFunction<ConvSpec, Options, L> factory) {
            this.spec = spec;
            this.factory = factory;
        }

        /** {@code stride}, default 1. */
        public Builder<L> stride(int... perDim) { spec.stride(perDim); return this; }
        /** Symmetric {@code padding}, default 0. */
        public Builder<L> padding(int... perDim) { spec.padding(perDim); return this; }
        /** {@code padding="same"}, {@code "valid"} or a number. */
        public Builder<L> padding(String p) { spec.padding(p); return this; }
        /** Any {@link Padding}, including asymmetric explicit padding. */
        public Builder<L> padding(Padding p) { spec.padding(p); return this; }
        /** {@code dilation}, 1 = dense (default). */
        public Builder<L> dilation(int... perDim) { spec.dilation(perDim); return this; }
        /** {@code groups}, default 1. */
        public Builder<L> groups(int g) { spec.groups(g); return this; }
        /** {@code bias}, default true. */
        public Builder<L> bias(boolean b) { spec.bias(b); return this; }
        /** {@code padding_mode}, default zeros. */
        public Builder<L> paddingMode(PaddingMode m) { spec.paddingMode(m); return this; }
        /** {@code padding_mode} by name: zeros, reflect, replicate, circular. */
        public Builder<L> paddingMode(String m) { spec.paddingMode(PaddingMode.parse(m)); return this; }
        /** {@code output_padding} (transposed layers only), default 0. */
        public Builder<L> outputPadding(int... perDim) { spec.outputPadding(perDim); return this; }

        /** The engine that runs this layer; default {@link Layers#defaultEngine()} at build time. */
        public Builder<L> engine(Engine e) { engine = Objects.requireNonNull(e, "engine"); return this; }
        /** Layout of the activations the layer takes and returns; default channels-first. */
        public Builder<L> layout(Layout l) { layout = Objects.requireNonNull(l, "layout"); return this; }
        /** Shorthand for {@code layout(Layout.CHANNELS_LAST)}: inputs and outputs {@code N, spatial..., C}. */
        public Builder<L> channelsLast() { return layout(Layout.CHANNELS_LAST); }
        /** The layout policy of the oneDNN engine's primitives; default {@link LayoutPolicy#ANY}. */
        public Builder<L> layoutPolicy(LayoutPolicy p) { layoutPolicy = Objects.requireNonNull(p, "layout_policy"); return this; }
        /** Initialisation scheme; default {@link Init.Scheme#PYTORCH_DEFAULT}. */
        public Builder<L> init(Init.Scheme s) { init = Objects.requireNonNull(s, "init"); return this; }
        /** Seed of the initialisation draws; default a random seed. */
        public Builder<L> seed(long s) { seed = s; return this; }
        /** Most plans (input shapes × modes) kept at once; default 8. */
        public Builder<L> planCacheSize(int n) {
            planCacheSize = Options.checkPlanCacheSize(n);
            return this;
        }

        /** The spec as set so far. */
        public ConvSpec spec() { return spec.build(); }

        /** @throws IllegalArgumentException naming the first invalid parameter */
        public L build() {
            ConvSpec s = spec.build();
            return factory.apply(s, Options.of(engine, layout, layoutPolicy, init, seed, planCacheSize));
        }
    }

    // ---- accessors ------------------------------------------------------------------------------

    /** The layer's hyper-parameters. */
    public ConvSpec spec() { return spec; }

    /** {@code [OC, IC/G, K...]}, or {@code [IC, OC/G, K...]} for a transposed layer. */
    public Parameter weight() { return weight; }

    /** {@code [OC]}, or {@code null} when built with {@code bias(false)}. */
    public Parameter bias() { return bias; }

    public Layout layout() { return layout; }

    public Engine engine() { return engine; }

    /**
     * Moves the layer to another engine: its plans are closed and new ones are prepared on
     * {@code e} as inputs arrive. A pending backward needs a new forward.
     */
    public void setEngine(Engine e) {
        Objects.requireNonNull(e, "engine");
        enter();
        try {
            checkOpen();
            plans.close();
            engine = e;
            hotKey = null;
            lastInput = null;
            lastPlan = null;
        } finally {
            exit();
        }
    }

    /** The output shape for input shape {@code src}. */
    public Shape outputShape(Shape src) {
        return ConvShapes.dst(spec, src);
    }

    @Override public Map<String, Parameter> namedParameters() { return named; }

    @Override public void zeroGrad() {
        weight.zeroGrad();   // no iterator: a training step allocates nothing
        if (bias != null) {
            bias.zeroGrad();
        }
    }

    @Override public void train() { setTraining(true); }

    @Override public void eval() { setTraining(false); }

    private void setTraining(boolean t) {
        enter();
        try {
            training = t;
            lastInput = null;
            lastPlan = null;
        } finally {
            exit();
        }
    }

    @Override public boolean isTraining() { return training; }

    /** Plans currently cached (at most the plan cache size). */
    public int cachedPlans() { return plans.size(); }

    // ---- forward / backward ---------------------------------------------------------------------

    @Override public Tensor forward(Tensor x) {
        enter();
        try {
            Plan plan = planFor(x);
            Tensor y = Tensor.allocate(plan.dstShape(), layout);
            run(plan, x, y);
            return y;
        } finally {
            exit();
        }
    }

    /**
     * Computes the layer's output into {@code y}, which must have {@link #outputShape} and the
     * layer's layout (no allocation beyond the plan's first preparation).
     *
     * @param x input; read (kept for backward in training mode)
     * @param y output; overwritten
     */
    public void forward(Tensor x, Tensor y) {
        enter();
        try {
            run(planFor(x), x, y);
        } finally {
            exit();
        }
    }

    private void run(Plan plan, Tensor x, Tensor y) {
        plan.forward(x, weight.value(), bias == null ? null : bias.value(), y);
        lastInput = training ? x : null;
        lastPlan = training ? plan : null;
    }

    @Override public Tensor backward(Tensor dy) {
        enter();
        try {
            Plan plan = pendingPlan();
            Tensor dx = Tensor.allocate(plan.srcShape(), layout);
            backprop(plan, dy, dx);
            return dx;
        } finally {
            exit();
        }
    }

    /**
     * Back-propagates {@code dy} like {@link #backward(Tensor)}, writing the input gradient
     * into {@code dx}, or skipping it when {@code dx} is {@code null} (a first layer, whose
     * input needs no gradient).
     *
     * @param dy gradient with respect to the last output; read
     * @param dx gradient with respect to the last input, or {@code null}; overwritten
     */
    public void backward(Tensor dy, Tensor dx) {
        enter();
        try {
            backprop(pendingPlan(), dy, dx);
        } finally {
            exit();
        }
    }

    private void backprop(Plan plan, Tensor dy, Tensor dx) {
        if (dx != null) {
            PlanArgs.check("diff_src", dx, plan.srcShape(), layout);
        }
        // A cleared gradient is overwritten in place; else this call's gradient goes to scratch
        // first, then adds: PyTorch's accumulation.
        Tensor weiTarget = weight.gradTarget(diffWei);
        Tensor biaTarget = bias == null ? null : bias.gradTarget(diffBia);
        plan.backwardWeights(lastInput, dy, weiTarget, biaTarget);
        weight.gradFrom(weiTarget);
        if (bias != null) {
            bias.gradFrom(biaTarget);
        }
        if (dx != null) {
            plan.backwardData(dy, weight.value(), dx);
        }
    }

    // The checks below are plain ifs, not Check's varargs, so that a call on a prepared shape
    // allocates nothing on the heap.

    private Plan pendingPlan() {
        checkOpen();
        if (!training) {
            Check.state(false, "%s is in inference mode: call train() before forward and backward", this);
        }
        if (lastPlan == null) {
            // A plan is only evicted when another is prepared, by a forward that replaces lastPlan.
            Check.state(false, "%s: backward needs a forward pass in training mode first", this);
        }
        return lastPlan;
    }

    private Plan planFor(Tensor x) {
        checkOpen();
        if (x == null) {
            Check.arg(false, "input: expected a tensor, got null");
        }
        if (x.layout() != layout && x.shape().rank() >= 3) {
            Check.arg(false, "input: expected layout %s, got %s (the layer's layout is set by its builder)",
                    layout, x.layout());
        }
        PlanCache.Key k = hotKey;
        if (k != null && k.training() == training && k.shape().equals(x.shape())) {
            Plan p = plans.lookup(k);
            if (p != null) {
                return p;
            }
        }
        PlanCache.Key key = new PlanCache.Key(x.shape(), training);
        PlanOptions opts = training ? trainingOptions : inferenceOptions;
        Plan p = plans.get(key, () -> engine.prepare(spec, key.shape(), opts));
        hotKey = key;
        return p;
    }

    // ---- lifecycle and threads --------------------------------------------------------------------

    private void checkOpen() {
        if (closed) {
            Check.state(false, "%s is closed", this);
        }
    }

    private void enter() {
        guard.enter(this);
    }

    private void exit() {
        guard.exit();
    }

    /** Closes the layer's plans; the parameters stay readable. Idempotent. */
    @Override public void close() {
        enter();
        try {
            if (!closed) {
                closed = true;
                hotKey = null;
                lastInput = null;
                lastPlan = null;
                plans.close();
            }
        } finally {
            exit();
        }
    }

    /** Plan-cache statistics for tests: prepared, evicted. */
    int[] planStats() {
        return new int[] {plans.prepared(), plans.evicted()};
    }

    @Override public String toString() {
        String s = spec.toString();
        return getClass().getSimpleName() + s.substring(s.indexOf('('));
    }
}
