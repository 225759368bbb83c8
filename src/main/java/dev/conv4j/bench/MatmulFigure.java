package dev.conv4j.bench;

/**
 * What a large square fp32 matmul achieved on this machine: one measurement of the
 * "GEMM achievable" figure ({@link dev.conv4j.onednn.OneDnnEngine#measureMatmulPeak()}).
 *
 * @param gflops         {@code 2·n³ / best time}
 * @param size           {@code n}
 * @param runs           timed runs (a warm-up run is not counted)
 * @param bestMs         the fastest run
 * @param implementation oneDNN's kernel name (e.g. {@code brg_matmul:avx2})
 */
public record MatmulFigure(double gflops, int size, int runs, double bestMs, String implementation) {}
