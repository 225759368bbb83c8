package dev.conv4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conv4j.ChildJvm;
import dev.conv4j.io.Npy;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Bad input to the command line: every case exits with status 2, prints exactly one line on
 * stderr naming the file or the parameter, no stack trace, and leaves nothing in {@code --out}.
 * The cases run in-process through picocli; one runs as a real child JVM as well, which must
 * leave no {@code hs_err} crash file.
 */
class CliBadInputTest {
    static final String PROBLEM = "mb1ic2ih5oc3oh5kh3ph1";   // src [1,2,5,5], wei [3,2,3,3], dst [1,3,5,5]

    @TempDir Path dir;
    Path src;
    Path wei;
    Path bia;
    Path diffDst;
    Path out;

    @BeforeEach
    void goodInputs() throws IOException {
        src = write("src.npy", Shape.of(1, 2, 5, 5));
        wei = write("wei.npy", Shape.of(3, 2, 3, 3));
        bia = write("bia.npy", Shape.of(3));
        diffDst = write("diff_dst.npy", Shape.of(1, 3, 5, 5));
        out = dir.resolve("out");
    }

    private Path write(String name, Shape shape) throws IOException {
        Tensor t = Tensor.allocate(shape);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, (i % 7) - 3);
        }
        Path f = dir.resolve(name);
        Npy.write(f, t);
        return f;
    }

    /** An NPY v1.0 file with the given header dict and {@code dataBytes} bytes of data. */
    private Path npy(String name, String dict, int dataBytes) throws IOException {
        int len = 10 + dict.length() + 1;
        int pad = (64 - len % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        b.putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    record Run(int status, String out, String err) {}

    static Run run(List<String> args) {
        CommandLine cl = Main.commandLine();
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        cl.setOut(new PrintWriter(o, true));
        cl.setErr(new PrintWriter(e, true));
        int status = cl.execute(args.toArray(String[]::new));
        return new Run(status, o.toString(), e.toString());
    }

    private List<String> runArgs(Object... overrides) {
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("--problem", PROBLEM);
        opts.put("--src", src);
        opts.put("--wei", wei);
        opts.put("--bia", bia);
        opts.put("--diff-dst", diffDst);
        opts.put("--out", out);
        for (int i = 0; i < overrides.length; i += 2) {
            opts.put((String) overrides[i], overrides[i + 1]);
        }
        List<String> args = new ArrayList<>(List.of("run"));
        opts.forEach((k, v) -> {
            if (v != null) {
                args.add(k);
                args.add(v.toString());
            }
        });
        return args;
    }

    private void assertBadInput(List<String> args, String... fragments) throws IOException {
        Run r = run(args);
        String what = String.join(" ", args) + "\nstdout: " + r.out() + "\nstderr: " + r.err();
        assertEquals(Main.BAD_INPUT, r.status(), what);
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), () -> "one line on stderr: " + what);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Caused by"), () -> "a stack trace: " + what);
        for (String f : fragments) {
            assertTrue(lines.get(0).contains(f), () -> "stderr should name '" + f + "': " + what);
        }
        assertNothingWritten();
    }

    private void assertNothingWritten() throws IOException {
        if (Files.exists(out)) {
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(List.of(), s.toList(), "files left in --out");
            }
        }
    }

    @Test void theGoodInputsRun() throws IOException {
        Run r = run(runArgs());
        assertEquals(Main.OK, r.status(), r.err());
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of("diff_bia.npy", "diff_src.npy", "diff_wei.npy", "dst.npy"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test void missingFiles() throws IOException {
        assertBadInput(runArgs("--src", dir.resolve("nope.npy")), "src", "nope.npy");
        assertBadInput(runArgs("--wei", dir.resolve("gone.npy")), "gone.npy");
        assertBadInput(runArgs("--diff-dst", dir.resolve("absent.npy")), "absent.npy");
    }

    @Test void notNpy() throws IOException {
        Path text = dir.resolve("text.npy");
        Files.writeString(text, "x,y\n1,2\n3,4\n");
        assertBadInput(runArgs("--src", text), "text.npy");
        Path empty = dir.resolve("empty.npy");
        Files.write(empty, new byte[0]);
        assertBadInput(runArgs("--wei", empty), "empty.npy");
    }

    @Test void truncatedNpy() throws IOException {
        byte[] good = Files.readAllBytes(src);
        Path cut = dir.resolve("cut.npy");
        Files.write(cut, Arrays.copyOf(good, good.length - 7));
        assertBadInput(runArgs("--src", cut), "cut.npy");
        Path headerOnly = dir.resolve("header_cut.npy");
        Files.write(headerOnly, Arrays.copyOf(good, 20));
        assertBadInput(runArgs("--src", headerOnly), "header_cut.npy");
        Path preamble = dir.resolve("preamble.npy");
        Files.write(preamble, Arrays.copyOf(good, 6));
        assertBadInput(runArgs("--bia", preamble), "preamble.npy");
    }

    @Test void wrongDtypeAndFortranOrder() throws IOException {
        Path ints = npy("ints.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2, 5, 5), }", 200);
        assertBadInput(runArgs("--src", ints), "ints.npy");
        Path halves = npy("halves.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", 6);
        assertBadInput(runArgs("--bia", halves), "halves.npy");
        Path fortran = npy("fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2, 3, 3), }", 216);
        assertBadInput(runArgs("--wei", fortran), "fortran.npy");
        Path garbled = npy("garbled.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,, }", 12);
        assertBadInput(runArgs("--bia", garbled), "garbled.npy");
    }

    @Test void wrongShapes() throws IOException {
        assertBadInput(runArgs("--src", write("src_c3.npy", Shape.of(1, 3, 5, 5))), "src");
        assertBadInput(runArgs("--wei", write("wei_k5.npy", Shape.of(3, 2, 5, 5))), "wei");
        assertBadInput(runArgs("--bia", write("bia_4.npy", Shape.of(4))), "bia");
        assertBadInput(runArgs("--diff-dst", write("dd.npy", Shape.of(1, 3, 4, 5))), "diff_dst");
        assertBadInput(runArgs("--src", write("src_mb2.npy", Shape.of(2, 2, 5, 5))), "src");
    }

    @Test void malformedProblemsAndOptions() throws IOException {
        assertBadInput(runArgs("--problem", "mb1ic2ihXoc3"), "problem");
        assertBadInput(runArgs("--problem", "mb1ic2ih5kh"), "problem");
        assertBadInput(runArgs("--problem", "mb1ic2ih5oc3oh5kh3zz1"), "zz");
        assertBadInput(runArgs("--problem", "mb1ic2ih5oc3oh5kh3ph1g0"), "problem");
        assertBadInput(runArgs("--padding-mode", "mirror"), "padding_mode");
        assertBadInput(runArgs("--engine", "gpu"), "engine");
        List<String> unknown = runArgs();
        unknown.add("--frobnicate");
        assertBadInput(unknown, "--frobnicate");
        assertBadInput(runArgs("--out", null), "--out");
        assertBadInput(List.of("check", "--problem", "mb1ic2ihXoc3"), "problem");
        assertBadInput(List.of("check", "--problem", PROBLEM, "--dir", "sideways"), "sideways");
        assertBadInput(List.of("check", "--batch", dir.resolve("no_such_batch.txt").toString()), "no_such_batch.txt");
    }

    @Test void anOutPathThatIsAFileIsRejectedAndKept() throws IOException {
        Path file = dir.resolve("out_file");
        Files.writeString(file, "keep me");
        Run r = run(runArgs("--out", file));
        assertEquals(Main.BAD_INPUT, r.status(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals("keep me", Files.readString(file));
    }

    @Test void aRealProcessExitsTwoWithOneLineAndNoCrashFile() throws Exception {
        byte[] good = Files.readAllBytes(src);
        Path cut = dir.resolve("cut.npy");
        Files.write(cut, Arrays.copyOf(good, good.length - 7));
        List<String> args = runArgs("--src", cut);
        ChildJvm.Result r = ChildJvm.run(dir, Map.of(), List.of(), Main.class.getName(), args, 120);
        assertEquals(Main.BAD_INPUT, r.status(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.errLines().get(0).contains("cut.npy"), r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);
        assertEquals("", r.out(), r::toString);
        assertTrue(ChildJvm.crashLogs(dir).isEmpty(), "hs_err file in " + dir);
        assertNothingWritten();
    }

    /** A FIFO would block the read until a writer appears, a directory fails with a bare "Is a directory". */
    @Test void inputsThatAreNotRegularFiles() throws Exception {
        Path fifo = dev.conv4j.TestFiles.fifo(dir, "f.npy");
        assumeTrue(fifo != null, "mkfifo is not available");
        assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertBadInput(runArgs("--src", fifo), "src: '" + fifo + "' is not a regular file"));
        Path subdir = Files.createDirectory(dir.resolve("a_dir.npy"));
        assertBadInput(runArgs("--wei", subdir), "wei: '" + subdir + "' is not a regular file");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npy.read(subdir));
        assertEquals("npy file " + subdir + ": not a regular file", e.getMessage());
    }

    @Test void anUnreadableInputNamesTheOptionAndTheFile() throws IOException {
        Path locked = write("locked.npy", Shape.of(3));
        assumeTrue(locked.toFile().setReadable(false, false) && !Files.isReadable(locked),
                "permissions are not enforced here (root?)");
        assertBadInput(runArgs("--bia", locked), "bia: cannot read '" + locked + "': permission denied");
    }

    /** An NPY file's own error (it names the file and the rule) is prefixed with the option it was given for. */
    @Test void npyErrorsNameTheOption() throws IOException {
        Path empty = dir.resolve("empty.npy");
        Files.write(empty, new byte[0]);
        assertBadInput(runArgs("--wei", empty), "wei: npy file " + empty + ": truncated");
        byte[] good = Files.readAllBytes(diffDst);
        Path cut = dir.resolve("cut.npy");
        Files.write(cut, Arrays.copyOf(good, good.length - 4));
        assertBadInput(runArgs("--diff-dst", cut), "diff_dst: npy file " + cut + ": truncated");
        Path text = dir.resolve("text.npy");
        Files.writeString(text, "not an array");
        assertBadInput(runArgs("--bia", text), "bia: npy file " + text + ": not an NPY file");
    }

    /**
     * A batch file or an IDX file that cannot be read is one line naming the option and the
     * file, in words, with no exception class. {@code /proc/self/mem} is a regular file whose
     * read fails (EIO) even for root, for whom permissions would not.
     */
    @Test void unreadableBatchAndDataFilesAreOneLineWithoutExceptionNames() throws IOException {
        Path mem = Path.of("/proc/self/mem");
        assumeTrue(Files.isRegularFile(mem), "no /proc/self/mem here");
        List<List<String>> cases = new ArrayList<>();
        cases.add(List.of("check", "--batch", mem.toString()));
        cases.add(List.of("bench", "--batch", mem.toString(), "--peak", "100"));
        Path data = Files.createDirectory(dir.resolve("idx"));
        Files.createSymbolicLink(data.resolve("train-images-idx3-ubyte"), mem);
        for (String f : List.of("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")) {
            Files.write(data.resolve(f), new byte[0]);
        }
        cases.add(List.of("train", "--dataset", "fashion-mnist", "--epochs", "1", "--data", data.toString()));
        List<String> expected = List.of(
                "batch: cannot read '/proc/self/mem': ",
                "batch: cannot read '/proc/self/mem': ",
                "fashion-mnist: cannot read " + data.resolve("train-images-idx3-ubyte") + ": ");
        try {
            for (int i = 0; i < cases.size(); i++) {
                assertBadInput(cases.get(i), expected.get(i));
                String line = run(cases.get(i)).err().strip();
                assertFalse(line.contains("Exception"), line);
                assertTrue(line.length() > expected.get(i).length(), "a reason follows: " + line);
            }
        } finally {
            Files.delete(data.resolve("train-images-idx3-ubyte"));   // the link, before @TempDir's clean-up warns about it
        }
        assertEquals(3, cases.size());
        Path subdir = Files.createDirectory(dir.resolve("batch_dir"));
        assertBadInput(List.of("check", "--batch", subdir.toString()), "batch: '" + subdir + "' is a directory, not a file of problems");
        assertBadInput(List.of("check", "--batch", "a\u0000b"), "batch: 'a\u0000b' is not a valid path");
    }

    /** --out is checked before any input is read or anything computed (a missing --src would be reported first otherwise). */
    @Test void unusableOutDirectoriesFailUpFront() throws IOException {
        Path missingSrc = dir.resolve("missing.npy");
        assertBadInput(runArgs("--src", missingSrc, "--out", ""), "out: must not be empty");
        Path file = write("x.npy", Shape.of(3));
        assertBadInput(runArgs("--src", missingSrc, "--out", file.resolve("sub")),
                "out: cannot create '" + file.resolve("sub") + "': '" + file + "' is not a directory");
        Path proc = Path.of("/proc/conv4j_out");
        if (Files.isDirectory(proc.getParent())) {
            assertBadInput(runArgs("--src", missingSrc, "--out", proc), "out: cannot create the directory '/proc/conv4j_out'");
            assertFalse(Files.exists(proc));
        }
        // a run that fails after the directory was made removes it again
        Path fresh = dir.resolve("fresh").resolve("out");
        assertBadInput(runArgs("--src", missingSrc, "--out", fresh), "src: no such file");
        assertFalse(Files.exists(dir.resolve("fresh")), "created directories are removed");
    }
}
