package dev.conv4j.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on stderr, redrawn in place; silent unless stderr is a terminal
 * ({@link System#console()}), so redirected and captured output stays clean.
 */
final class Progress {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final int total;
    private final boolean enabled;
    private int done;
    private int lastLength;

    private Progress(PrintWriter err, int total, boolean enabled) {
        this.err = err;
        this.total = total;
        this.enabled = enabled;
    }

    /** A progress bar over {@code total} steps, drawn only when there is a console. */
    static Progress onConsole(PrintWriter err, int total) {
        return new Progress(err, total, System.console() != null);
    }

    /** Shows the step now running. */
    void show(String what, Object detail) {
        if (!enabled) {
            return;
        }
        int filled = total == 0 ? WIDTH : done * WIDTH / total;
        String text = String.format(Locale.ROOT, "[%s%s] %d/%d %s %s", "#".repeat(filled), " ".repeat(WIDTH - filled),
                done, total, what, detail);
        if (text.length() > 100) {
            text = text.substring(0, 100);
        }
        err.print("\r" + text + " ".repeat(Math.max(0, lastLength - text.length())));
        err.flush();
        lastLength = text.length();
    }

    /** Marks a step done. */
    void done() {
        done++;
    }

    /** Erases the bar, before other output. */
    void clear() {
        if (enabled && lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
            lastLength = 0;
        }
    }
}
