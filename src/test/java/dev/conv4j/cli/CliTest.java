package dev.conv4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line in-process: exit codes 0 / 1 / 2 and one-line errors. */
class CliTest {

    record Run(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
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
}
