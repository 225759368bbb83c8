package dev.conv4j.io;

import dev.conv4j.Check;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Reads a CSV file of labelled samples, plain or gzip-compressed (detected from the first two
 * bytes): one sample per line, {@code features} numbers followed by an integer label. Blank
 * lines are skipped; there is no header. The UCI optical digits file is of this kind
 * ({@code 64} pixel values 0..16, then the label 0..9).
 */
public final class LabeledCsv {
    private LabeledCsv() {}

    /**
     * The samples of a labelled CSV file.
     *
     * @param features values per sample
     * @param values   {@code count · features} values, sample after sample
     * @param labels   {@code count} labels
     */
    public record Samples(int features, float[] values, int[] labels) {
        /** Number of samples. */
        public int count() {
            return labels.length;
        }
    }

    /**
     * Reads every sample of a labelled CSV stream; the stream is read to its end, not closed.
     *
     * @param in       the stream, gzip-compressed or not; read
     * @param name     the source's name in error messages
     * @param features values per line before the label (&gt;= 1)
     * @throws IllegalArgumentException naming the source and the line for a line with the
     *         wrong number of fields, a field that is not a number, or a label that is not an
     *         integer &gt;= 0
     */
    public static Samples read(InputStream in, String name, int features) throws IOException {
        Check.arg(features >= 1, "features: must be >= 1, got %d", features);
        InputStream raw = Gzip.markable(in);
        InputStream body = Gzip.startsWithMagic(raw) ? new GZIPInputStream(raw) : raw;
        BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        float[] values = new float[features * 256];
        int[] labels = new int[256];
        int count = 0;
        int lineNo = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.split(",", -1);
            Check.arg(fields.length == features + 1, "csv: %s line %d has %d fields, expected %d (%d features and a label)",
                    name, lineNo, fields.length, features + 1, features);
            if (count == labels.length) {
                labels = Arrays.copyOf(labels, count * 2);
                values = Arrays.copyOf(values, count * 2 * features);
            }
            for (int f = 0; f < features; f++) {
                values[count * features + f] = parseFloat(fields[f], name, lineNo, f + 1);
            }
            labels[count] = parseLabel(fields[features], name, lineNo, features + 1);
            count++;
        }
        return new Samples(features, Arrays.copyOf(values, count * features), Arrays.copyOf(labels, count));
    }

    private static float parseFloat(String field, String name, int line, int column) {
        try {
            return Float.parseFloat(field.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "csv: %s line %d field %d is not a number: \"%s\"", name, line, column, field), e);
        }
    }

    private static int parseLabel(String field, String name, int line, int column) {
        int label;
        try {
            label = Integer.parseInt(field.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "csv: %s line %d field %d (the label) is not an integer: \"%s\"", name, line, column, field), e);
        }
        Check.arg(label >= 0, "csv: %s line %d label must be >= 0, got %d", name, line, label);
        return label;
    }
}
