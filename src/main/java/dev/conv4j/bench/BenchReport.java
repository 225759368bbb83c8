package dev.conv4j.bench;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints {@link BenchRow}s as CSV, JSON or an aligned table. The CSV header and the JSON
 * field names are a stable interface that scripts parse; see the README's "Benchmarks".
 *
 * <p>Numbers are plain decimals (never exponents) with a dot; a missing value (no baseline,
 * unknown peak) is an empty CSV field, a JSON {@code null} and a {@code -} in the table.
 */
public final class BenchReport {
    private BenchReport() {}

    /** The CSV header, exactly. */
    public static final String CSV_HEADER =
            "problem,dir,mb,engine,layout,threads,median_ms,min_ms,max_ms,gflops,pct_peak,impl,baseline_ms,overhead";

    /** The column names, in order. */
    public static final List<String> COLUMNS = List.of(CSV_HEADER.split(","));

    /** The header line and one line per row, each ending in a newline. */
    public static String csv(List<BenchRow> rows) {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        for (BenchRow r : rows) {
            List<String> v = values(r);
            for (int i = 0; i < v.size(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                b.append(csvField(v.get(i) == null ? "" : v.get(i)));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** {@link #json(List, double, double)} without a GEMM figure. */
    public static String json(List<BenchRow> rows, double peakGflops) {
        return json(rows, peakGflops, Double.NaN);
    }

    /**
     * A JSON object: {@code peak_gflops} (or null), {@code gemm_gflops} (the oneDNN matmul
     * figure, or null), {@code overhead_geomean} (or null) and {@code results}, an array of
     * objects with the CSV's fields (numbers as numbers).
     */
    public static String json(List<BenchRow> rows, double peakGflops, double gemmGflops) {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"peak_gflops\": ").append(jsonNumber(peakGflops, 1)).append(",\n");
        b.append("  \"gemm_gflops\": ").append(jsonNumber(gemmGflops, 1)).append(",\n");
        b.append("  \"overhead_geomean\": ").append(jsonNumber(overheadGeomean(rows), 4)).append(",\n");
        b.append("  \"results\": [");
        for (int i = 0; i < rows.size(); i++) {
            b.append(i == 0 ? "\n" : ",\n").append("    {");
            List<String> v = values(rows.get(i));
            for (int c = 0; c < COLUMNS.size(); c++) {
                if (c > 0) {
                    b.append(", ");
                }
                b.append(jsonString(COLUMNS.get(c))).append(": ");
                String s = v.get(c);
                b.append(s == null ? "null" : NUMERIC[c] ? s : jsonString(s));
            }
            b.append('}');
        }
        b.append(rows.isEmpty() ? "]\n" : "\n  ]\n").append("}\n");
        return b.toString();
    }

    /** {@link #table(List, double, double)} without a GEMM figure. */
    public static String table(List<BenchRow> rows, double peakGflops) {
        return table(rows, peakGflops, Double.NaN);
    }

    /**
     * An aligned table for people, with the peak, the GEMM figure (if known) and (with a
     * baseline) the overhead geomean below it.
     */
    public static String table(List<BenchRow> rows, double peakGflops, double gemmGflops) {
        String[] head = {"problem", "dir", "mb", "engine", "layout", "thr", "median ms", "min ms", "max ms",
                "GFLOP/s", "% peak", "impl", "base ms", "overhead"};
        List<String[]> cells = new ArrayList<>();
        cells.add(head);
        for (BenchRow r : rows) {
            List<String> v = values(r);
            String[] c = new String[v.size()];
            for (int i = 0; i < c.length; i++) {
                c[i] = v.get(i) == null ? "-" : v.get(i);
            }
            cells.add(c);
        }
        int[] w = new int[head.length];
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                w[i] = Math.max(w[i], c[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] c : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < c.length; i++) {
                if (i > 0) {
                    line.append("  ");
                }
                // Text left-aligned, numbers right-aligned.
                String fmt = NUMERIC[i] ? "%" + w[i] + "s" : "%-" + w[i] + "s";
                line.append(String.format(Locale.ROOT, fmt, c[i]));
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        b.append(String.format(Locale.ROOT, "peak: %s GFLOP/s", peakGflops > 0 ? fixed(peakGflops, 1) : "unknown"));
        if (gemmGflops > 0) {
            b.append(String.format(Locale.ROOT, ", GEMM achievable: %s GFLOP/s", fixed(gemmGflops, 1)));
        }
        double g = overheadGeomean(rows);
        if (!Double.isNaN(g)) {
            b.append(String.format(Locale.ROOT, "; overhead vs raw oneDNN (geomean of %d): %s (%+.2f %%)",
                    countBaselines(rows), fixed(g, 4), 100 * (g - 1)));
        }
        return b.append('\n').toString();
    }

    /** Geometric mean of {@link BenchRow#overhead()} over the rows that have a baseline; NaN if none. */
    public static double overheadGeomean(List<BenchRow> rows) {
        double sum = 0;
        int n = 0;
        for (BenchRow r : rows) {
            double o = r.overhead();
            if (!Double.isNaN(o) && o > 0) {
                sum += Math.log(o);
                n++;
            }
        }
        return n == 0 ? Double.NaN : Math.exp(sum / n);
    }

    private static int countBaselines(List<BenchRow> rows) {
        return (int) rows.stream().filter(r -> r.baseline() != null).count();
    }

    // Which columns are numbers (right-aligned, unquoted in JSON).
    private static final boolean[] NUMERIC = {false, false, true, false, false, true, true, true, true, true, true, false, true, true};

    /** The row's values as text in column order; {@code null} for a missing value. */
    static List<String> values(BenchRow r) {
        List<String> v = new ArrayList<>(COLUMNS.size());
        v.add(r.problem());
        v.add(r.dir().label());
        v.add(Integer.toString(r.mb()));
        v.add(r.engine());
        v.add(r.layout());
        v.add(Integer.toString(r.threads()));
        v.add(significant(r.stats().medianMs()));
        v.add(significant(r.stats().minMs()));
        v.add(significant(r.stats().maxMs()));
        v.add(rate(r.gflops(), 2));
        v.add(Double.isNaN(r.pctPeak()) ? null : rate(r.pctPeak(), 1));
        v.add(r.impl());
        v.add(r.baseline() == null ? null : significant(r.baselineMs()));
        v.add(r.baseline() == null ? null : fixed(r.overhead(), 4));
        return v;
    }

    /** Six significant digits, plain notation: 0.00412345, 12.3457, 1234.57. */
    static String significant(double x) {
        if (x == 0) {
            return "0";
        }
        return new BigDecimal(x).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** {@code decimals} decimals from 1 up; below 1, three significant digits (a tiny problem's 0.00123 GFLOP/s). */
    static String rate(double x, int decimals) {
        return x >= 1 || x == 0 ? fixed(x, decimals) : new BigDecimal(x).round(new MathContext(3)).toPlainString();
    }

    static String fixed(double x, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", x);
    }

    private static String jsonNumber(double x, int decimals) {
        return Double.isNaN(x) || x <= 0 ? "null" : fixed(x, decimals);
    }

    /** RFC 4180: quote a field holding a comma, a quote or a line break, doubling the quotes. */
    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
