package dev.conv4j.cli;

import dev.conv4j.CacheFile;
import dev.conv4j.Check;
import dev.conv4j.Direction;
import dev.conv4j.ProblemDesc;
import dev.conv4j.bench.BenchChart;
import dev.conv4j.bench.BenchReport;
import dev.conv4j.bench.BenchRow;
import dev.conv4j.bench.ConvBench;
import dev.conv4j.bench.PeakCache;
import dev.conv4j.bench.PeakEstimate;
import dev.conv4j.bench.Relaunch;
import dev.conv4j.bench.Sampler;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.io.PngFile;
import dev.conv4j.onednn.OneDnnEngine;
import dev.conv4j.tensor.Layout;
import dev.conv4j.train.ProgressBar;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code conv4j bench}: median time, GFLOP/s and % of the machine's peak per problem and
 * direction, optionally beside the raw oneDNN primitive ({@code --baseline}). The timing,
 * statistics and output formats live in {@code dev.conv4j.bench}; this class parses and prints.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time prepared plans: median/min/max ms after warm-up, GFLOP/s (2·MACs / median) and %% of this "
                + "machine's measured fp32 peak, per problem and direction.",
                "CSV columns: " + BenchReport.CSV_HEADER})
public final class BenchCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin ProblemOptions problemOptions;

    @Mixin DirectionOption directionOption;

    @Option(names = "--engine", paramLabel = "NAME", defaultValue = "onednn",
            description = "onednn or reference (default: ${DEFAULT-VALUE}); not best, which could time another "
                    + "engine than the one named.")
    String engine;

    @Option(names = "--layout", paramLabel = "POLICY", defaultValue = "any",
            description = "oneDNN layout policy: any, channels-last, channels-first or auto (default: ${DEFAULT-VALUE}).")
    String layout;

    @Option(names = "--tensors", paramLabel = "LAYOUT",
            description = "Layout of the activation tensors handed to conv4j: channels-first or channels-last "
                    + "(default: channels-last under --layout channels-last, else channels-first).")
    String tensors;

    @Option(names = "--baseline",
            description = "Also time the raw oneDNN primitives (format any, no facade), interleaved with conv4j's runs; "
                    + "prints overhead = median / baseline median and its geomean.")
    boolean baseline;

    @Option(names = "--baseline-layout", paramLabel = "POLICY",
            description = "Source/destination layout of the --baseline primitives: any (the contract's default), "
                    + "channels-last or channels-first. With the plan's own fixed --layout, the baseline is the very "
                    + "primitive the plan runs, and the overhead is the facade's cost alone.")
    String baselineLayout;

    @Option(names = "--baseline-outputs", paramLabel = "WHERE",
            description = "native (default): the --baseline primitive's output stays in the layout it chose, as raw "
                    + "oneDNN leaves it. user: inputs start in the layouts conv4j takes and the output is reordered into "
                    + "the layouts it returns (--tensors activations, PyTorch weights), wherever the primitive chose "
                    + "another, as a C++ caller holding such tensors must: the oneDNN work of conv4j's plan, so that with "
                    + "the plan's own fixed --layout the overhead is the Java facade's cost alone.")
    String baselineOutputs;

    @Option(names = "--threads", paramLabel = "N",
            description = "Native threads (default: OMP_NUM_THREADS, else all processors); another count reruns the "
                    + "command in a child JVM, as OpenMP fixes it at start-up.")
    Integer threads;

    @Option(names = "--peak", paramLabel = "GFLOPS",
            description = "The machine's fp32 peak in GFLOP/s for %% of peak (default: measured at the start of this run "
                    + "with a vector FMA loop, about 2 s, so that both figures come from one run).")
    Double peak;

    @Option(names = "--format", paramLabel = "FMT", defaultValue = "table",
            description = "table, csv or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--chart", paramLabel = "FILE.png",
            description = "Also write a bar chart of GFLOP/s per problem and direction, with the peak as a line.")
    Path chart;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "1",
            description = "Time budget per problem and direction: timed runs stop after S seconds once 5 were taken "
                    + "(up to 1000), after a warm-up of 2 runs and S/5 seconds (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Override public Integer call() throws Exception {
        // Every input is checked before anything native runs.
        String fmt = format.trim().toLowerCase(Locale.ROOT);
        Check.arg(List.of("table", "csv", "json").contains(fmt), "format: unknown format '%s', expected table, csv or json", format);
        LayoutPolicy policy = layoutPolicy("layout", layout);
        Layout userLayout = tensors != null ? tensorLayout(tensors) : defaultTensorLayout(policy);
        String engineName = engine.trim().toLowerCase(Locale.ROOT);
        Check.arg(!engineName.equals("best"),
                "engine: bench times the engine it names, so not best (which may fall back); expected onednn or reference");
        Check.arg(engineName.equals("onednn") || engineName.equals("reference"),
                "engine: unknown engine '%s', expected onednn or reference", engine);
        Check.arg(!baseline || engineName.equals("onednn"),
                "baseline: --baseline compares conv4j's oneDNN engine with raw oneDNN, but --engine is %s", engineName);
        LayoutPolicy rawLayout = baselineLayout == null ? LayoutPolicy.ANY : layoutPolicy("baseline-layout", baselineLayout);
        Check.arg(baselineLayout == null || baseline, "baseline-layout: needs --baseline");
        Check.arg(rawLayout != LayoutPolicy.AUTO, "baseline-layout: auto is not one primitive; use any, channels-last or channels-first");
        String outputs = baselineOutputs == null ? "native" : baselineOutputs.trim().toLowerCase(Locale.ROOT);
        Check.arg(outputs.equals("native") || outputs.equals("user"),
                "baseline-outputs: unknown value '%s', expected native or user", baselineOutputs);
        Check.arg(baselineOutputs == null || baseline, "baseline-outputs: needs --baseline");
        PeakEstimate.checkGiven(peak);
        Check.arg(threads == null || threads >= 1, "threads: must be >= 1, got %s", threads);
        Check.arg(threads == null || threads <= OneDnnEngine.MAX_THREADS,
                "threads: must be at most %d (OneDnnEngine.MAX_THREADS), got %s", OneDnnEngine.MAX_THREADS, threads);
        if (chart != null) {
            PngFile.checkWritable("chart", chart);   // now, not after the whole benchmark
        }
        Sampler sampler = new Sampler(Sampler.Policy.forSeconds(seconds));
        List<ProblemDesc> problems = problemOptions.problems();
        List<Direction> dirs = directionOption.directions();

        int current = OneDnnEngine.threads();
        if (threads != null && threads != current) {
            return Relaunch.run(Main.class.getName(), spec.commandLine().getParseResult().originalArgs(), threads);
        }

        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Engine eng = Engines.byName(engineName);
        double peakGflops;
        double gemmGflops = Double.NaN;   // only measured along with the peak
        if (peak != null) {
            peakGflops = peak;
        } else {
            PeakEstimate estimate = PeakEstimate.measuredNow(current, err);
            peakGflops = estimate.gflops();   // NaN if neither the FMA loop nor oneDNN could run
            gemmGflops = estimate.gemmGflops();
            if (Double.isNaN(peakGflops)) {
                err.println("peak: " + estimate.describe());
            }
        }
        PlanOptions options = PlanOptions.DEFAULT.withLayout(policy).withUserLayout(userLayout);
        // The tensors' layout shows in the label only where it is not the policy's default.
        String label = layoutLabel(policy) + (userLayout == defaultTensorLayout(policy) ? ""
                : userLayout == Layout.CHANNELS_LAST ? "/nhwc" : "/nchw");
        ConvBench bench = new ConvBench(new ConvBench.Setup(eng, options, label,
                current, peakGflops, sampler, baseline ? OneDnnEngine.baselineFactory(rawLayout, outputs.equals("user") ? userLayout : null) : null));

        boolean training = dirs.stream().anyMatch(d -> d != Direction.FWD);
        List<BenchRow> rows = new ArrayList<>();
        ProgressBar progress = ProgressBar.onConsole(err, problems.size() * dirs.size());
        if (fmt.equals("csv")) {
            out.print(BenchReport.csv(List.of()));
            out.flush();
        }
        for (ProblemDesc p : problems) {
            try (ConvBench.Prepared prepared = bench.prepare(p.format(), p.spec(), p.src(), training)) {
                for (Direction d : dirs) {
                    progress.show(ProblemOptions.label(p), d.label());
                    BenchRow row = bench.measure(prepared, d);
                    progress.done();
                    rows.add(row);
                    if (fmt.equals("csv")) {
                        // Rows stream as they are measured, so a long run can be followed (or cut short).
                        progress.clear();
                        out.print(BenchReport.csv(List.of(row)).substring(BenchReport.CSV_HEADER.length() + 1));
                        out.flush();
                    }
                }
            }
        }
        progress.clear();
        if (fmt.equals("table")) {
            out.print(BenchReport.table(rows, peakGflops, gemmGflops));
        } else if (fmt.equals("json")) {
            out.print(BenchReport.json(rows, peakGflops, gemmGflops));
        }
        out.flush();
        if (chart != null) {
            System.setProperty("java.awt.headless", "true");
            String sub = String.format(Locale.ROOT, "%s, layout %s, %d threads, %s", eng.name(), label, current,
                    CacheFile.cpuModel());
            BenchChart.write(rows, peakGflops, sub, chart);
            err.println("chart: " + chart);
        }
        return Main.OK;
    }

    static LayoutPolicy layoutPolicy(String param, String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "any" -> LayoutPolicy.ANY;
            case "channels-last", "channels_last", "nhwc" -> LayoutPolicy.CHANNELS_LAST;
            case "channels-first", "channels_first", "nchw" -> LayoutPolicy.CHANNELS_FIRST;
            case "auto" -> LayoutPolicy.AUTO;
            default -> throw new IllegalArgumentException(
                    param + ": unknown layout policy '" + s + "', expected any, channels-last, channels-first or auto");
        };
    }

    /**
     * The tensors' layout without {@code --tensors}: a user who computes channels-last keeps
     * activations channels-last, so under that policy the plan reorders nothing.
     */
    static Layout defaultTensorLayout(LayoutPolicy policy) {
        return policy == LayoutPolicy.CHANNELS_LAST ? Layout.CHANNELS_LAST : Layout.CHANNELS_FIRST;
    }

    static Layout tensorLayout(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "channels-first", "channels_first", "nchw" -> Layout.CHANNELS_FIRST;
            case "channels-last", "channels_last", "nhwc" -> Layout.CHANNELS_LAST;
            default -> throw new IllegalArgumentException(
                    "tensors: unknown tensor layout '" + s + "', expected channels-first or channels-last");
        };
    }

    static String layoutLabel(LayoutPolicy p) {
        return switch (p) {
            case ANY -> "any";
            case CHANNELS_LAST -> "channels-last";
            case CHANNELS_FIRST -> "channels-first";
            case AUTO -> "auto";
        };
    }
}
