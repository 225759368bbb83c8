package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The one progress bar of {@code bench}, {@code check} and {@code train}: what it draws, character for character. */
class ProgressBarTest {
    private final StringWriter text = new StringWriter();
    private final PrintWriter err = new PrintWriter(text, true);

    @Test void steps_drawTheCountAndTheStepAndClearToBlanks() {
        ProgressBar bar = ProgressBar.steps(err, 4, true);
        bar.show("mb1ic3ih8oc4kh3", "fwd");
        bar.done();
        bar.done();
        bar.show("conv2", "bwd_w");
        String first = "[" + " ".repeat(30) + "] 0/4 mb1ic3ih8oc4kh3 fwd";
        String second = "[" + "#".repeat(15) + " ".repeat(15) + "] 2/4 conv2 bwd_w";
        // the second line is shorter: blanks erase the rest of the first
        String drawn = "\r" + first + "\r" + second + " ".repeat(first.length() - second.length());
        assertEquals(drawn, text.toString());
        bar.clear();
        assertEquals(drawn + "\r" + " ".repeat(second.length()) + "\r", text.toString());
    }

    @Test void steps_longLinesAreCutAt100Characters_andNoConsoleDrawsNothing() {
        ProgressBar bar = ProgressBar.steps(err, 0, true);
        bar.show("x".repeat(200), "fwd");
        assertEquals("\r" + ("[" + "#".repeat(30) + "] 0/0 " + "x".repeat(200)).substring(0, 100), text.toString());
        StringWriter silent = new StringWriter();
        ProgressBar off = ProgressBar.steps(new PrintWriter(silent, true), 3, false);
        off.show("p", "fwd");
        off.done();
        off.clear();
        assertEquals("", silent.toString());
    }

    @Test void training_drawsTheEpochAndLoss_atMostTenTimesASecond_butAlwaysTheLastBatch() {
        ProgressBar bar = new ProgressBar(err);
        bar.update(1, 5, 3, 45, 2.31554);
        bar.update(1, 5, 4, 45, 2.3);    // within 100 ms of the last: skipped
        bar.update(1, 5, 45, 45, 1.67734);   // the epoch's end: drawn
        String first = "epoch 1/5 [==" + " ".repeat(28) + "] 3/45  loss 2.3155";
        String last = "epoch 1/5 [" + "=".repeat(30) + "] 45/45  loss 1.6773";
        assertEquals("\r" + first + "\r" + last, text.toString());
        bar.clear();
        assertEquals("\r" + first + "\r" + last + "\r" + " ".repeat(last.length()) + "\r", text.toString());
        bar.clear();   // nothing left to erase
        assertEquals("\r" + first + "\r" + last + "\r" + " ".repeat(last.length()) + "\r", text.toString());
    }
}
