package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conv4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A Java layer whose output would not fit a tensor says so in one line naming it, before
 * allocating anything: the output of a layer can be far larger than its input.
 */
class JavaLayerLimitsTest {
    @Test void anOutputLargerThanATensor_isRefusedNamingIt() {
        Dense wide = new Dense(1, 1 << 20, false, 7L);
        Tensor x = Tensor.zeros(4096, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> wide.forward(x));
        assertEquals("output: [4096, 1048576] has 4294967296 elements, more than the " + Tensor.MAX_ELEMENTS
                + " a tensor can hold", e.getMessage());
    }
}
