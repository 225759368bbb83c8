package dev.conv4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * picocli's error handlers for {@link Main}: every error is one line on stderr, with the
 * stack trace only under {@code --verbose}. Bad input ({@link IllegalArgumentException},
 * an unreadable file, a picocli parameter error) exits with {@link Main#BAD_INPUT}; any
 * other failure with {@link Main#CHECK_FAILED}.
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
        // An IllegalArgumentException's message already names the parameter, value and rule.
        String message = ex instanceof IllegalArgumentException ? oneLine(ex.getMessage())
                : (status == Main.BAD_INPUT ? "" : "error: ") + ex.getClass().getSimpleName() + ": " + oneLine(ex.getMessage());
        err.println(message);
        if (verbose(parsed)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return status;
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
