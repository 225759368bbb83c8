package dev.conv4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The line {@link OneLineErrors} prints for an exception: I/O errors in words, naming the
 * file, never with the exception's class (permission errors cannot be provoked when the
 * tests run as root, so they are built here).
 */
class OneLineErrorsTest {
    private record Case(Exception ex, String line) {}

    @Test void ioErrorsAreWordsNotExceptionClasses() {
        List<Case> cases = List.of(
                // ours, where the JDK's message is only the file name
                new Case(new UncheckedIOException("fashion-mnist: cannot read d/f: d/f", new AccessDeniedException("d/f")),
                        "fashion-mnist: cannot read d/f: permission denied"),
                new Case(new UncheckedIOException("batch: cannot read 'b': b", new NoSuchFileException("b")),
                        "batch: cannot read 'b': no such file"),
                // ours, with the JDK's reason: kept
                new Case(new UncheckedIOException("curve: cannot write c.png: c.png: Read-only file system",
                        new FileSystemException("c.png", null, "Read-only file system")),
                        "curve: cannot write c.png: Read-only file system"),
                new Case(new UncheckedIOException("digits: cannot read r", new IOException("Stream closed")),
                        "digits: cannot read r"),
                // no words of ours: the file and the reason
                new Case(new UncheckedIOException(new NoSuchFileException("x.txt")), "'x.txt': no such file"),
                new Case(new AccessDeniedException("x.npy"), "'x.npy': permission denied"),
                new Case(new EOFException(), "ends too early (unexpected end of file)"),
                new Case(new IOException("Input/output error"), "Input/output error"),
                new Case(new IOException(), "input/output error"),
                // bad input and other failures are as before
                new Case(new IllegalArgumentException("stride: must be >= 1,\n got 0"), "stride: must be >= 1, got 0"),
                new Case(new IllegalStateException("closed"), "error: IllegalStateException: closed"));
        for (Case c : cases) {
            assertEquals(c.line(), OneLineErrors.message(c.ex()), c.ex().toString());
        }
        assertEquals(11, cases.size());
    }

    @Test void ioErrorsAreBadInput() {
        OneLineErrors errors = new OneLineErrors();
        assertEquals(Main.BAD_INPUT, errors.getExitCode(new UncheckedIOException(new NoSuchFileException("x"))));
        assertEquals(Main.BAD_INPUT, errors.getExitCode(new EOFException()));
        assertEquals(Main.CHECK_FAILED, errors.getExitCode(new IllegalStateException("closed")));
    }
}
