package dev.conv4j.cli;

import static dev.conv4j.cli.CliTest.assertOneLineError;
import static dev.conv4j.cli.CliTest.run;

import org.junit.jupiter.api.Test;

/**
 * Input past what the machine or the library can hold: one line naming the parameter, the
 * value and the rule, exit status 2, before anything is allocated or any native call.
 */
class CliLimitsTest {

    @Test void aTensorLargerThanADirectBufferHolds_isBadInput() {
        String tooLarge = "mb1ic1ih24000oc1kh1";   // 576000000 floats: more than Tensor.MAX_ELEMENTS
        assertOneLineError(run("bench", "--engine", "reference", "--peak", "100", "--seconds", "0.05", "--dir", "fwd",
                "--problem", tooLarge), Main.BAD_INPUT, "[1, 1, 24000, 24000] has 576000000 elements",
                "more than the 536870848 a tensor can hold");
        assertOneLineError(run("check", "--dir", "fwd", "--problem", tooLarge), Main.BAD_INPUT,
                "576000000 elements", "536870848");
    }
}
