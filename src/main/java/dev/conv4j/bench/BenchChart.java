package dev.conv4j.bench;

import dev.conv4j.Check;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Writes {@code conv4j bench} results as a PNG bar chart: GFLOP/s per problem (one row each,
 * labelled by its benchdnn name) and direction (one colour each), with the machine's peak as
 * a vertical line. Horizontal bars keep long problem names readable.
 */
public final class BenchChart {
    private BenchChart() {}

    private static final Color[] DIR_COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c)};

    /**
     * Writes the chart of {@code rows} to {@code file} (created or replaced).
     *
     * @param rows       results; read
     * @param peakGflops the machine's peak, drawn as a line; {@code NaN} or {@code <= 0}: no line
     * @param subtitle   a line under the title (engine, mb, threads, date...), or {@code null}
     * @throws IllegalArgumentException if {@code rows} is empty
     * @throws IOException              if the file cannot be written
     */
    public static void write(List<BenchRow> rows, double peakGflops, String subtitle, Path file) throws IOException {
        Check.arg(!rows.isEmpty(), "chart: no results to draw");
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (BenchRow r : rows) {
            String label = label(r.problem(), r.mb());
            // Two rows with the same label (same problem in another layout, say) stay apart.
            String key = label + "|" + r.dir() + "|" + r.engine() + "|" + r.layout();
            int k = seen.merge(key, 1, Integer::sum);
            data.addValue(r.gflops(), r.dir().label(), k == 1 ? label : label + " #" + k);
        }
        double max = rows.stream().mapToDouble(BenchRow::gflops).max().orElse(1);
        boolean hasPeak = peakGflops > 0 && !Double.isNaN(peakGflops);

        CategoryAxis cats = new CategoryAxis();
        cats.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        cats.setCategoryMargin(0.25);
        NumberAxis values = new NumberAxis("GFLOP/s (2·MACs / median time)");
        values.setUpperBound(Math.max(max, hasPeak ? peakGflops : 0) * 1.12);
        values.setLowerBound(0);

        BarRenderer bars = new BarRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        bars.setItemMargin(0.05);
        for (int i = 0; i < data.getRowCount(); i++) {
            String dir = (String) data.getRowKey(i);
            bars.setSeriesPaint(i, DIR_COLORS[dirIndex(dir)]);
        }
        bars.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new java.text.DecimalFormat("0.#")));
        bars.setDefaultItemLabelsVisible(true);
        bars.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        // Value just right of each bar's end (OUTSIDE3 is the end of a horizontal bar).
        bars.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
        bars.setItemLabelAnchorOffset(3);

        CategoryPlot plot = new CategoryPlot(data, cats, values, bars);
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        plot.setRangeAxisLocation(AxisLocation.BOTTOM_OR_LEFT);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinesVisible(true);
        if (hasPeak) {
            ValueMarker m = new ValueMarker(peakGflops, new Color(0xd62728),
                    new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            m.setLabel(String.format(Locale.ROOT, "peak %.0f GFLOP/s", peakGflops));
            m.setLabelFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            m.setLabelPaint(new Color(0xd62728));
            m.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            m.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
            plot.addRangeMarker(m, Layer.FOREGROUND);
        }

        JFreeChart chart = new JFreeChart("conv4j bench: GFLOP/s per problem and direction",
                new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        if (subtitle != null && !subtitle.isBlank()) {
            chart.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        }
        int barsDrawn = data.getRowCount() * data.getColumnCount();
        int height = Math.max(360, 140 + 18 * barsDrawn + 10 * data.getColumnCount());
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1100, Math.min(height, 8000));
    }

    /** The benchdnn name ({@code n"..."}) if the problem has one, else the descriptor; with the minibatch. */
    static String label(String problem, int mb) {
        int n = problem.indexOf("n\"");
        String name = problem;
        if (n >= 0) {
            int end = problem.indexOf('"', n + 2);
            if (end > n + 2) {
                name = problem.substring(n + 2, end);
            }
        }
        if (name.equals(problem)) {
            // Drop the mb key of a bare descriptor: it is shown separately.
            name = problem.replaceFirst("^mb\\d+", "");
        }
        return name + " (mb" + mb + ")";
    }

    private static int dirIndex(String label) {
        return switch (label) {
            case "fwd" -> 0;
            case "bwd_d" -> 1;
            default -> 2;
        };
    }
}
