package dev.conv4j.reference;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * The defining formula of a convolution, literally, in double precision:
 *
 * <pre>
 * y[n,o,a,b,e] = bias[o] + Σ_c Σ_u Σ_v Σ_t w[o,c,u,v,t] · x[n, g(o)·C/G + c, a·s0 + u·d0 − p0, b·s1 + v·d1 − p1, e·s2 + t·d2 − p2]
 * </pre>
 *
 * (DESIGN.md's formula with a third spatial dimension; ranks 1 and 2 have leading sizes of 1)
 * with {@code x} read as zero outside the input, and its two adjoints (backward-data and
 * backward-weights). Each output element is one double sum, rounded to float once. All tensors are channels-first and C-ordered over a {@link ConvGeometry}.
 * Independent output elements may run on several threads; every sum runs in the order of
 * the formula.
 */
final class ReferenceConv {
    private ReferenceConv() {}

    /** {@code y = conv(x, w) + b} ({@code b} may be null). */
    static void forward(ConvGeometry q, FloatBuffer x, FloatBuffer w, FloatBuffer b, FloatBuffer y) {
        int cg = q.cPerGroup();
        int og = q.oPerGroup();
        IntStream.range(0, q.n() * q.o()).parallel().forEach(no -> {
            int n = no / q.o();
            int o = no % q.o();
            int g = o / og;
            for (int a = 0; a < q.out()[0]; a++) {
                for (int bb = 0; bb < q.out()[1]; bb++) {
                    for (int e = 0; e < q.out()[2]; e++) {
                        double acc = b == null ? 0.0 : b.get(o);
                        for (int c = 0; c < cg; c++) {
                            for (int u = 0; u < q.k()[0]; u++) {
                                int i0 = a * q.s()[0] + u * q.d()[0] - q.p()[0];
                                if (i0 < 0 || i0 >= q.in()[0]) continue;
                                for (int v = 0; v < q.k()[1]; v++) {
                                    int i1 = bb * q.s()[1] + v * q.d()[1] - q.p()[1];
                                    if (i1 < 0 || i1 >= q.in()[1]) continue;
                                    for (int t = 0; t < q.k()[2]; t++) {
                                        int i2 = e * q.s()[2] + t * q.d()[2] - q.p()[2];
                                        if (i2 < 0 || i2 >= q.in()[2]) continue;
                                        acc += (double) w.get(wIndex(q, o, c, u, v, t))
                                                * x.get(xIndex(q, n, g * cg + c, i0, i1, i2));
                                    }
                                }
                            }
                        }
                        y.put(yIndex(q, n, o, a, bb, e), (float) acc);
                    }
                }
            }
        });
    }

    /**
     * {@code dx = ∂/∂x ⟨conv(x, w), dy⟩}: each input element collects every output it feeds,
     * {@code dx[n,C,i] = b[C] + Σ_o Σ_k w[o,c,k] · dy[n,o,(i + p − k·d) / s]} where the division
     * is exact. {@code b} is a transposed convolution's own bias (its forward is this map), and
     * null for a true backward-data.
     */
    static void backwardData(ConvGeometry q, FloatBuffer dy, FloatBuffer w, FloatBuffer b, FloatBuffer dx) {
        int cg = q.cPerGroup();
        int og = q.oPerGroup();
        IntStream.range(0, q.n() * q.c()).parallel().forEach(nc -> {
            int n = nc / q.c();
            int cAll = nc % q.c();
            int g = cAll / cg;
            int c = cAll % cg;
            for (int i0 = 0; i0 < q.in()[0]; i0++) {
                for (int i1 = 0; i1 < q.in()[1]; i1++) {
                    for (int i2 = 0; i2 < q.in()[2]; i2++) {
                        double acc = b == null ? 0.0 : b.get(cAll);
                        for (int oo = 0; oo < og; oo++) {
                            int o = g * og + oo;
                            for (int u = 0; u < q.k()[0]; u++) {
                                int a = outputIndex(i0, u, q, 0);
                                if (a < 0) continue;
                                for (int v = 0; v < q.k()[1]; v++) {
                                    int bb = outputIndex(i1, v, q, 1);
                                    if (bb < 0) continue;
                                    for (int t = 0; t < q.k()[2]; t++) {
                                        int e = outputIndex(i2, t, q, 2);
                                        if (e < 0) continue;
                                        acc += (double) w.get(wIndex(q, o, c, u, v, t))
                                                * dy.get(yIndex(q, n, o, a, bb, e));
                                    }
                                }
                            }
                        }
                        dx.put(xIndex(q, n, cAll, i0, i1, i2), (float) acc);
                    }
                }
            }
        });
    }

    /**
     * {@code dw[o,c,k] = Σ_n Σ_a dy[n,o,a] · x[n, g(o)·C/G + c, a·s + k·d − p]} and
     * {@code db[o] = Σ_n Σ_a dy[n,o,a]} ({@code db} may be null).
     */
    static void backwardWeights(ConvGeometry q, FloatBuffer x, FloatBuffer dy, FloatBuffer dw, FloatBuffer db) {
        int cg = q.cPerGroup();
        int og = q.oPerGroup();
        IntStream.range(0, q.o()).parallel().forEach(o -> {
            int g = o / og;
            for (int c = 0; c < cg; c++) {
                for (int u = 0; u < q.k()[0]; u++) {
                    for (int v = 0; v < q.k()[1]; v++) {
                        for (int t = 0; t < q.k()[2]; t++) {
                            double acc = 0.0;
                            for (int n = 0; n < q.n(); n++) {
                                for (int a = 0; a < q.out()[0]; a++) {
                                    int i0 = a * q.s()[0] + u * q.d()[0] - q.p()[0];
                                    if (i0 < 0 || i0 >= q.in()[0]) continue;
                                    for (int bb = 0; bb < q.out()[1]; bb++) {
                                        int i1 = bb * q.s()[1] + v * q.d()[1] - q.p()[1];
                                        if (i1 < 0 || i1 >= q.in()[1]) continue;
                                        for (int e = 0; e < q.out()[2]; e++) {
                                            int i2 = e * q.s()[2] + t * q.d()[2] - q.p()[2];
                                            if (i2 < 0 || i2 >= q.in()[2]) continue;
                                            acc += (double) dy.get(yIndex(q, n, o, a, bb, e))
                                                    * x.get(xIndex(q, n, g * cg + c, i0, i1, i2));
                                        }
                                    }
                                }
                            }
                            dw.put(wIndex(q, o, c, u, v, t), (float) acc);
                        }
                    }
                }
            }
        });
        if (db != null) {
            biasGradient(dy, q.n(), q.o(), q.outSize(), db);
        }
    }

    /**
     * {@code db[o] = Σ_n Σ_a dy[n,o,a]} for a channels-first {@code dy} of {@code n} images of
     * {@code channels} channels of {@code plane} positions, summed in double.
     */
    static void biasGradient(FloatBuffer dy, int n, int channels, int plane, FloatBuffer db) {
        for (int o = 0; o < channels; o++) {
            double acc = 0.0;
            for (int b = 0; b < n; b++) {
                for (int a = 0; a < plane; a++) {
                    acc += dy.get((b * channels + o) * plane + a);
                }
            }
            db.put(o, (float) acc);
        }
    }

    /** Output position {@code a} with {@code a·s + u·d − p = i} in dimension {@code dim}, or -1 if none. */
    private static int outputIndex(int i, int u, ConvGeometry q, int dim) {
        int num = i + q.p()[dim] - u * q.d()[dim];
        if (num < 0 || num % q.s()[dim] != 0) return -1;
        int a = num / q.s()[dim];
        return a < q.out()[dim] ? a : -1;
    }

    private static int xIndex(ConvGeometry q, int n, int c, int i0, int i1, int i2) {
        return (((n * q.c() + c) * q.in()[0] + i0) * q.in()[1] + i1) * q.in()[2] + i2;
    }

    private static int yIndex(ConvGeometry q, int n, int o, int a, int b, int e) {
        return (((n * q.o() + o) * q.out()[0] + a) * q.out()[1] + b) * q.out()[2] + e;
    }

    private static int wIndex(ConvGeometry q, int o, int c, int u, int v, int t) {
        return (((o * q.cPerGroup() + c) * q.k()[0] + u) * q.k()[1] + v) * q.k()[2] + t;
    }
}
