package dev.conv4j.cli;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.bench.Sampler;
import dev.conv4j.bench.Stats;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code conv4j demo}: the seed example, {@code Conv2d(3 -> 64, kernel 3, padding 1)} on a
 * 1x3x224x224 input on oneDNN, checked against the reference and timed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {
                "Conv2d(3 -> 64, kernel 3, padding 1) on a 1x3x224x224 input on oneDNN:",
                "the output shape, the max error against the pure-Java reference, the median time",
                "of the forward pass after warm-up, and GFLOP/s. Exit status 1 if the check fails."})
public final class DemoCommand implements Callable<Integer> {
    static final ConvSpec SPEC = ConvSpec.builder(2, 3, 64, 3).padding(1).build();
    static final Shape INPUT = Shape.of(1, 3, 224, 224);
    private static final long SEED = 7;
    /** Warm up for at least 3 runs and 0.2 s, then time 10 to 500 runs within 1 s. */
    private static final Sampler.Policy TIMING = new Sampler.Policy(3, 200_000_000L, 10, 500, 1_000_000_000L);

    @Spec CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        // AUTO: oneDNN's own layout choice costs a 12.8 MB reorder of this output; the plan
        // times the candidates once and keeps the fastest end to end.
        try (Plan plan = Engines.onednn().prepare(SPEC, INPUT, PlanOptions.inference().withLayout(LayoutPolicy.AUTO))) {
            out.printf("%s on %s (%s)%n", SPEC, plan.engineName(), plan.implementation(Direction.FWD));
            out.printf("input  %s%n", plan.srcShape());
            out.printf("output %s%n", plan.dstShape());
            out.flush();

            Result check = Parity.check(plan, Direction.FWD, Parity.Fill.NORMALS, SEED);
            out.printf(Locale.ROOT, "max error vs reference: %.2e (%.3f of the per-element bound %s*eps*sum|w*x|): %s%n",
                    check.maxError(), check.maxRelative(), fmt(check.boundFactor()), check.status());
            out.flush();

            SplittableRandom random = new SplittableRandom(SEED);
            Tensor x = uniform(plan.srcShape(), random);
            Tensor w = uniform(plan.weiShape(), random);
            Tensor b = uniform(plan.biaShape(), random);
            Tensor y = Tensor.allocate(plan.dstShape());
            // A new image every call, as in inference: no reordered copy of the input is reused.
            Stats t = new Sampler(TIMING).sample(() -> {
                x.markModified();
                plan.forward(x, w, b, y);
            });
            double flops = ConvShapes.flops(SPEC, INPUT, Direction.FWD);
            out.printf(Locale.ROOT, "time: %.3f ms (median of %d runs after warm-up; min %.3f ms), %.1f GFLOP/s%n",
                    t.medianMs(), t.count(), t.minMs(), t.gflops(flops));
            out.flush();
            return check.status() == Status.FAILED ? Main.CHECK_FAILED : Main.OK;
        }
    }

    private static Tensor uniform(Shape shape, SplittableRandom random) {
        Tensor t = Tensor.allocate(shape);
        for (int i = 0; i < t.size(); i++) {
            t.buffer().put(i, (float) (random.nextDouble() * 2 - 1));
        }
        t.markModified();
        return t;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
