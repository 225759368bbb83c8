package dev.conv4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.bench.PeakCache;
import dev.conv4j.bench.PeakEstimate;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.io.Npy;
import dev.conv4j.onednn.ForwardingPlan;
import dev.conv4j.onednn.OneDnnEngine;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line in-process: exit codes 0 / 1 / 2 and one-line errors. */
class CliTest {

    record Run(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    static Run run(String... args) {
        return run(CommandLine.defaultFactory(), args);
    }

    static Run run(CommandLine.IFactory factory, String... args) {
        CommandLine cl = Main.commandLine(factory);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    static void assertOneLineError(Run r, int status, String... fragments) {
        assertEquals(status, r.status(), r.toString());
        assertEquals(1, r.errLines().size(), "one line on stderr: " + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "stderr should contain '" + f + "': " + r.err());
        }
    }

    @Test void helpAndVersionSucceed() {
        Run help = run("--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("Usage: conv4j"), help.out());
        assertEquals("", help.err());
        assertEquals(0, run("--version").status());
    }

    /**
     * picocli descriptions are format strings: a stray % garbles a help text, and picocli
     * warns about it on the process's stderr, not the command's, so that is watched too.
     */
    @Test void everyCommandHasHelp() {
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        List<String> commands = Main.commandLine(CommandLine.defaultFactory()).getSubcommands().keySet().stream()
                .filter(c -> !c.equals("help")).toList();   // picocli's own help command has a usage of its own
        try {
            System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
            for (String command : commands) {
                Run r = run(command, "--help");
                assertEquals(0, r.status(), command);
                assertTrue(r.out().startsWith("Usage: conv4j " + command), r.out());
                assertEquals("", r.err(), command);
            }
        } finally {
            System.setErr(stderr);
        }
        assertEquals("", warnings.toString(StandardCharsets.UTF_8));
        assertTrue(commands.containsAll(List.of("demo", "info", "check", "run", "bench", "train")), commands.toString());
        assertTrue(run("check", "--help").out().contains("more than 30% of the reachable"));
        assertTrue(run("train", "--help").out().contains("images, 20%"));
        assertTrue(run("demo", "--help").out().contains("GFLOP/s and % of this"));
    }

    /**
     * Every {@code --engine} accepts exactly the names its help lists: {@code run} and
     * {@code train} take {@code best} too and say what it means; {@code bench} lists and
     * takes only the two engines it can name in its results.
     */
    @Test void engineOptionsAcceptWhatTheirHelpSays(@TempDir Path dir) throws IOException {
        for (String command : List.of("run", "train")) {
            String help = run(command, "--help").out().replaceAll("\\s+", " ");
            assertTrue(help.contains("onednn, reference or best: oneDNN where its native library loads, else the reference engine with a one-line warning")
                    || help.contains("best is oneDNN where its native library loads, else the reference engine with a one-line warning"), help);
        }
        String benchHelp = run("bench", "--help").out().replaceAll("\\s+", " ");
        assertTrue(benchHelp.contains("onednn or reference (default: onednn); not best"), benchHelp);
        assertOneLineError(run("bench", "--problem", "mb1ic1ih4oc1kh1", "--engine", "best", "--peak", "100"), 2,
                "engine: bench times the engine it names, so not best");
        assertOneLineError(run("train", "--dataset", "digits", "--engine", "gpu"), 2,
                "engine: unknown engine 'gpu', expected onednn, reference or best");
        Tensor src = Tensor.allocate(Shape.of(1, 1, 4));
        Tensor wei = Tensor.allocate(Shape.of(1, 1, 1));
        src.set(2, 3f);
        wei.set(0, 2f);
        Npy.write(dir.resolve("src.npy"), src);
        Npy.write(dir.resolve("wei.npy"), wei);
        Run r = run("run", "--problem", "mb1ic1iw4oc1kw1", "--engine", "best", "--src", dir.resolve("src.npy").toString(),
                "--wei", dir.resolve("wei.npy").toString(), "--out", dir.resolve("out").toString());
        assertEquals(0, r.status(), r.toString());
        assertEquals(6f, Npy.read(dir.resolve("out/dst.npy")).get(2));
    }

    /** {@code run} and {@code train} take {@code --engine} from one mixin: the same values, default and help line. */
    @Test void runAndTrainShareTheEngineOption() {
        List<String> lines = Stream.of("run", "train")
                .map(c -> run(c, "--help").out().replaceAll("\\s+", " "))
                .map(h -> h.substring(h.indexOf("--engine=onednn|reference|best onednn")))
                .map(h -> h.substring(0, h.indexOf("(default: onednn).")))
                .toList();
        assertEquals(2, lines.size());
        assertEquals(lines.get(0), lines.get(1));
    }

    @Test void noCommandIsBadInput() {
        assertOneLineError(run(), 2, "missing command");
    }

    @Test void anUnknownCommandOrOptionIsBadInput() {
        assertOneLineError(run("frobnicate"), 2, "frobnicate");
        assertOneLineError(run("--frobnicate"), 2, "--frobnicate");
    }

    @Test void batchFilesSkipCommentsAndOptionLines() {
        List<String> lines = BatchFile.parse(List.of(
                "# a comment", "", "--dir=FWD_B", "  mb2ic3ih5oc4oh5kh3ph1  ",
                "mb1ic8ih7oc8oh7kh1n\"net:a#1\"  # trailing comment", "   # indented comment"));
        assertEquals(List.of("mb2ic3ih5oc4oh5kh3ph1", "mb1ic8ih7oc8oh7kh1n\"net:a#1\""), lines);
    }

    @Test void anUnknownBatchIsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BatchFile.read("no_such_list"));
        assertTrue(e.getMessage().startsWith("batch: 'no_such_list' is neither a file nor a bundled list"), e.getMessage());
    }

    /**
     * A bundled list is read as the kind of problem it holds: without --deconv the transposed
     * list's lines would run as other (ordinary) convolutions and pass, and an ordinary list
     * with --deconv would run problems unlike the layers it names. A file is read as asked.
     */
    @Test void aBundledListMustBeReadAsTheKindItHolds(@TempDir Path tmp) throws IOException {
        assertOneLineError(run("check", "--dir", "fwd", "--batch", "shapes_conv4j_edge_deconv"), 2,
                "batch: shapes_conv4j_edge_deconv holds transposed problems: add --deconv");
        for (String list : List.of("shapes_conv4j_edge", "shapes_resnet_50", "shapes_mobilenet", "shapes_mobilenet_dw")) {
            Run r = run("bench", "--deconv", "--dir", "fwd", "--batch", list, "--peak", "100");
            assertOneLineError(r, 2, "batch: " + list + " holds ordinary convolutions, not transposed ones: drop --deconv");
            assertEquals("", r.out());
        }
        // Same sizes either way: a user's file, whatever its name, is read as --deconv says.
        Path file = Files.writeString(tmp.resolve("mine_deconv"), "mb1ic2ih5oc2oh5kh3ph1\n");
        for (boolean deconv : new boolean[] {true, false}) {
            Run r = deconv ? run("check", "--dir", "fwd", "--batch", file.toString(), "--deconv")
                    : run("check", "--dir", "fwd", "--batch", file.toString());
            assertEquals(0, r.status(), r.toString());
            assertEquals(2, r.out().lines().count(), r.out());
        }
    }

    /** A binary file given as a batch is bad input that says what is wrong, not a decoder's exception. */
    @Test void aBatchFileThatIsNotUtf8IsBadInput(@TempDir Path tmp) throws IOException {
        Path bin = tmp.resolve("b_bin");
        Files.write(bin, new byte[] {'m', 'b', '1', (byte) 0xff, (byte) 0xfe, 0, 1, '\n'});
        assertOneLineError(run("check", "--batch", bin.toString()), 2, "batch: '" + bin + "' is not UTF-8 text");
        assertTrue(!run("check", "--batch", bin.toString()).err().contains("Exception"));
    }

    // ---- check -------------------------------------------------------------------------------

    static final String SMALL = "mb1ic3ih6oc4oh6kh3ph1n\"small\"";

    @Test void checkPassesAndPrintsALinePerDirection() {
        Run r = run("check", "--problem", SMALL, "mb2ic4iw9oc2ow5kw3sw2", "--mb", "1");
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(7, lines.size(), r.out());
        for (int i = 0; i < 6; i++) {
            assertTrue(lines.get(i).startsWith("PASSED"), lines.get(i));
            assertTrue(lines.get(i).contains("integers exact"), lines.get(i));
        }
        assertTrue(lines.get(0).contains(" fwd ") && lines.get(1).contains(" bwd_d ") && lines.get(2).contains(" bwd_w "), r.out());
        assertTrue(lines.get(3).contains("mb1ic4iw9oc2ow5kw3sw2"), "--mb applies: " + lines.get(3));
        assertTrue(lines.get(6).startsWith("tests: 6, passed: 6, mistrusted: 0, failed: 0"), lines.get(6));
        assertEquals("", r.err());
    }

    @Test void checkReadsBundledListsAndDeconv() {
        Run r = run("check", "--batch", "shapes_conv4j_edge_deconv", "--deconv", "--mb", "1", "--dir", "bwd_d");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("tests: 9, passed: 9"), r.out());
    }

    @Test void checkExitsWithOneWhenAResultDiffers() {
        Engine broken = new Engine() {
            @Override public String name() {
                return "broken";
            }

            @Override public Plan prepare(ConvSpec spec, Shape src, PlanOptions options) {
                return new ForwardingPlan(Engines.onednn().prepare(spec, src, options)) {
                    @Override public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {
                        super.forward(x, w, b, y);
                        y.set(5, y.get(5) + 0.5f);
                    }
                };
            }
        };
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override public <K> K create(Class<K> cls) throws Exception {
                return cls == CheckCommand.class ? cls.cast(new CheckCommand(() -> broken)) : CommandLine.defaultFactory().create(cls);
            }
        };
        Run r = run(factory, "check", "--problem", SMALL);
        assertEquals(1, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("FAILED     fwd") && lines.get(0).contains("dst[0, 0, 0, 5]"), lines.get(0));
        assertTrue(lines.get(1).startsWith("PASSED     bwd_d"), lines.get(1));
        assertTrue(lines.get(3).startsWith("tests: 3, passed: 2, mistrusted: 0, failed: 1"), lines.get(3));
    }

    @Test void checkRejectsBadInputOnOneLine() {
        assertOneLineError(run("check", "--problem", "mb2ic16ih7kh3zz1"), 2, "problem \"mb2ic16ih7kh3zz1\"", "'zz'");
        assertOneLineError(run("check", "--problem", SMALL, "--dir", "sideways"), 2, "dir: unknown direction 'sideways'");
        assertOneLineError(run("check", "--problem", SMALL, "--mb", "0"), 2, "mb: must be >= 1, got 0");
        assertOneLineError(run("check", "--problem", SMALL, "--mb", "many"), 2, "--mb", "many");
        assertOneLineError(run("check", "--problem", SMALL, "--batch", "shapes_resnet_50"), 2, "mutually exclusive");
        assertOneLineError(run("check"), 2, "--problem", "--batch");
        assertOneLineError(run("check", "--batch", "no_such_list"), 2, "batch: 'no_such_list' is neither a file nor a bundled list");
        // oneDNN's strided backward-data kernel crashed the JVM (SIGFPE) on this one
        assertOneLineError(run("check", "--problem", "mb1ic1ih1oc1kh1sh2147483647ph1073741823"), 2,
                "stride: must be at most 65535 (larger strides crash oneDNN), got [2147483647, 2147483647]");
    }

    /** 1 + pl + pr in an int was -1 here: check's error bound came out negative and the problem was called bad input. */
    @Test void checkTakesAPaddingWhoseSumOverflowsAnInt() {
        Run r = run("check", "--problem", "mb1ic1iw1oc1kw1pw2147483647sw65535", "--dir", "bwd_w");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("tests: 1, passed: 1, mistrusted: 0, failed: 0"), r.out());
    }

    @Test void verbosePrintsTheStackTrace() {
        Run r = run("check", "--verbose", "--problem", "mb2ic16ih7kh3zz1");
        assertEquals(2, r.status());
        assertTrue(r.errLines().size() > 3, r.err());
        assertTrue(r.errLines().get(1).contains("IllegalArgumentException"), r.err());
    }

    // ---- run ---------------------------------------------------------------------------------

    @Test void runWritesTheResultsOfBothEngines(@TempDir Path dir) throws IOException {
        String problem = "mb2ic4ih7oc6oh4kh3sh2ph1";
        Path src = write(dir, "src.npy", Tensor.zeros(2, 4, 7, 7), 1);
        Path wei = write(dir, "wei.npy", Tensor.zeros(6, 4, 3, 3), 2);
        Path bia = write(dir, "bia.npy", Tensor.zeros(6), 3);
        Path dy = write(dir, "dy.npy", Tensor.zeros(2, 6, 4, 4), 4);
        for (String engine : List.of("onednn", "reference")) {
            Path out = dir.resolve("out-" + engine).resolve("nested");
            Run r = run("run", "--problem", problem, "--engine", engine, "--padding-mode", "reflect",
                    "--src", src.toString(), "--wei", wei.toString(), "--bia", bia.toString(),
                    "--diff-dst", dy.toString(), "--out", out.toString());
            assertEquals(0, r.status(), r.toString());
            assertEquals(List.of("diff_bia.npy", "diff_src.npy", "diff_wei.npy", "dst.npy"), list(out));
        }
        // The CLI computes what the library computes.
        ConvSpec spec = ConvSpec.builder(2, 4, 6, 3).stride(2).padding(1).paddingMode(PaddingMode.REFLECT).build();
        try (Plan ref = Engines.reference().prepare(spec, Shape.of(2, 4, 7, 7))) {
            Tensor y = Tensor.allocate(ref.dstShape());
            ref.forward(Npy.read(src), Npy.read(wei), Npy.read(bia), y);
            for (String engine : List.of("onednn", "reference")) {
                Tensor got = Npy.read(dir.resolve("out-" + engine).resolve("nested").resolve("dst.npy"));
                assertEquals(y.shape(), got.shape());
                for (int i = 0; i < y.size(); i++) {
                    assertEquals(y.get(i), got.get(i), 1e-4, engine + " dst " + i);
                }
            }
        }
    }

    @Test void runRejectsAShapeMismatchAndLeavesNothing(@TempDir Path dir) throws IOException {
        Path src = write(dir, "src.npy", Tensor.zeros(2, 4, 7, 7), 1);
        Path wei = write(dir, "wei.npy", Tensor.zeros(6, 3, 3, 3), 2);
        Path out = dir.resolve("out");
        Run r = run("run", "--problem", "mb2ic4ih7oc6oh4kh3sh2ph1", "--src", src.toString(), "--wei", wei.toString(),
                "--out", out.toString());
        assertOneLineError(r, 2, "wei: expected shape [6, 4, 3, 3], got [6, 3, 3, 3]");
        assertTrue(Files.notExists(out), "nothing created in --out");

        Run mb = run("run", "--problem", "mb1ic4ih7oc6oh4kh3sh2ph1", "--src", src.toString(), "--wei", wei.toString(),
                "--out", out.toString());
        assertOneLineError(mb, 2, "src: expected shape [1, 4, 7, 7], got [2, 4, 7, 7]");

        Run missing = run("run", "--problem", "mb2ic4ih7oc6oh4kh3sh2ph1", "--src", dir.resolve("nope.npy").toString(),
                "--wei", wei.toString(), "--out", out.toString());
        assertOneLineError(missing, 2, "src: no such file");
        assertOneLineError(run("run", "--problem", "mb2ic4ih7oc6oh4kh3sh2ph1", "--src", src.toString()), 2, "Missing required option");
        assertTrue(Files.notExists(out), "nothing created in --out");
    }

    // ---- demo and info ---------------------------------------------------------------------------

    @Test void demoPrintsShapeErrorAndSpeed() {
        Run r = run("demo", "--peak", "100");   // a given peak: the test measures nothing else
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("output [1, 64, 224, 224]"), r.out());
        assertTrue(r.out().contains("max error vs reference:") && r.out().contains("PASSED"), r.out());
        assertTrue(r.out().contains("channels-last tensors (") && r.out().contains("from channels-first"), r.out());
        assertEquals(2, r.out().lines().filter(l -> l.startsWith("time, ") && l.endsWith("% of peak")).count(), r.out());
        assertTrue(r.out().contains("peak: 100.0 GFLOP/s (--peak)"), r.out());
    }

    @Test void infoPrintsTheNativeSettingsAndThePeak(@TempDir Path cache) {
        // A cached peak, so that the test neither measures nor writes the user's cache.
        String before = System.getProperty("conv4j.cacheDir");
        System.setProperty("conv4j.cacheDir", cache.toString());
        try {
            int threads = OneDnnEngine.get().info().threads();
            PeakCache peaks = new PeakCache(cache.resolve("peak.properties"));
            peaks.put(PeakCache.machineKey(threads, PeakEstimate.FMA_METHOD), 123.4);
            peaks.put(PeakCache.machineKey(threads, PeakEstimate.GEMM_METHOD), 98.7);
            Run r = run("info");
            assertEquals(0, r.status(), r.toString());
            assertTrue(r.out().contains("oneDNN version:") && r.out().contains("threads:"), r.out());
            assertTrue(r.out().contains("peak estimate:") && r.out().contains("123.4 GFLOP/s (FMA loop, cached in"), r.out());
            assertTrue(r.out().contains("GEMM achievable:") && r.out().contains("98.7 GFLOP/s (oneDNN matmul, cached in"),
                    r.out());
        } finally {
            if (before == null) {
                System.clearProperty("conv4j.cacheDir");
            } else {
                System.setProperty("conv4j.cacheDir", before);
            }
        }
    }

    private static Path write(Path dir, String name, Tensor t, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, (float) (random.nextDouble() * 2 - 1));
        }
        Path f = dir.resolve(name);
        Npy.write(f, t);
        return f;
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
