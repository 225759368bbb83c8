package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Gemm} against a double-precision triple loop, over shapes that hit every edge of its blocking. */
class GemmTest {

    private static int check(int m, int n, int k, boolean transposeA, boolean accumulate, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = GradCheck.uniform(m * k, r, -1, 1);
        for (int i = 0; i < a.length; i += 3) {
            a[i] = 0f;   // zeros exercise the skip of all-zero groups of four
        }
        float[] b = GradCheck.uniform(k * n + 3, r, -1, 1);   // +3: a B that does not start at 0
        float[] c = GradCheck.uniform(m * n, r, -1, 1);
        float[] c0 = c.clone();
        // A is [m, k]; stored transposed it is read with row stride 1 and column stride m.
        int aRow = transposeA ? 1 : k;
        int aCol = transposeA ? m : 1;
        Gemm.multiply(m, n, k, a, 0, aRow, aCol, b, 3, n, c, 0, n, accumulate);
        int checked = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c0[i * n + j] : 0;
                double abs = Math.abs(s);
                for (int p = 0; p < k; p++) {
                    double t = (double) a[i * aRow + p * aCol] * b[3 + p * n + j];
                    s += t;
                    abs += Math.abs(t);
                }
                // float accumulation: error bounded by k·ε·Σ|terms|
                assertEquals(s, c[i * n + j], (k + 2) * 6e-8 * abs + 1e-30,
                        "m=" + m + " n=" + n + " k=" + k + " at " + i + "," + j);
                checked++;
            }
        }
        return checked;
    }

    @Test void smallAndOddShapes() {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {4, 4, 4}, {2, 9, 0}, {5, 3, 130}, {7, 513, 5}, {1, 17, 259}};
        int checked = 0;
        for (int[] s : shapes) {
            for (boolean t : new boolean[] {false, true}) {
                for (boolean acc : new boolean[] {false, true}) {
                    checked += check(s[0], s[1], s[2], t, acc, 31L * s[0] + s[1]);
                }
            }
        }
        assertEquals(4 * (1 + 15 + 16 + 18 + 15 + 7 * 513 + 17), checked);
    }

    @Test void parallelTilesByRowsAndByColumns() {
        // Enough work for the parallel path: many rows (tiles by rows), then one row (tiles by columns).
        int checked = check(67, 300, 140, false, false, 1);
        checked += check(2, 1100, 150, true, true, 2);
        assertEquals(67 * 300 + 2 * 1100, checked);
    }
}
