package dev.conv4j.bench;

import dev.conv4j.Direction;
import dev.conv4j.ProblemDesc;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.onednn.OneDnnEngine;
import dev.conv4j.tensor.Layout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The fixed cost of one call on a tiny problem, where the arithmetic is negligible: a prepared
 * conv4j plan ({@code plan}) beside the same oneDNN primitive called directly ({@code raw},
 * no facade). Under {@code layout=channels-last} (the plan's policy and tensors, and the raw
 * primitive's source and destination) the plan runs the very primitive {@code raw} runs with
 * no activation reorder, so {@code plan − raw} on the onednn engine is the facade's per-call
 * cost (backward-weights still reorders the weight gradient into PyTorch's layout); under
 * {@code layout=any}, channels-first tensors, it adds the reorders into and out of oneDNN's
 * blocked layouts.
 *
 * <pre>
 * mvn -Pbench -DskipTests package
 * java -jar target/benchmarks.jar CallOverheadBenchmark -prof gc
 * </pre>
 * {@code raw} ignores the {@code engine} parameter (it is always oneDNN).
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", Relaunch.NATIVE_ACCESS})   // a tiny problem: 1 GB is plenty
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CallOverheadBenchmark extends BenchmarkSettings {

    @Param({"mb1ic4ih8oc4oh8kh3ph1n\"tiny\""})
    String problem;

    @Param({"onednn", "reference"})
    String engine;

    @Param({"FWD", "BWD_D", "BWD_W"})
    Direction dir;

    @Param({"any", "channels-last"})
    String layout;

    private ConvBench.Prepared prepared;
    /**
     * Only the timed part of {@link ConvBench.Prepared#call}: a call of a few microseconds
     * cannot have JMH's per-invocation set-up around it. Backward-weights thus runs back to
     * back on unchanged tensors, and a reorder of its own inputs would run only once
     * ({@code conv4j bench} times it as a training step runs it).
     */
    private Runnable call;
    private RawBaseline raw;

    @Setup(Level.Trial)
    public void setup() {
        ProblemDesc p = ProblemDesc.parse(problem);
        LayoutPolicy policy = layout.equals("any") ? LayoutPolicy.ANY : LayoutPolicy.CHANNELS_LAST;
        PlanOptions options = PlanOptions.DEFAULT.withLayout(policy)
                .withUserLayout(policy == LayoutPolicy.ANY ? Layout.CHANNELS_FIRST : Layout.CHANNELS_LAST);
        prepared = ConvBench.prepare(Engines.byName(engine), options, p.format(), p.spec(), p.src());
        call = prepared.call(dir).timed();
        raw = OneDnnEngine.baselineFactory(policy, null).create(p.spec(), p.src(), dir, true);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        prepared.close();
        raw.close();
    }

    @Benchmark
    public void plan() {
        call.run();
    }

    @Benchmark
    public void raw() {
        raw.run();
    }
}
