package dev.conv4j.cli;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.bench.ConvBench;
import dev.conv4j.bench.PeakEstimate;
import dev.conv4j.bench.Sampler;
import dev.conv4j.bench.Stats;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.onednn.OneDnnEngine;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code conv4j demo}: the seed example, {@code Conv2d(3 -> 64, kernel 3, padding 1)} on a
 * 1x3x224x224 input on oneDNN, checked against the reference, and timed with channels-first
 * and channels-last tensors against this machine's peak.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {
                "Conv2d(3 -> 64, kernel 3, padding 1) on a 1x3x224x224 input on oneDNN:",
                "the output shape, the max error against the pure-Java reference, and the median time",
                "of the forward pass after warm-up with channels-first and channels-last tensors, in",
                "GFLOP/s and %% of this machine's peak. Exit status 1 if a check fails."})
public final class DemoCommand implements Callable<Integer> {
    static final ConvSpec SPEC = ConvSpec.builder(2, 3, 64, 3).padding(1).build();
    static final Shape INPUT = Shape.of(1, 3, 224, 224);
    private static final long SEED = 7;
    /** Warm up for at least 3 runs and 0.2 s, then time 10 to 500 runs within 1 s. */
    private static final Sampler.Policy TIMING = new Sampler.Policy(3, 200_000_000L, 10, 500, 1_000_000_000L);

    @Spec CommandSpec spec;

    @Option(names = "--peak", paramLabel = "GFLOPS",
            description = "The machine's fp32 peak in GFLOP/s for %% of peak (default: measured now with a vector FMA "
                    + "loop, about 2 s).")
    Double peak;

    @Override public Integer call() {
        PeakEstimate.checkGiven(peak);
        PrintWriter out = spec.commandLine().getOut();
        // First, while this JVM is idle: the loop runs in a child JVM on the same cores, and
        // this JVM's JIT compiling the reference check would take one of them.
        double peakBefore = peak != null ? peak : measurePeak();
        // AUTO: oneDNN's own layout choice costs a 12.8 MB reorder of this output; the plan
        // times the candidates once and keeps the fastest end to end.
        PlanOptions channelsFirst = PlanOptions.inference().withLayout(LayoutPolicy.AUTO);
        PlanOptions channelsLast = channelsFirst.withUserLayout(Layout.CHANNELS_LAST);
        try (Plan plan = Engines.onednn().prepare(SPEC, INPUT, channelsFirst);
             Plan planLast = Engines.onednn().prepare(SPEC, INPUT, channelsLast)) {
            out.printf("%s on %s (%s)%n", SPEC, plan.engineName(), plan.implementation(Direction.FWD));
            out.printf("input  %s%n", plan.srcShape());
            out.printf("output %s%n", plan.dstShape());
            out.flush();

            Result check = Parity.check(plan, Direction.FWD, Parity.Fill.NORMALS, SEED);
            out.printf(Locale.ROOT, "max error vs reference: %.2e (%.3f of the per-element bound %s*eps*sum|w*x|): %s%n",
                    check.maxError(), check.maxRelative(), Parity.formatFactor(check.boundFactor()), check.status());
            out.flush();

            SplittableRandom random = new SplittableRandom(SEED);
            Tensor x = ConvBench.uniform(Tensor.allocate(plan.srcShape()), random);
            Tensor w = ConvBench.uniform(Tensor.allocate(plan.weiShape()), random);
            Tensor b = ConvBench.uniform(Tensor.allocate(plan.biaShape()), random);
            Tensor y = Tensor.allocate(plan.dstShape());
            Tensor xLast = x.toLayout(Layout.CHANNELS_LAST);
            Tensor yLast = Tensor.allocate(plan.dstShape(), Layout.CHANNELS_LAST);
            plan.forward(x, w, b, y);
            planLast.forward(xLast, w, b, yLast);
            double difference = maxDifference(y, yLast.toLayout(Layout.CHANNELS_FIRST));
            // The channels-last plan may run another kernel, which sums in another order: it is
            // checked against the reference under the same per-element bound.
            Result checkLast = Parity.check(planLast, Layout.CHANNELS_LAST, Direction.FWD, Parity.Fill.NORMALS, SEED);
            boolean layoutsAgree = checkLast.status() != Status.FAILED;
            out.printf(Locale.ROOT, "channels-last tensors (%s): max difference from channels-first %.2e; max error vs "
                    + "reference %.2e (%.3f of the bound): %s%n", planLast.implementation(Direction.FWD), difference,
                    checkLast.maxError(), checkLast.maxRelative(), checkLast.status());
            out.flush();

            double flops = ConvShapes.flops(SPEC, INPUT, Direction.FWD);
            // A new image every call, as in inference: no reordered copy of the input is reused.
            Stats first = timed(() -> {
                x.markModified();
                plan.forward(x, w, b, y);
            });
            Stats last = timed(() -> {
                xLast.markModified();
                planLast.forward(xLast, w, b, yLast);
            });
            // The machine's speed drifts over seconds: the loop runs again after the timings,
            // and the higher of the two figures is the peak, so that % of peak errs low.
            double peakAfter = peak != null ? peak : measurePeak();
            double peakGflops = Math.max(peakBefore, peakAfter);
            report(out, "channels-first tensors (PyTorch's default)", first, flops, peakGflops);
            report(out, "channels-last tensors", last, flops, peakGflops);
            if (peak != null) {
                out.printf(Locale.ROOT, "peak: %.1f GFLOP/s (--peak)%n", peakGflops);
            } else {
                out.printf(Locale.ROOT, "peak: %.1f GFLOP/s (vector FMA loop on this machine, the higher of %.1f before"
                        + " and %.1f after the timings)%n", peakGflops, peakBefore, peakAfter);
            }
            out.flush();
            return check.status() == Status.FAILED || !layoutsAgree ? Main.CHECK_FAILED : Main.OK;
        }
    }

    private static double measurePeak() {
        return PeakEstimate.loopMeasuredNow(OneDnnEngine.threads(), null).gflops();
    }

    private static Stats timed(Runnable call) {
        return new Sampler(TIMING).sample(call);
    }

    /**
     * The median run, and the fastest: the peak is each thread's fastest chunk of the FMA loop,
     * so the fastest run is the figure measured the same way; the median is what a caller sees.
     */
    private static void report(PrintWriter out, String what, Stats t, double flops, double peakGflops) {
        double gflops = t.gflops(flops);
        double fastest = flops / (t.minMs() * 1e6);
        out.printf(Locale.ROOT, "time, %s: %.3f ms (median of %d runs after warm-up), %.1f GFLOP/s%s; "
                + "fastest run %.3f ms, %.1f GFLOP/s%s%n", what, t.medianMs(), t.count(), gflops,
                ofPeak(gflops, peakGflops), t.minMs(), fastest, ofPeak(fastest, peakGflops));
        out.flush();
    }

    private static String ofPeak(double gflops, double peakGflops) {
        return Double.isNaN(peakGflops) ? "" : String.format(Locale.ROOT, ", %.0f %% of peak", 100 * gflops / peakGflops);
    }

    private static double maxDifference(Tensor a, Tensor b) {
        double d = 0;
        for (int i = 0; i < a.size(); i++) {
            d = Math.max(d, Math.abs(a.get(i) - b.get(i)));
        }
        return d;
    }
}
