package dev.conv4j.bench;

import dev.conv4j.ProblemDesc;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.nn.ConvLayer;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Tensor;
import dev.conv4j.train.Adam;
import dev.conv4j.train.Optimizer;
import dev.conv4j.train.Sgd;
import java.util.List;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One training step of one convolution layer, as a training loop runs it: {@code zeroGrad},
 * forward, backward (input and parameter gradients), optimizer step. Beside the three
 * convolutions it times what a step adds around them: the weights re-laid-out after every
 * update (for forward and for backward-data), the weight gradient turned into PyTorch's
 * layout, and the optimizer's pass over the parameters. At mb 1 on large layers that is a
 * large share of the step; compare with {@link ConvBenchmark}'s three directions of the same
 * problem.
 *
 * <pre>
 * mvn -Pbench -DskipTests package
 * java -jar target/benchmarks.jar TrainingStepBenchmark -prof gc
 * </pre>
 */
public class TrainingStepBenchmark extends BenchmarkSettings {

    @Param({
        "mb1ic512ih7oc512oh7kh3ph1n\"resnet_50:res5a_branch2b\"",
        "mb1ic256ih14oc256oh14kh3ph1n\"resnet_50:res4a_branch2b\"",
        "mb1ic64ih56oc64oh56kh3ph1n\"resnet_50:res2a_branch2b\"",
    })
    String problem;

    @Param({"sgd", "adam"})
    String optimizer;

    @Param({"channels-last"})
    String layout;

    private ConvLayer layer;
    private Optimizer opt;
    private Tensor x;
    private Tensor y;
    private Tensor dy;
    private Tensor dx;

    @Setup(Level.Trial)
    public void setup() {
        ProblemDesc p = ProblemDesc.parse(problem);
        Layout tensors = layout.equals("channels-last") ? Layout.CHANNELS_LAST : Layout.CHANNELS_FIRST;
        layer = ConvLayer.builder(p.spec()).engine(Engines.onednn()).layout(tensors)
                .layoutPolicy(tensors == Layout.CHANNELS_LAST ? LayoutPolicy.CHANNELS_LAST : LayoutPolicy.ANY)
                .seed(1).build();
        opt = optimizer.equals("adam")
                ? new Adam(List.copyOf(layer.namedParameters().values()), 1e-3)
                : new Sgd(List.copyOf(layer.namedParameters().values()), 1e-3, 0.9, 0);
        SplittableRandom rnd = new SplittableRandom(42);
        x = filled(Tensor.allocate(p.src(), tensors), rnd);
        y = Tensor.allocate(layer.outputShape(p.src()), tensors);
        dy = filled(Tensor.allocate(y.shape(), tensors), rnd);
        dx = Tensor.allocate(p.src(), tensors);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        layer.close();
    }

    @Benchmark
    public void step() {
        opt.zeroGrad();
        layer.forward(x, y);
        layer.backward(dy, dx);
        opt.step();
    }

    private static Tensor filled(Tensor t, SplittableRandom rnd) {
        for (int i = 0; i < t.size(); i++) {
            t.set(i, (float) (rnd.nextDouble() * 0.2 - 0.1));
        }
        return t;
    }
}
