package dev.conv4j.onednn;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.NativeBackendException;
import dev.conv4j.bench.MatmulFigure;
import dev.conv4j.bench.RawBaseline;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The oneDNN engine: every {@link ConvSpec} (standard, grouped, depthwise, transposed; ranks
 * 1-3; any stride, dilation, padding, padding mode and output padding) mapped onto oneDNN
 * convolution and deconvolution primitives, forward, backward-data and backward-weights; a
 * 1×1 unpadded convolution also onto oneDNN's matmul or {@code sgemm}, where the
 * {@link dev.conv4j.engine.LayoutPolicy#AUTO} policy finds them faster.
 *
 * <p>{@link #prepare} validates in Java, then builds the primitives once (layouts chosen by
 * oneDNN through {@code format_tag.any}, or by the plan's {@link dev.conv4j.engine.LayoutPolicy}),
 * with their memories, argument lists and a user-mode scratchpad. A call on the plan binds
 * the caller's tensors and runs: direct tensors ({@link dev.conv4j.tensor.Tensor#allocate}) are
 * used in place, heap tensors are copied through a staging buffer, and nothing is allocated.
 * Weights stay in the primitive's layout between calls and are reordered again only when the
 * weight tensor (its identity or {@link dev.conv4j.tensor.Tensor#version()}) changes.
 *
 * <p>Plans are not thread-safe (a concurrent call fails with {@link IllegalStateException});
 * closing is idempotent. Native settings (threads, ISA cap, primitive cache, verbose, whether
 * AUTO's decisions are kept between processes) come from {@code native-config/onednn.properties};
 * see the README.
 */
public final class OneDnnEngine implements Engine {
    /** The engine's name. */
    public static final String NAME = "onednn";

    /**
     * The most native threads conv4j asks oneDNN's OpenMP runtime for (native-config
     * {@code threads}, {@code OMP_NUM_THREADS}, {@code bench --threads}): far above any CPU it
     * runs on, far below the counts (tens of thousands) at which starting them crashes the JVM.
     */
    public static final int MAX_THREADS = 1024;

    private static final OneDnnEngine INSTANCE = new OneDnnEngine();

    private OneDnnEngine() {}

    /**
     * The engine, loading oneDNN on first use.
     *
     * @throws NativeBackendException naming the platform and the missing artifact when the
     *         native library cannot load
     * @throws IllegalArgumentException naming the setting when a native-config setting is wrong
     */
    public static OneDnnEngine get() {
        NativeRuntime.get();
        return INSTANCE;
    }

    /**
     * {@code null} when oneDNN is usable on this machine, else the one-line reason it is not.
     *
     * @throws IllegalArgumentException naming the setting when a native-config setting is wrong
     */
    public static String unavailableReason() {
        return NativeRuntime.unavailableReason();
    }

    @Override public String name() {
        return NAME;
    }

    @Override public Plan prepare(ConvSpec spec, Shape src, PlanOptions options) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(options, "options");
        ConvShapes.validateInput(spec, src);   // every check in Java, before any native call
        return new OneDnnPlan(NativeRuntime.get(), spec, src, options);
    }

    /**
     * What the native backend runs with.
     *
     * @param version                oneDNN version (and commit)
     * @param cpuIsa                 the instruction set oneDNN's kernels use
     * @param threads                threads of oneDNN's parallel runtime
     * @param primitiveCacheCapacity primitives oneDNN's cache keeps
     * @param cpuRuntime             the parallel runtime (OpenMP for these builds)
     * @param platform               JavaCPP platform, e.g. {@code linux-x86_64}
     * @param configSource           where the native-config settings came from
     * @param autoChoices            where AUTO's decisions are kept (native-config {@code auto_choices})
     * @param autoThreads            whether AUTO may run a pass of microseconds on one thread, and why not
     */
    public record Info(String version, String cpuIsa, int threads, int primitiveCacheCapacity,
                       String cpuRuntime, String platform, String configSource, String autoChoices,
                       String autoThreads) {
        /** The fields in print order, for the CLI's {@code info} command. */
        public Map<String, String> asMap() {
            Map<String, String> out = new LinkedHashMap<>();
            out.put("oneDNN version", version);
            out.put("CPU ISA", cpuIsa);
            out.put("threads", Integer.toString(threads));
            out.put("primitive cache capacity", Integer.toString(primitiveCacheCapacity));
            out.put("CPU runtime", cpuRuntime);
            out.put("platform", platform);
            out.put("native config", configSource);
            out.put("AUTO decisions", autoChoices);
            out.put("AUTO threads", autoThreads);
            return out;
        }
    }

    /**
     * Threads oneDNN's OpenMP runtime uses in this process: {@code OMP_NUM_THREADS} as the JVM
     * was started with, else every processor available to it. Does not load oneDNN.
     *
     * @throws IllegalArgumentException if {@code OMP_NUM_THREADS} is above {@link #MAX_THREADS}
     */
    public static int threads() {
        return NativeRuntime.threads();
    }

    /** The native backend's version and settings in use (loads oneDNN). */
    public Info info() {
        NativeRuntime rt = NativeRuntime.get();
        return new Info(rt.version(), rt.effectiveIsa(), NativeRuntime.threads(),
                rt.primitiveCacheCapacity(),
                rt.cpuRuntime(), NativeRuntime.platform(), rt.settings().source(), LayoutChoice.describeStore(),
                OpenMpThreads.describe());
    }

    /**
     * Baselines for {@code conv4j bench --baseline}: each the oneDNN primitive of one problem
     * and direction called directly, without conv4j's plan (the very primitive descriptor a
     * plan under the same fixed layout policy builds). Source and destination are in
     * {@code layout}'s tags ({@code ANY}, {@code CHANNELS_LAST} or {@code CHANNELS_FIRST};
     * weights stay {@code any}); with {@code userLayout} non-null, the baselines also do the
     * layout work a caller holding tensors in the user's layouts (activations in
     * {@code userLayout}, PyTorch's weight layout) must do: inputs reordered into the
     * primitive's layouts, the output into the user's. Only zero padding has a raw primitive.
     *
     * @throws IllegalArgumentException if {@code layout} is {@code AUTO}; a baseline's creation
     *         throws it for a padding mode other than zeros or an input that does not fit
     */
    public static RawBaseline.Factory baselineFactory(LayoutPolicy layout, Layout userLayout) {
        return OneDnnBaseline.factory(layout, userLayout);
    }

    /** The matrix size {@code n} of {@link #measureMatmulPeak()}. */
    public static final int MATMUL_PEAK_SIZE = MachinePeak.DEFAULT_SIZE;

    /**
     * What a large oneDNN matmul achieves on this machine, in this process ("GEMM achievable"):
     * a square fp32 matmul of {@link #MATMUL_PEAK_SIZE} with weights in oneDNN's packed layout,
     * on all of oneDNN's threads under native-config's ISA cap, best of 3 to 20 runs within
     * about 2 s after a warm-up run. Loads oneDNN.
     *
     * @throws NativeBackendException if the native library cannot load
     */
    public static MatmulFigure measureMatmulPeak() {
        return MachinePeak.measure();
    }

    @Override public String toString() {
        return NAME;
    }
}
