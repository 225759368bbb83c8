package dev.conv4j.onednn;

import dev.conv4j.Check;
import dev.conv4j.bench.MatmulFigure;
import java.nio.FloatBuffer;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * Measures what a large oneDNN matmul achieves on this machine, in GFLOP/s, in this process:
 * the throughput of a square fp32 matmul ({@code n = 2048} by default) on all of oneDNN's
 * threads, best of several runs after a warm-up.
 *
 * <p>{@code conv4j info} and {@code conv4j bench} print it as "GEMM achievable", beside the
 * peak ({@code dev.conv4j.bench.FmaPeak}, a tight vector FMA loop), and use it as the peak only
 * when that loop cannot run. A large GEMM is oneDNN's best-tuned kernel (packed weights,
 * register-blocked FMA micro-kernels, the ISA oneDNN dispatches to), measured with the same
 * threading runtime, thread count and ISA cap as the convolutions. It is not the FMA ceiling:
 * on an AVX2-only machine (docs/perf-notes.md, 2026-11-25) oneDNN's 3×3 convolution kernels
 * ran up to 1.33× faster than this matmul. The best of several runs, not the median, is
 * taken because the figure is a ceiling of what the kernel reaches.
 */
final class MachinePeak {
    private MachinePeak() {}

    /** The default matrix size. */
    static final int DEFAULT_SIZE = 2048;

    /** Measures with {@link #DEFAULT_SIZE}, at least 3 and at most 20 runs within about 2 s. */
    static MatmulFigure measure() {
        return measure(DEFAULT_SIZE, 3, 20, 2_000_000_000L);
    }

    /**
     * Measures with an {@code n × n × n} fp32 matmul.
     *
     * @param n           matrix size, 64..16384
     * @param minRuns     at least this many timed runs
     * @param maxRuns     at most this many
     * @param budgetNanos no further run starts after this time once {@code minRuns} were done
     */
    static MatmulFigure measure(int n, int minRuns, int maxRuns, long budgetNanos) {
        Check.arg(n >= 64 && n <= 16384, "size: must be in 64..16384, got %d", n);
        Check.arg(minRuns >= 1 && maxRuns >= minRuns, "runs: need 1 <= min %d <= max %d", minRuns, maxRuns);
        try (PointerScope scope = new PointerScope()) {
            engine eng = NativeRuntime.get().engine();   // native-config's ISA cap applies
            stream s = new stream(eng);
            LongPointer dims = new LongPointer(n, n);
            memory.desc plain = new memory.desc(dims, memory.data_type.f32, memory.format_tag.ab);
            memory.desc any = new memory.desc(dims, memory.data_type.f32, memory.format_tag.any);
            // Weights in oneDNN's packed layout, as a convolution's would be; activations plain.
            matmul.primitive_desc pd = new matmul.primitive_desc(eng, plain, any, plain);
            String impl = pd.impl_info_str().getString();
            matmul mm = new matmul(pd);
            memory a = new memory(pd.src_desc(), eng);
            memory b = new memory(pd.weights_desc(), eng);
            memory c = new memory(pd.dst_desc(), eng);
            fill(a, n * (long) n, 1f);
            fill(b, pd.weights_desc().get_size() / Float.BYTES, 0.5f);
            IntMemoryMap args = new IntMemoryMap();
            args.put(dnnl.DNNL_ARG_SRC, a);
            args.put(dnnl.DNNL_ARG_WEIGHTS, b);
            args.put(dnnl.DNNL_ARG_DST, c);

            mm.execute(s, args);   // warm-up: page faults, thread pool start, caches
            s._wait();
            long best = Long.MAX_VALUE;
            int runs = 0;
            long start = System.nanoTime();
            while (runs < maxRuns && (runs < minRuns || System.nanoTime() - start < budgetNanos)) {
                long t0 = System.nanoTime();
                mm.execute(s, args);
                s._wait();
                best = Math.min(best, System.nanoTime() - t0);
                runs++;
            }
            double flops = 2.0 * n * (double) n * n;
            return new MatmulFigure(flops / best, n, runs, best / 1e6, impl);
        }
    }

    private static void fill(memory m, long floats, float v) {
        FloatPointer p = new FloatPointer(m.get_data_handle());
        p.capacity(floats);
        FloatBuffer buf = p.asBuffer();
        for (int i = 0; i < buf.capacity(); i++) {
            buf.put(i, v);
        }
    }
}
