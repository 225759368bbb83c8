package dev.conv4j.train;

import dev.conv4j.Check;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Writes a training run as a PNG line chart: mean training loss per epoch on the left axis,
 * test accuracy per epoch on the right axis.
 */
public final class TrainingCurve {
    private TrainingCurve() {}

    private static final Color LOSS = new Color(0xd62728);
    private static final Color ACCURACY = new Color(0x1f77b4);

    /**
     * Writes the chart of {@code epochs} to {@code file} (created or replaced; its directory
     * is created).
     *
     * @param epochs   one record per epoch; read
     * @param title    the chart's title
     * @param subtitle a line under the title, or {@code null}
     * @throws IllegalArgumentException if {@code epochs} is empty
     * @throws IOException              if the file cannot be written
     */
    public static void write(List<Trainer.Epoch> epochs, String title, String subtitle, Path file) throws IOException {
        Check.arg(!epochs.isEmpty(), "curve: no epochs to draw");
        System.setProperty("java.awt.headless", "true");
        XYSeries loss = new XYSeries("train loss");
        XYSeries accuracy = new XYSeries("test accuracy");
        double minAcc = 1;
        for (Trainer.Epoch e : epochs) {
            loss.add(e.epoch(), e.trainLoss());
            accuracy.add(e.epoch(), e.testAccuracy());
            minAcc = Math.min(minAcc, e.testAccuracy());
        }
        NumberAxis epochAxis = new NumberAxis("epoch");
        epochAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        epochAxis.setLowerBound(epochs.size() == 1 ? 0.5 : 1);
        epochAxis.setUpperBound(epochs.size() == 1 ? 1.5 : epochs.size());
        NumberAxis lossAxis = new NumberAxis("mean training loss (cross-entropy)");
        lossAxis.setAutoRangeIncludesZero(true);
        lossAxis.setLabelPaint(LOSS);
        lossAxis.setTickLabelPaint(LOSS);
        NumberAxis accAxis = new NumberAxis("test accuracy");
        accAxis.setAutoRangeIncludesZero(false);
        // Show the interesting band: from a little below the worst epoch to 1.
        accAxis.setRange(Math.max(0, Math.floor((minAcc - 0.02) * 50) / 50), 1.0);
        accAxis.setLabelPaint(ACCURACY);
        accAxis.setTickLabelPaint(ACCURACY);

        XYPlot plot = new XYPlot(new XYSeriesCollection(loss), epochAxis, lossAxis, renderer(LOSS));
        plot.setRangeAxis(1, accAxis);
        plot.setDataset(1, new XYSeriesCollection(accuracy));
        plot.mapDatasetToRangeAxis(1, 1);
        plot.setRenderer(1, renderer(ACCURACY));
        plot.setRangeAxisLocation(1, AxisLocation.BOTTOM_OR_RIGHT);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));

        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        if (subtitle != null) {
            chart.addSubtitle(new TextTitle(subtitle));
        }
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 540);
    }

    private static XYLineAndShapeRenderer renderer(Color color) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        r.setSeriesPaint(0, color);
        r.setSeriesStroke(0, new BasicStroke(2f));
        return r;
    }
}
