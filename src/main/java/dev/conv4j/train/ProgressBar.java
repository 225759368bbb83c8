package dev.conv4j.train;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on stderr, redrawn in place with carriage returns and erased by
 * {@link #clear()} before other output. Two forms share the drawing:
 * <ul>
 *   <li>steps ({@code conv4j bench} and {@code check}): {@code [####      ] 3/20 what detail},
 *       drawn at every {@link #show}, only when there is a console ({@link System#console()}),
 *       so redirected and captured output stays clean;</li>
 *   <li>training ({@link TrainingRun}): {@code epoch 1/5 [====      ] 12/45  loss 2.2097},
 *       at most ten times a second and always at the end of an epoch.</li>
 * </ul>
 * A line is cut at {@value #MAX_LENGTH} characters.
 */
public final class ProgressBar {
    private static final int WIDTH = 30;
    private static final int MAX_LENGTH = 100;
    private static final long TRAINING_INTERVAL_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final boolean enabled;
    private final int total;   // steps form only
    private int done;
    private long lastDraw;
    private int lastLength;

    private ProgressBar(PrintWriter err, boolean enabled, int total) {
        this.err = err;
        this.enabled = enabled;
        this.total = total;
    }

    /** A training bar on {@code err}, drawn always: the caller decided that there is a console. */
    ProgressBar(PrintWriter err) {
        this(err, true, 0);
    }

    /** A bar over {@code total} steps, drawn only when there is a console. */
    public static ProgressBar onConsole(PrintWriter err, int total) {
        return steps(err, total, System.console() != null);
    }

    /** A bar over {@code total} steps, drawn if {@code draw} (tests draw without a console). */
    static ProgressBar steps(PrintWriter err, int total, boolean draw) {
        return new ProgressBar(err, draw, total);
    }

    /** Shows the step now running: {@code what} and {@code detail} after the count of steps done. */
    public void show(String what, Object detail) {
        if (enabled) {
            draw('#', "", done, total, " " + what + " " + detail);
        }
    }

    /** Marks a step done. */
    public void done() {
        done++;
    }

    /** Shows {@code done} of {@code total} batches of epoch {@code epoch} and the mean loss so far. */
    void update(int epoch, int epochs, int done, int total, double meanLoss) {
        long now = System.nanoTime();
        if (!enabled || done != total && now - lastDraw < TRAINING_INTERVAL_NANOS) {
            return;
        }
        lastDraw = now;
        draw('=', String.format(Locale.ROOT, "epoch %d/%d ", epoch, epochs), done, total,
                String.format(Locale.ROOT, "  loss %.4f", meanLoss));
    }

    /** Erases the bar, before other output. */
    public void clear() {
        if (enabled && lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
            lastLength = 0;
        }
    }

    private void draw(char fill, String before, int done, int total, String after) {
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        String line = before + "[" + String.valueOf(fill).repeat(filled) + " ".repeat(WIDTH - filled) + "] "
                + done + "/" + total + after;
        if (line.length() > MAX_LENGTH) {
            line = line.substring(0, MAX_LENGTH);
        }
        err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        err.flush();
        lastLength = line.length();
    }
}
