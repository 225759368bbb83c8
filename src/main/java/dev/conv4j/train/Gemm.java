package dev.conv4j.train;

import java.util.Arrays;

/**
 * The matrix product behind {@link Dense}: {@code C (+)= A · B} on float arrays, blocked for
 * the caches and parallel over tiles of C.
 *
 * <p>{@code C} is {@code [m, n]} row-major with row stride {@code ldc}; {@code B} is
 * {@code [k, n]} row-major with row stride {@code ldb}; {@code A} is {@code [m, k]} read as
 * {@code a[aOff + i·aRow + p·aCol]}, so a transposed operand costs no copy.
 *
 * <p>The inner loop is an "axpy" over a row of C with four rows of B at once
 * ({@code acc[j] += a0·b0[j] + a1·b1[j] + a2·b2[j] + a3·b3[j]}): one load and store of the
 * accumulator per four multiply-adds. HotSpot (17) vectorizes that loop only when every array
 * in it is indexed by the bare loop variable: measured here, the same loop with an offset
 * ({@code c[ci + j]}, or four rows of one array) ran at 2-3 GFLOP/s on one core, and with
 * separate zero-based arrays at 14-15 GFLOP/s. So a {@code KC × NC} block of B is first
 * copied into separate row arrays (a panel, reused by every row of the tile) and each row of C
 * is accumulated in a zero-based array and copied back.
 */
final class Gemm {
    private Gemm() {}

    static final int KC = 128;
    static final int NC = 512;
    /** Multiply-adds below which a product runs on the calling thread alone. */
    static final long SERIAL_WORK = 1L << 18;

    /**
     * {@code C = A·B} ({@code accumulate = false}) or {@code C += A·B}.
     *
     * @param a A, read as {@code a[aOff + i·aRow + p·aCol]}; read
     * @param b B, {@code b[bOff + p·ldb + j]}; read
     * @param c C, {@code c[cOff + i·ldc + j]}; written
     */
    static void multiply(int m, int n, int k, float[] a, int aOff, int aRow, int aCol,
                         float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) {
            return;
        }
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
        if (k == 0) {
            return;
        }
        long work = (long) m * n * k;
        int threads = Parallel.threads();
        if (work < SERIAL_WORK || threads == 1) {
            tile(0, m, 0, n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
            return;
        }
        // Tiles: split rows while there are enough of them, else columns (in NC-multiples).
        int rowTiles = Math.min(m, 4 * threads);
        int colBlocks = (n + NC - 1) / NC;
        int colTiles = rowTiles >= 2 * threads ? 1 : Math.min(colBlocks, (4 * threads + rowTiles - 1) / rowTiles);
        int tiles = rowTiles * colTiles;
        final int ct = colTiles;
        final int rt = rowTiles;
        Parallel.forRange(tiles, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int ri = t / ct;
                int cj = t % ct;
                int i0 = (int) ((long) m * ri / rt);
                int i1 = (int) ((long) m * (ri + 1) / rt);
                int j0 = Math.min(n, (int) ((long) colBlocks * cj / ct) * NC);
                int j1 = Math.min(n, (int) ((long) colBlocks * (cj + 1) / ct) * NC);
                tile(i0, i1, j0, j1, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
            }
        });
    }

    /** Per-thread panel of B and accumulator row. */
    private static final class Workspace {
        final float[][] panel = new float[KC][NC];
        final float[] acc = new float[NC];
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    /** Rows {@code [i0, i1)} and columns {@code [j0, j1)} of C, all of K. */
    private static void tile(int i0, int i1, int j0, int j1, int k, float[] a, int aOff, int aRow, int aCol,
                             float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        Workspace ws = WORKSPACE.get();
        float[][] panel = ws.panel;
        float[] acc = ws.acc;
        for (int jb = j0; jb < j1; jb += NC) {
            int jn = Math.min(NC, j1 - jb);
            for (int pb = 0; pb < k; pb += KC) {
                int pn = Math.min(KC, k - pb);
                for (int q = 0; q < pn; q++) {
                    System.arraycopy(b, bOff + (pb + q) * ldb + jb, panel[q], 0, jn);
                }
                for (int i = i0; i < i1; i++) {
                    int ci = cOff + i * ldc + jb;
                    int ai = aOff + i * aRow + pb * aCol;
                    System.arraycopy(c, ci, acc, 0, jn);
                    int q = 0;
                    for (; q + 3 < pn; q += 4) {
                        float a0 = a[ai + q * aCol];
                        float a1 = a[ai + (q + 1) * aCol];
                        float a2 = a[ai + (q + 2) * aCol];
                        float a3 = a[ai + (q + 3) * aCol];
                        if (a0 == 0f && a1 == 0f && a2 == 0f && a3 == 0f) {
                            continue;   // ReLU and dropout make many zero groups
                        }
                        axpy4(jn, a0, a1, a2, a3, panel[q], panel[q + 1], panel[q + 2], panel[q + 3], acc);
                    }
                    for (; q < pn; q++) {
                        float a0 = a[ai + q * aCol];
                        if (a0 != 0f) {
                            axpy1(jn, a0, panel[q], acc);
                        }
                    }
                    System.arraycopy(acc, 0, c, ci, jn);
                }
            }
        }
    }

    private static void axpy4(int len, float a0, float a1, float a2, float a3,
                              float[] b0, float[] b1, float[] b2, float[] b3, float[] acc) {
        for (int j = 0; j < len; j++) {
            acc[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
        }
    }

    private static void axpy1(int len, float a0, float[] b0, float[] acc) {
        for (int j = 0; j < len; j++) {
            acc[j] += a0 * b0[j];
        }
    }
}
