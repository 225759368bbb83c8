package dev.conv4j.bench;

import dev.conv4j.Check;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The machine's fp32 FMA peak, in GFLOP/s: the throughput of a tight loop of vector fused
 * multiply-adds ({@link FmaLoop}: independent accumulator chains of the widest vector the JIT
 * uses, 256 bits with AVX2 and 512 bits with AVX-512, on every thread at once), each thread's
 * fastest chunk after a warm-up, summed over the threads.
 *
 * <p>Why this loop: it does nothing but the instruction a convolution kernel is built from,
 * with enough independent chains to hide the FMA latency, so it reaches the FMA throughput at
 * the clock the machine sustains under all-core vector load: the ceiling no kernel can pass.
 * A large matmul ({@link dev.conv4j.onednn.OneDnnEngine#measureMatmulPeak()}) stays below it (loads, packing,
 * threading).
 *
 * <p>The Vector API is an incubator module in Java 17, and a JVM started with
 * {@code --add-modules jdk.incubator.vector} prints a warning. So the conv4j JVM does not use
 * it: {@link #measureInChild} runs {@link FmaLoop} in a child JVM (this JVM's executable and
 * class path, through {@link Relaunch#command(List, String, List)}) with that option, reads
 * the one result line it prints and drops its standard error. This class never refers to
 * the Vector API itself.
 */
public final class FmaPeak {
    private FmaPeak() {}

    /** The JVM options that make the module readable in the child. */
    static final List<String> MODULE_OPTIONS = List.of("--add-modules", "jdk.incubator.vector");

    /** The child's main class, by name: a class literal would load it in this JVM. */
    static final String LOOP_CLASS = "dev.conv4j.bench.FmaLoop";

    /** First word of the child's result line. */
    static final String RESULT_TAG = "fma_peak";

    /** First word of the child's line in {@code --check} mode. */
    static final String CHECK_TAG = "fma_check";

    /**
     * One measurement.
     *
     * @param gflops  the sum over threads of {@code 2 · lanes · chains · unroll · iterations / fastest chunk}
     * @param threads threads that ran the loop at once
     * @param lanes   fp32 lanes per vector (8: 256-bit, 16: 512-bit)
     * @param chains  accumulators per thread
     * @param runs    timed chunks per thread (the fewest any thread ran; warm-up not counted)
     * @param bestMs  the slowest thread's fastest chunk
     */
    public record Result(double gflops, int threads, int lanes, int chains, int runs, double bestMs) {

        /** {@code 256-bit FMA loop, 12 chains × 2 threads, fastest of 95 chunks per thread}. */
        public String describe() {
            return String.format(Locale.ROOT, "%d-bit FMA loop, %d chains × %d threads, fastest of %d chunks per thread",
                    lanes * Float.SIZE, chains, threads, runs);
        }

        /** The child's result line, which {@link #parse} reads back. */
        String line() {
            return String.format(Locale.ROOT, "%s gflops=%.3f threads=%d lanes=%d chains=%d runs=%d best_ms=%.4f",
                    RESULT_TAG, gflops, threads, lanes, chains, runs, bestMs);
        }
    }

    /**
     * Reads the child's result line.
     *
     * @throws IllegalArgumentException if {@code line} is not one, naming what is wrong
     */
    static Result parse(String line) {
        String[] words = line.trim().split("\\s+");
        Check.arg(words.length == 7 && words[0].equals(RESULT_TAG), "fma peak: not a result line: '%s'", line);
        double gflops = number(words[1], "gflops", line);
        Check.arg(gflops > 0 && Double.isFinite(gflops), "fma peak: gflops must be a positive number in '%s'", line);
        return new Result(gflops, (int) number(words[2], "threads", line), (int) number(words[3], "lanes", line),
                (int) number(words[4], "chains", line), (int) number(words[5], "runs", line),
                number(words[6], "best_ms", line));
    }

    private static double number(String word, String key, String line) {
        Check.arg(word.startsWith(key + "="), "fma peak: expected %s= in '%s'", key, line);
        try {
            return Double.parseDouble(word.substring(key.length() + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "fma peak: %s is not a number in '%s'", key, line), e);
        }
    }

    /**
     * Runs {@link FmaLoop} in a child JVM with the Vector API module and returns its result.
     * The child's standard error (the incubator warning) is read and dropped unless it fails.
     *
     * @param threads        threads for the loop
     * @param budgetMillis   time for the timed runs
     * @param timeoutSeconds the child is stopped after this
     * @throws IOException if the child cannot start, fails, or prints no result line; the
     *         message says why in one line
     */
    public static Result measureInChild(int threads, long budgetMillis, long timeoutSeconds)
            throws IOException, InterruptedException {
        String line = childLine(MODULE_OPTIONS, List.of(Integer.toString(threads), Long.toString(budgetMillis)),
                RESULT_TAG, timeoutSeconds);
        try {
            return parse(line);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Runs {@code FmaLoop args} in a child JVM (this JVM's executable, options and class path,
     * then {@code jvmOptions}) and returns the first line of its standard output that starts
     * with {@code tag}.
     *
     * @throws IOException if the child cannot start, runs longer than {@code timeoutSeconds},
     *         exits with a non-zero status or prints no such line; the message is one line,
     *         with the last line the child printed (standard error first) when there is one
     */
    static String childLine(List<String> jvmOptions, List<String> args, String tag, long timeoutSeconds)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Relaunch.command(jvmOptions, LOOP_CLASS, args)).start();
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread outDrain = drain(p.getInputStream(), out, "fma-peak-stdout");
        Thread errDrain = drain(p.getErrorStream(), err, "fma-peak-stderr");
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("fma peak: the child JVM did not finish within " + timeoutSeconds + " s");
        }
        outDrain.join(5000);
        errDrain.join(5000);
        String stdout;
        String stderr;
        synchronized (out) {
            stdout = out.toString(StandardCharsets.UTF_8);
        }
        synchronized (err) {
            stderr = err.toString(StandardCharsets.UTF_8);
        }
        if (p.exitValue() == 0) {
            for (String l : stdout.split("\\R")) {
                if (l.startsWith(tag + " ")) {
                    return l;
                }
            }
        }
        // The JVM prints its own start-up errors (an unknown module) on standard output.
        String why = lastLine(stderr).isEmpty() && p.exitValue() != 0 ? lastLine(stdout) : lastLine(stderr);
        throw new IOException("fma peak: the child JVM exited with status " + p.exitValue()
                + (p.exitValue() == 0 ? " but printed no " + tag + " line" : "")
                + (why.isEmpty() ? "" : ": " + why));
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream to, String name) {
        Thread t = new Thread(() -> copy(in, to), name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void copy(InputStream in, ByteArrayOutputStream to) {
        byte[] buf = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buf)) > 0; ) {
                synchronized (to) {
                    to.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // The child died; its status says so.
        }
    }

    /**
     * The last non-blank line that is not the incubator warning nor a stack frame: of an
     * uncaught exception, the exception's own line, not the frame it was thrown in.
     */
    static String lastLine(String text) {
        String last = "";
        for (String l : text.split("\\R")) {
            String t = l.trim();
            if (!t.isEmpty() && !t.contains("Using incubator modules") && !t.startsWith("at ")
                    && !(t.startsWith("...") && t.endsWith("more"))) {
                last = t;
            }
        }
        return last;
    }

}
