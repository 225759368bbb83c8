package dev.conv4j.bench;

import dev.conv4j.Direction;
import dev.conv4j.ProblemDesc;
import dev.conv4j.onednn.OneDnnBaseline;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fixed cost of one call on a tiny problem, where the arithmetic is negligible: a prepared
 * conv4j plan ({@code plan}) beside the same oneDNN primitive called directly ({@code raw},
 * no facade). {@code plan − raw} on the onednn engine is the facade's per-call cost.
 *
 * <pre>
 * mvn -Pbench -DskipTests package
 * java -jar target/benchmarks.jar CallOverheadBenchmark -prof gc
 * </pre>
 * {@code raw} ignores the {@code engine} parameter (it is always oneDNN).
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CallOverheadBenchmark {

    @Param({"mb1ic4ih8oc4oh8kh3ph1n\"tiny\""})
    String problem;

    @Param({"onednn", "reference"})
    String engine;

    @Param({"FWD", "BWD_D", "BWD_W"})
    Direction dir;

    private ConvBench.Prepared prepared;
    private Runnable call;
    private OneDnnBaseline raw;

    @Setup(Level.Trial)
    public void setup() {
        prepared = ConvBenchmark.prepare(problem, 1, engine);
        call = prepared.call(dir);
        ProblemDesc p = ProblemDesc.parse(problem);
        raw = OneDnnBaseline.create(p.spec(), p.src(), dir, true);
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
