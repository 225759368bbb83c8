package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DropoutTest {
    private static final int N = 100_000;

    private static float[] input() {
        return GradCheck.uniform(N, new SplittableRandom(1), 0.5, 1.5);   // no zeros: a zero output means dropped
    }

    @Test void keepsAboutOneMinusPAndScalesTheKept() {
        Dropout d = new Dropout(0.4, 7);
        float[] x = input();
        Tensor y = d.forward(Tensor.wrap(x, N));
        int kept = 0;
        for (int i = 0; i < N; i++) {
            if (d.kept(i)) {
                kept++;
                assertEquals(x[i] / 0.6f, y.get(i), 1e-6f * Math.abs(y.get(i)));
            } else {
                assertEquals(0f, y.get(i));
            }
        }
        // Binomial(N, 0.6): the standard deviation is about 155; allow 5 of them.
        assertTrue(Math.abs(kept - 0.6 * N) < 5 * Math.sqrt(N * 0.24), "kept " + kept);
    }

    @Test void backwardUsesTheForwardMask() {
        Dropout d = new Dropout(0.4, 8);
        d.forward(Tensor.wrap(input(), N));
        float[] dy = GradCheck.uniform(N, new SplittableRandom(2), -1, 1);
        Tensor dx = d.backward(Tensor.wrap(dy, N));
        int checked = 0;
        for (int i = 0; i < N; i++) {
            assertEquals(d.kept(i) ? dy[i] / 0.6f : 0f, dx.get(i), 1e-6f);
            checked++;
        }
        assertEquals(N, checked);
    }

    @Test void sameSeedSameMasksAndMasksChangePerCall() {
        Dropout a = new Dropout(0.5, 9);
        Dropout b = new Dropout(0.5, 9);
        Dropout c = new Dropout(0.5, 10);
        Tensor x = Tensor.wrap(input(), N);
        float[] a1 = a.forward(x).toArray();
        float[] a2 = a.forward(x).toArray();
        assertArrayEquals(a1, b.forward(x).toArray());
        assertFalse(Arrays.equals(a1, a2));
        assertFalse(Arrays.equals(a1, c.forward(x).toArray()));
    }

    @Test void evalModeAndZeroProbabilityAreTheIdentity() {
        float[] x = input();
        Dropout d = new Dropout(0.4, 11);
        d.eval();
        assertArrayEquals(x, d.forward(Tensor.wrap(x, N)).toArray());
        assertThrows(IllegalStateException.class, () -> d.backward(Tensor.wrap(new float[N], N)));
        Dropout zero = new Dropout(0, 12);
        assertArrayEquals(x, zero.forward(Tensor.wrap(x, N)).toArray());
        float[] dy = GradCheck.uniform(N, new SplittableRandom(3), -1, 1);
        assertArrayEquals(dy, zero.backward(Tensor.wrap(dy, N)).toArray());
    }

    @Test void rejectsBadProbability() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0, 1));
        assertEquals("p: dropout probability must be in [0, 1), got 1.0", e.getMessage());
    }
}
