package dev.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The FMA loop and its child-JVM launcher. The loop uses the incubating Vector API, which this
 * test JVM does not load: everything that runs the loop goes through a child JVM, as in
 * {@code conv4j bench}. No test asserts a speed.
 */
class FmaPeakTest {

    private static final long TIMEOUT_SECONDS = 120;

    @Test
    void loop_fewIterations_equalsTheScalarRecurrence() throws Exception {
        for (int iterations : new int[] {0, 1, 3}) {
            String line = FmaPeak.childLine(FmaPeak.MODULE_OPTIONS, List.of("--check", Integer.toString(iterations)),
                    FmaPeak.CHECK_TAG, TIMEOUT_SECONDS);
            String[] words = line.split(" ");
            assertTrue(words[1].startsWith("lanes="), line);
            int lanes = Integer.parseInt(words[1].substring("lanes=".length()));
            assertTrue(lanes == 4 || lanes == 8 || lanes == 16, line);
            int values = FmaLoop.CHAINS * lanes;
            assertEquals(values, words.length - 2, line);
            int checked = 0;
            for (int k = 0; k < values; k++) {
                // The recurrence, written independently: acc = fma(acc, a, b), UNROLL per iteration.
                float acc = 1f + k / 64f;
                for (int u = 0; u < FmaLoop.UNROLL * iterations; u++) {
                    acc = Math.fma(acc, 0.5f, 1.0f);
                }
                float got = Float.intBitsToFloat(Integer.parseUnsignedInt(words[k + 2], 16));
                assertEquals(Float.floatToRawIntBits(acc), Float.floatToRawIntBits(got),
                        "iterations " + iterations + ", lane " + k + ": expected " + acc + ", got " + got);
                checked++;
            }
            assertEquals(values, checked);
        }
    }

    /** A child that died of an exception is reported by the exception's line, not by the frame it was thrown in. */
    @Test
    void aChildsExceptionIsReportedByItsOwnLine() {
        String stderr = "WARNING: Using incubator modules: jdk.incubator.vector\n"
                + "Exception in thread \"main\" java.lang.IllegalStateException: fma peak: something\n"
                + "\tat dev.conv4j.bench.FmaLoop.measure(FmaLoop.java:218)\n"
                + "\tat dev.conv4j.bench.FmaLoop.main(FmaLoop.java:313)\n"
                + "Caused by: java.lang.ArithmeticException: / by zero\n"
                + "\tat dev.conv4j.bench.FmaLoop.size(FmaLoop.java:230)\n"
                + "\t... 2 more\n";
        assertEquals("Caused by: java.lang.ArithmeticException: / by zero", FmaPeak.lastLine(stderr));
        assertEquals("fma_peak gflops=1.0", FmaPeak.lastLine("fma_peak gflops=1.0\n\n"));
    }

    @Test
    void measureInChild_shortBudget_returnsAParsedResult() throws Exception {
        FmaPeak.Result r = FmaPeak.measureInChild(1, 100, TIMEOUT_SECONDS);
        assertEquals(1, r.threads());
        assertEquals(FmaLoop.CHAINS, r.chains());
        assertTrue(r.lanes() == 4 || r.lanes() == 8 || r.lanes() == 16, r.toString());
        // Chunks that end past the window are not counted: on a machine busier than its cores a
        // 20 ms chunk can take 60 ms, and only two of them fit (seen once at load 8 on 2 cores).
        assertTrue(r.runs() >= 1, r.toString());
        assertTrue(r.gflops() > 0 && Double.isFinite(r.gflops()), r.toString());
        assertTrue(r.describe().startsWith(r.lanes() * 32 + "-bit FMA loop, 12 chains × 1 threads, fastest of "), r.describe());
    }

    @Test
    void childLine_missingModule_failsWithTheChildsReason() {
        IOException e = assertThrows(IOException.class, () -> FmaPeak.childLine(
                List.of("--add-modules", "jdk.incubator.nosuchmodule"), List.of("--check", "1"), FmaPeak.CHECK_TAG,
                TIMEOUT_SECONDS));
        assertTrue(e.getMessage().startsWith("fma peak: the child JVM exited with status "), e.getMessage());
        assertTrue(e.getMessage().contains("jdk.incubator.nosuchmodule"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    /**
     * A child that may run on fewer processors than threads (here the JVM told so; in use, a
     * CPU affinity inherited from a parent whose OpenMP runtime pinned it) would time the
     * threads sharing cores and report a fraction of the peak: it refuses, saying why.
     */
    @Test
    void measure_fewerProcessorsThanThreads_failsSayingWhy() {
        List<String> options = new java.util.ArrayList<>(FmaPeak.MODULE_OPTIONS);
        options.add("-XX:ActiveProcessorCount=1");
        IOException e = assertThrows(IOException.class, () -> FmaPeak.childLine(options, List.of("2", "100"),
                FmaPeak.RESULT_TAG, TIMEOUT_SECONDS));
        assertTrue(e.getMessage().contains("may run on 1 processor(s), fewer than the 2 threads"), e.getMessage());
        assertTrue(e.getMessage().contains("OMP_PROC_BIND"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void childLine_noSuchLine_fails() {
        // --check prints an fma_check line, not an fma_peak one.
        IOException e = assertThrows(IOException.class, () -> FmaPeak.childLine(FmaPeak.MODULE_OPTIONS,
                List.of("--check", "1"), FmaPeak.RESULT_TAG, TIMEOUT_SECONDS));
        assertEquals("fma peak: the child JVM exited with status 0 but printed no fma_peak line", e.getMessage());
    }

    @Test
    void parse_readsTheLineTheChildPrints() {
        FmaPeak.Result r = new FmaPeak.Result(161.25, 2, 8, 12, 9, 92.5);
        assertEquals("fma_peak gflops=161.250 threads=2 lanes=8 chains=12 runs=9 best_ms=92.5000", r.line());
        assertEquals(r, FmaPeak.parse(r.line()));
        assertEquals(r, FmaPeak.parse("  " + r.line() + "\r"));
    }

    @Test
    void parse_rejectsMalformedLines() {
        String[][] cases = {
            {"WARNING: Using incubator modules: jdk.incubator.vector",
                "fma peak: not a result line: 'WARNING: Using incubator modules: jdk.incubator.vector'"},
            {"fma_peak gflops=1 threads=2", "fma peak: not a result line: 'fma_peak gflops=1 threads=2'"},
            {"fma_peak gflops=x threads=2 lanes=8 chains=12 runs=9 best_ms=1",
                "fma peak: gflops is not a number in 'fma_peak gflops=x threads=2 lanes=8 chains=12 runs=9 best_ms=1'"},
            {"fma_peak gflops=0 threads=2 lanes=8 chains=12 runs=9 best_ms=1",
                "fma peak: gflops must be a positive number in 'fma_peak gflops=0 threads=2 lanes=8 chains=12 runs=9 best_ms=1'"},
            {"fma_peak gflops=1 thread=2 lanes=8 chains=12 runs=9 best_ms=1",
                "fma peak: expected threads= in 'fma_peak gflops=1 thread=2 lanes=8 chains=12 runs=9 best_ms=1'"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], assertThrows(IllegalArgumentException.class, () -> FmaPeak.parse(c[0])).getMessage());
        }
        assertEquals(5, cases.length);
    }
}
