package dev.conv4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.bench.BenchReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code conv4j bench} on tiny problems with a tiny time budget and a given peak: output formats and errors. */
class BenchCommandTest {

    static final String TINY = "mb2ic4ih8oc4oh8kh3ph1n\"tiny\"";

    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void csvIsTheExactHeaderAndOneRowPerProblemAndDirection() {
        Run r = run("bench", "--problem", TINY, "mb1ic2ih5oc3oh5kh1", "--engine", "reference", "--peak", "100",
                "--seconds", "0.01", "--format", "csv");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(BenchReport.CSV_HEADER, lines.get(0));
        assertEquals(1 + 2 * 3, lines.size(), r.out());
        assertTrue(lines.get(1).startsWith("\"mb2ic4ih8oc4oh8kh3n\"\"tiny\"\"\",fwd,2,reference,any,"), lines.get(1));
        assertTrue(lines.get(6).startsWith("mb1ic2ih5oc3oh5kh1,bwd_w,1,reference,any,"), lines.get(6));
        for (String line : lines.subList(1, lines.size())) {
            // 14 columns; the problem's quoted commas aside, the last two are empty without --baseline.
            assertTrue(line.endsWith(",java:reference,,"), line);
        }
    }

    @Test
    void jsonCarriesEveryColumn() {
        Run r = run("bench", "--problem", TINY, "--engine", "reference", "--peak", "50", "--seconds", "0.01",
                "--format", "json", "--dir", "fwd", "--mb", "1");
        assertEquals(0, r.status(), r.err());
        for (String col : BenchReport.COLUMNS) {
            assertTrue(r.out().contains("\"" + col + "\": "), col + " in " + r.out());
        }
        assertTrue(r.out().contains("\"mb\": 1, "), r.out());
        assertTrue(r.out().contains("\"peak_gflops\": 50.0,"), r.out());
    }

    @Test
    void baselineOnOneDnnGivesAnOverheadPerRowAndTheGeomean() {
        Run r = run("bench", "--problem", TINY, "--baseline", "--peak", "100", "--seconds", "0.01", "--dir", "fwd");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.out());
        assertTrue(lines.get(0).contains("overhead"), lines.get(0));
        assertTrue(lines.get(2).startsWith("peak: 100.0 GFLOP/s; overhead vs raw oneDNN (geomean of 1): "), lines.get(2));
    }

    @Test
    void baselineInTheLayoutOfTheFixedPolicy_timesThePlansOwnPrimitive() {
        Run r = run("bench", "--problem", TINY, "--layout", "channels-last", "--baseline", "--baseline-layout",
                "channels-last", "--peak", "100", "--seconds", "0.01", "--format", "csv", "--dir", "all");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(4, lines.size(), r.out());
        for (String line : lines.subList(1, 4)) {
            String[] cols = line.split(",");
            double overhead = Double.parseDouble(cols[cols.length - 1]);
            assertTrue(overhead > 0 && Double.isFinite(overhead), line);
        }
    }

    @Test
    void tensorLayoutShowsInTheLayoutColumnOnlyWhereNotThePolicysDefault() {
        String[][] cases = {
            {"--layout", "auto", "--tensors", "channels-last"},
            {"--layout", "channels-last"},
            {"--layout", "channels-last", "--tensors", "channels-first"},
            {"--layout", "channels-first"},
        };
        String[] labels = {"auto/nhwc", "channels-last", "channels-last/nchw", "channels-first"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = new String[9 + cases[i].length];
            String[] fixed = {"bench", "--problem", TINY, "--peak", "100", "--seconds", "0.01", "--format", "csv"};
            System.arraycopy(fixed, 0, args, 0, fixed.length);
            System.arraycopy(cases[i], 0, args, fixed.length, cases[i].length);
            Run r = run(args);
            assertEquals(0, r.status(), r.err());
            String row = r.out().lines().toList().get(1);
            assertTrue(row.contains(",fwd,2,onednn," + labels[i] + ","), String.join(" ", args) + " -> " + row);
        }
        assertEquals(4, labels.length);
    }

    @Test
    void chartIsWritten(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("bench.png");
        Run r = run("bench", "--problem", TINY, "--engine", "reference", "--peak", "100", "--seconds", "0.01",
                "--dir", "fwd", "--chart", png.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(Files.size(png) > 1000);
    }

    /** An unwritable chart fails before anything is timed, not with a FileNotFoundException after the run. */
    @Test
    void aChartThatCannotBeWrittenFailsBeforeTheRun(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        List<Path> bad = new ArrayList<>(List.of(file.resolve("bench.png"), file.resolve("sub/bench.png")));
        if (Files.isDirectory(Path.of("/proc/self"))) {
            bad.add(Path.of("/proc/x.png"));   // root may write anywhere but there
        }
        for (Path png : bad) {
            Run r = run("bench", "--problem", TINY, "--engine", "reference", "--peak", "100", "--seconds", "0.01",
                    "--dir", "fwd", "--chart", png.toString());
            assertEquals(2, r.status(), r.toString());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("chart: cannot write '" + png + "': "), r.err());
            assertEquals("", r.out());
        }
        assertTrue(bad.size() >= 2);
    }

    /** bench and demo take a given peak under one rule: a plausible fp32 peak, not any positive number. */
    @Test
    void aGivenPeakMustBePlausibleInBenchAndDemo() {
        String[] bad = {"1e-300", "0.09", "0", "-3", "1.1e6", "Infinity", "NaN"};
        for (String peak : bad) {
            Run bench = run("bench", "--problem", TINY, "--engine", "reference", "--peak", peak, "--seconds", "0.01");
            Run demo = run("demo", "--peak", peak);
            for (Run r : new Run[] {bench, demo}) {
                assertEquals(2, r.status(), peak + ": " + r);
                assertEquals("peak: must be a CPU's fp32 peak in [0.1, 1e6] GFLOP/s, got " + Double.parseDouble(peak)
                        + System.lineSeparator(), r.err());
                assertEquals("", r.out());
            }
        }
        assertEquals(7, bad.length);
        Run r = run("bench", "--problem", TINY, "--engine", "reference", "--peak", "0.1", "--seconds", "0.01", "--dir", "fwd");
        assertEquals(0, r.status(), r.err());
    }

    @Test
    void badInputExitsWithTwoAndOneLine() {
        String[][] cases = {
            {"--format", "xml"},
            {"--layout", "blocked"},
            {"--tensors", "nchw8c"},
            {"--baseline-layout", "channels-last"},
            {"--baseline", "--baseline-layout", "auto"},
            {"--engine", "cuda"},
            {"--engine", "reference", "--baseline"},
            {"--peak", "-3"},
            {"--threads", "0"},
            {"--seconds", "0"},
            {"--chart", "out.jpg"},
            {"--dir", "up"},
        };
        String[] expected = {
            "format: unknown format 'xml', expected table, csv or json",
            "layout: unknown layout policy 'blocked', expected any, channels-last, channels-first or auto",
            "tensors: unknown tensor layout 'nchw8c', expected channels-first or channels-last",
            "baseline-layout: needs --baseline",
            "baseline-layout: auto is not one primitive; use any, channels-last or channels-first",
            "engine: unknown engine 'cuda', expected onednn or reference",
            "baseline: --baseline compares conv4j's oneDNN engine with raw oneDNN, but --engine is reference",
            "peak: must be a CPU's fp32 peak in [0.1, 1e6] GFLOP/s, got -3.0",
            "threads: must be >= 1, got 0",
            "seconds: must be in (0, 3600], got 0.0",
            "chart: expected a .png file name, got 'out.jpg'",
            "dir: unknown direction 'up', expected fwd, bwd_d, bwd_w or all",
        };
        for (int i = 0; i < cases.length; i++) {
            String[] args = new String[3 + cases[i].length];
            args[0] = "bench";
            args[1] = "--problem";
            args[2] = TINY;
            System.arraycopy(cases[i], 0, args, 3, cases[i].length);
            Run r = run(args);
            assertEquals(2, r.status(), String.join(" ", args));
            assertEquals(expected[i] + System.lineSeparator(), r.err(), String.join(" ", args));
            assertEquals("", r.out());
        }
        assertEquals(12, cases.length);
    }

    @Test
    void helpShowsTheCsvHeaderAndNoFormatWarnings() {
        // picocli reports a bad format string ("% o") on System.err, not on the command's writer.
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
        Run r;
        System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
        try {
            r = run("bench", "--help");
        } finally {
            System.setErr(saved);
        }
        assertEquals("", sysErr.toString(StandardCharsets.UTF_8));
        assertTrue(r.out().contains(BenchReport.CSV_HEADER.substring(0, 40)), r.out());
        assertEquals(0, r.status());
        assertTrue(r.out().contains("% of this machine's measured fp32 peak"), r.out());
        assertTrue(r.out().contains("for % of peak"), r.out());
        assertEquals("", r.err());
    }
}
