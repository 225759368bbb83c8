package dev.conv4j.cli;

import dev.conv4j.Direction;
import dev.conv4j.ProblemDesc;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.train.ProgressBar;
import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code conv4j check}: oneDNN against the reference, one line per problem and direction. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {
                "Parity check of oneDNN against the pure-Java reference engine.",
                "Each problem and direction runs on two fills: small integers (float32 sums are exact,",
                "so the results must be equal) and random normals (each element within c*eps*sum|w*x|",
                "of the reference, c = (K + 3) / 2 for sums of K terms: the floating-point summation bound).",
                "MISTRUSTED: the results agree but more than " + Parity.ZERO_TRUST_PERCENT
                        + "%% of the reachable reference elements are zero.",
                "Exit status: 0 all passed (or mistrusted), 1 a check failed, 2 bad input."})
public final class CheckCommand implements Callable<Integer> {
    /** The fills are seeded: a failure repeats. */
    static final long SEED = 1;

    @Spec CommandSpec spec;
    @Mixin ProblemOptions problemOptions;
    @Mixin DirectionOption directionOption;

    /** The engine checked against the reference. */
    private final Supplier<Engine> engine;

    public CheckCommand() {
        this(Engines::onednn);
    }

    CheckCommand(Supplier<Engine> engine) {
        this.engine = engine;
    }

    @Override public Integer call() {
        List<ProblemDesc> problems = problemOptions.problems();
        List<Direction> dirs = directionOption.directions();
        Engine checked = engine.get();
        PrintWriter out = spec.commandLine().getOut();
        ProgressBar progress = ProgressBar.onConsole(spec.commandLine().getErr(), problems.size() * dirs.size());
        EnumMap<Status, Integer> counts = new EnumMap<>(Status.class);
        for (Status s : Status.values()) {
            counts.put(s, 0);
        }
        long start = System.nanoTime();
        for (ProblemDesc p : problems) {
            Plan plan;
            try {
                plan = checked.prepare(p.spec(), p.src());
            } catch (IllegalArgumentException e) {
                throw e;
            } catch (RuntimeException e) {
                // The engine cannot run this problem (no implementation): it fails, the batch goes on.
                for (Direction dir : dirs) {
                    report(out, progress, counts, Status.FAILED, failedLine(dir, p, e));
                }
                continue;
            }
            try (plan) {
                for (Direction dir : dirs) {
                    progress.show(ProblemOptions.label(p), dir.label());
                    try {
                        Result[] results = Parity.check(plan, dir, SEED);
                        report(out, progress, counts, results[0].status(), line(results[0].status(), dir, p, results));
                    } catch (IllegalArgumentException e) {
                        throw e;
                    } catch (RuntimeException e) {
                        report(out, progress, counts, Status.FAILED, failedLine(dir, p, e));
                    }
                }
            }
        }
        progress.clear();
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        out.printf(Locale.ROOT, "tests: %d, passed: %d, mistrusted: %d, failed: %d (%.1f s)%n", total,
                counts.get(Status.PASSED), counts.get(Status.MISTRUSTED), counts.get(Status.FAILED),
                (System.nanoTime() - start) / 1e9);
        out.flush();
        return counts.get(Status.FAILED) > 0 ? Main.CHECK_FAILED : Main.OK;
    }

    private static void report(PrintWriter out, ProgressBar progress, EnumMap<Status, Integer> counts, Status status, String line) {
        counts.merge(status, 1, Integer::sum);
        progress.clear();
        out.println(line);
        out.flush();
        progress.done();
    }

    static String failedLine(Direction dir, ProblemDesc p, RuntimeException e) {
        return String.format(Locale.ROOT, "%-10s %-5s  %s  [error: %s]", Status.FAILED, dir.label(), p.format(), e.getMessage());
    }

    /**
     * {@code PASSED     fwd    max_err 1.2e-06 (0.031 of bound), integers exact  <problem>}; a
     * failed or mistrusted line ends with what went wrong.
     */
    static String line(Status status, Direction dir, ProblemDesc p, Result[] results) {
        Result normals = pick(results, Parity.Fill.NORMALS);
        Result integers = pick(results, Parity.Fill.INTEGERS);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-10s %-5s  max_err %.2e (%.2e of bound), integers %s  %s",
                status, dir.label(), normals.maxError(), normals.maxRelative(),
                integers.status() == Status.FAILED ? "differ" : integers.exact() ? "exact" : "within bound",
                p.format()));
        for (Result r : results) {
            if (r.status() != Status.PASSED) {
                b.append("  [").append(r.describe()).append(']');
            }
        }
        return b.toString();
    }

    private static Result pick(Result[] results, Parity.Fill fill) {
        for (Result r : results) {
            if (r.fill() == fill) {
                return r;
            }
        }
        throw new IllegalStateException("no result for " + fill);
    }
}
