package dev.conv4j.bench;

import dev.conv4j.Direction;
import dev.conv4j.ProblemDesc;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.PlanOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Time per call of a prepared plan, per problem, minibatch, engine and direction: the seed
 * example, ResNet-50's 3×3 and 1×1 layers, a MobileNet depthwise layer and a transposed
 * convolution ({@code deconv:} prefix), at mb 1 and 32.
 *
 * <p>Run (all, or a subset by regex and {@code -p}):
 * <pre>
 * mvn -Pbench -DskipTests package
 * java -jar target/benchmarks.jar ConvBenchmark -prof gc
 * java -jar target/benchmarks.jar ConvBenchmark -p mb=1 -p engine=onednn,reference -p dir=FWD
 * </pre>
 * {@code -prof gc} reports {@code gc.alloc.rate.norm}: the Java heap bytes one call
 * allocates (0 B/op on a prepared oneDNN plan is the goal). The reference engine is left out
 * by default: at mb 32 one of its calls takes seconds; add it with {@code -p engine=...}.
 * GFLOP/s: {@code ConvShapes.flops} / the time, as {@code conv4j bench} prints it.
 */
public class ConvBenchmark extends BenchmarkSettings {

    @Param({
        "mb1ic3ih224oc64oh224kh3ph1n\"demo:seed\"",
        "mb1ic64ih56oc64oh56kh3ph1n\"resnet_50:res2a_branch2b\"",
        "mb1ic256ih56oc64oh56kh1ph0n\"resnet_50:res2b_branch2a\"",
        "g32mb1ic32ih112oc32oh112kh3ph1n\"mobilenet:conv2_1/dw\"",
        "deconv:mb1ic64ih28oc32oh56kh4sh2ph1n\"transposed:up2x\"",
    })
    String problem;

    @Param({"1", "32"})
    int mb;

    @Param({"onednn"})
    String engine;

    @Param({"FWD", "BWD_D", "BWD_W"})
    Direction dir;

    private ConvBench.Prepared prepared;
    private Sampler.Task call;

    @Setup(Level.Trial)
    public void setup() {
        prepared = prepare(problem, mb, engine);
        call = prepared.call(dir);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        prepared.close();
    }

    /**
     * Backward-weights runs after its step's forward and backward-data, as {@code conv4j bench}
     * times it ({@link ConvBench.Prepared#call}); nothing runs before the other directions. Per
     * invocation: the problems here take hundreds of microseconds or more per call, so JMH's
     * timestamps around each call do not matter.
     */
    @Setup(Level.Invocation)
    public void before() {
        call.before().run();
    }

    @Benchmark
    public void run() {
        call.timed().run();
    }

    /** Parses {@code [deconv:]DESC}, sets the minibatch and prepares a training plan with seeded tensors. */
    static ConvBench.Prepared prepare(String problem, int mb, String engine) {
        boolean deconv = problem.startsWith("deconv:");
        ProblemDesc p = ProblemDesc.parse(deconv ? problem.substring("deconv:".length()) : problem, deconv).withMb(mb);
        return ConvBench.prepare(Engines.byName(engine), PlanOptions.DEFAULT, p.format(), p.spec(), p.src());
    }
}
