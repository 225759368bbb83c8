package dev.conv4j.train;

/**
 * The matrix product behind {@link Dense}: {@code C (+)= A · B} on float arrays, blocked for
 * the caches and parallel over tiles of C.
 *
 * <p>{@code C} is {@code [m, n]} row-major with row stride {@code ldc}; {@code B} is
 * {@code [k, n]} row-major with row stride {@code ldb}; {@code A} is {@code [m, k]} read as
 * {@code a[aOff + i·aRow + p·aCol]}, so a transposed operand costs no copy. The inner loop is
 * an "axpy" over a row of C with four rows of B at once ({@code c[j] += a0·b0[j] + a1·b1[j]
 * + a2·b2[j] + a3·b3[j]}): contiguous in {@code j}, which HotSpot vectorizes, one load and
 * store of C per four multiply-adds. Blocks of {@code KC × NC} of B (128 KiB-256 KiB) stay in
 * the L2 cache while every row of the tile passes over them.
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
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
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

    /** Rows {@code [i0, i1)} and columns {@code [j0, j1)} of C, all of K. */
    private static void tile(int i0, int i1, int j0, int j1, int k, float[] a, int aOff, int aRow, int aCol,
                             float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        for (int jb = j0; jb < j1; jb += NC) {
            int jn = Math.min(NC, j1 - jb);
            for (int pb = 0; pb < k; pb += KC) {
                int pe = Math.min(pb + KC, k);
                for (int i = i0; i < i1; i++) {
                    int ci = cOff + i * ldc + jb;
                    int ai = aOff + i * aRow;
                    int p = pb;
                    for (; p + 3 < pe; p += 4) {
                        float a0 = a[ai + p * aCol];
                        float a1 = a[ai + (p + 1) * aCol];
                        float a2 = a[ai + (p + 2) * aCol];
                        float a3 = a[ai + (p + 3) * aCol];
                        if (a0 == 0f && a1 == 0f && a2 == 0f && a3 == 0f) {
                            continue;   // ReLU and dropout make many zero rows of work
                        }
                        int b0 = bOff + p * ldb + jb;
                        axpy4(jn, a0, a1, a2, a3, b, b0, b0 + ldb, b0 + 2 * ldb, b0 + 3 * ldb, c, ci);
                    }
                    for (; p < pe; p++) {
                        float a0 = a[ai + p * aCol];
                        if (a0 != 0f) {
                            axpy1(jn, a0, b, bOff + p * ldb + jb, c, ci);
                        }
                    }
                }
            }
        }
    }

    private static void axpy4(int len, float a0, float a1, float a2, float a3, float[] b,
                              int b0, int b1, int b2, int b3, float[] c, int ci) {
        for (int j = 0; j < len; j++) {
            c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
        }
    }

    private static void axpy1(int len, float a0, float[] b, int b0, float[] c, int ci) {
        for (int j = 0; j < len; j++) {
            c[ci + j] += a0 * b[b0 + j];
        }
    }
}
