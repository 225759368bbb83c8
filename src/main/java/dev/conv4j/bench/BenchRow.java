package dev.conv4j.bench;

import dev.conv4j.Direction;
import java.util.Objects;

/**
 * One measured (problem, direction): one line of {@code conv4j bench}'s output. The fields
 * are the columns of {@link BenchReport#CSV_HEADER}, in that order.
 *
 * @param problem    the benchdnn descriptor of the problem
 * @param dir        the direction timed
 * @param mb         minibatch size
 * @param engine     engine name ({@code onednn}, {@code reference})
 * @param layout     layout policy ({@code any}, {@code channels-last}, {@code auto})
 * @param threads    native threads used
 * @param stats      timings of the conv4j plan
 * @param gflops     {@code flops / median}, in GFLOP/s
 * @param pctPeak    {@code 100 · gflops / peak}, or {@code NaN} when the peak is unknown
 * @param impl       the kernel that ran ({@code Plan.implementation(dir)})
 * @param baseline   timings of the raw oneDNN primitive, or {@code null} without a baseline
 */
public record BenchRow(String problem, Direction dir, int mb, String engine, String layout, int threads,
                       Stats stats, double gflops, double pctPeak, String impl, Stats baseline) {

    public BenchRow {
        Objects.requireNonNull(problem, "problem");
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(stats, "stats");
        Objects.requireNonNull(impl, "impl");
    }

    /** Builds a row, computing GFLOP/s from {@code flops} and % of peak from {@code peakGflops} (NaN: unknown). */
    public static BenchRow of(String problem, Direction dir, int mb, String engine, String layout, int threads,
                              Stats stats, double flops, double peakGflops, String impl, Stats baseline) {
        double g = stats.gflops(flops);
        double pct = peakGflops > 0 ? 100.0 * g / peakGflops : Double.NaN;
        return new BenchRow(problem, dir, mb, engine, layout, threads, stats, g, pct, impl, baseline);
    }

    /** Baseline median in ms, or {@code NaN} without a baseline. */
    public double baselineMs() {
        return baseline == null ? Double.NaN : baseline.medianMs();
    }

    /** {@code median / baseline median}: above 1 the facade is slower than raw oneDNN; {@code NaN} without a baseline. */
    public double overhead() {
        return baseline == null ? Double.NaN : stats.medianMs() / baseline.medianMs();
    }
}
