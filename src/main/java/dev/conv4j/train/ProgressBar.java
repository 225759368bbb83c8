package dev.conv4j.train;

import java.io.PrintWriter;
import java.util.Locale;

/** A one-line progress bar redrawn in place with carriage returns, at most ten times a second. */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private long lastDraw;
    private int lastLength;

    ProgressBar(PrintWriter err) {
        this.err = err;
    }

    void update(int epoch, int epochs, int done, int total, double meanLoss) {
        long now = System.nanoTime();
        if (done != total && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        int filled = (int) ((long) WIDTH * done / total);
        String line = String.format(Locale.ROOT, "epoch %d/%d [%s%s] %d/%d  loss %.4f", epoch, epochs,
                "=".repeat(filled), " ".repeat(WIDTH - filled), done, total, meanLoss);
        err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        err.flush();
        lastLength = line.length();
    }

    void clear() {
        if (lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
            lastLength = 0;
        }
    }
}
