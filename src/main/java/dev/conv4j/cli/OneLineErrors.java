package dev.conv4j.cli;

import dev.conv4j.io.IoErrors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * picocli's error handlers for {@link Main}: every error is one line on stderr, with the
 * stack trace only under {@code --verbose}. Bad input ({@link IllegalArgumentException},
 * an unreadable file, a picocli parameter error) exits with {@link Main#BAD_INPUT}; any
 * other failure with {@link Main#CHECK_FAILED}, as does running out of memory, whose line
 * says which limit to raise.
 */
final class OneLineErrors implements CommandLine.IParameterExceptionHandler,
        CommandLine.IExecutionExceptionHandler, CommandLine.IExitCodeExceptionMapper {

    @Override public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        String command = cl.getCommandSpec().qualifiedName();
        err.println(oneLine(ex.getMessage()) + " (see '" + command + " --help')");
        if (verbose(cl.getParseResult())) {
            ex.printStackTrace(err);
        }
        err.flush();
        return Main.BAD_INPUT;
    }

    @Override public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parsed) {
        PrintWriter err = cl.getErr();
        int status = getExitCode(ex);
        err.println(message(ex));
        if (verbose(parsed)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return status;
    }

    /**
     * The line printed for {@code ex}. An {@link IllegalArgumentException}'s message already
     * names the parameter, value and rule; an I/O error's message (ours: {@code batch: cannot
     * read 'F': ...}) is printed without the exception's class, with the reason in words where
     * the JDK's message is only the file name; anything else is {@code error: Class: message}.
     */
    static String message(Exception ex) {
        if (ex instanceof IllegalArgumentException) {
            return oneLine(ex.getMessage());
        }
        if (ex instanceof UncheckedIOException u) {
            IOException cause = u.getCause();
            String m = u.getMessage();
            if (m == null || m.equals(String.valueOf(cause))) {   // new UncheckedIOException(e): no words of ours
                return ioLine(cause);
            }
            // "p: cannot read F: F" (a FileSystemException's message is its file name): say why instead
            String c = cause.getMessage();
            if (cause instanceof FileSystemException && c != null && m.endsWith(": " + c)) {
                return oneLine(m.substring(0, m.length() - c.length()) + IoErrors.describe(cause));
            }
            return oneLine(m);
        }
        if (ex instanceof IOException io) {
            return ioLine(io);
        }
        return "error: " + ex.getClass().getSimpleName() + ": " + oneLine(ex.getMessage());
    }

    /** An I/O error that no code of ours has put into words: its file (if it names one) and its reason. */
    private static String ioLine(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return oneLine("'" + f.getFile() + "'" + (f.getOtherFile() == null ? "" : " -> '" + f.getOtherFile() + "'")
                    + ": " + IoErrors.describe(e));
        }
        return oneLine(IoErrors.describe(e));
    }

    /**
     * One line for an {@link OutOfMemoryError} that says which limit to raise: the direct
     * memory (off-heap tensors) or the heap; exits with {@link Main#CHECK_FAILED}.
     */
    int handleOutOfMemory(OutOfMemoryError ex, ParseResult parsed) {
        CommandLine cl = parsed.commandSpec().commandLine();
        PrintWriter err = cl.getErr();
        err.println(outOfMemoryMessage(ex));
        if (verbose(parsed)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return Main.CHECK_FAILED;
    }

    static String outOfMemoryMessage(OutOfMemoryError ex) {
        String what = ex.getMessage() == null ? "" : oneLine(ex.getMessage());
        String limit = what.contains("direct buffer memory")
                ? "raise the direct memory limit, e.g. CONV4J_JAVA_OPTS=-XX:MaxDirectMemorySize=8g (its default is the heap size, -Xmx)"
                : what.contains("Java heap space") || what.contains("array size")
                        ? "raise the heap, e.g. CONV4J_JAVA_OPTS=-Xmx8g"
                        : "raise the heap (-Xmx) or the direct memory limit (-XX:MaxDirectMemorySize) through CONV4J_JAVA_OPTS";
        return "error: out of memory" + (what.isEmpty() ? "" : " (" + what + ")") + ": " + limit;
    }

    @Override public int getExitCode(Throwable ex) {
        boolean badInput = ex instanceof IllegalArgumentException
                || ex instanceof IOException || ex instanceof UncheckedIOException;
        return badInput ? Main.BAD_INPUT : Main.CHECK_FAILED;
    }

    private static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "(no message)";
        }
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** Whether {@code --verbose} was given at any level of the command line. */
    private static boolean verbose(ParseResult parsed) {
        for (ParseResult r = parsed; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
