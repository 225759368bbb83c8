package dev.conv4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code conv4j} command line: {@code demo}, {@code info}, {@code check}, {@code run},
 * {@code bench}, {@code train}.
 * Commands parse their options, call the library and print; they hold no logic of their own.
 *
 * <p>Exit status: {@value #OK} success, {@value #CHECK_FAILED} a check (or a run) failed,
 * {@value #BAD_INPUT} bad input (an unknown option, a bad descriptor, a shape mismatch, an
 * unreadable file). Errors print one line to stderr; {@code --verbose} adds the stack trace.
 *
 * <p>To add a command, list its class in {@code subcommands} below.
 */
@Command(name = "conv4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Convolution layers on oneDNN, checked against a pure-Java reference.",
        subcommands = {
                DemoCommand.class,
                InfoCommand.class,
                CheckCommand.class,
                RunCommand.class,
                CommandLine.HelpCommand.class,
                TrainCommand.class,
                BenchCommand.class,
        })
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int CHECK_FAILED = 1;
    public static final int BAD_INPUT = 2;

    @Spec CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print stack traces with errors.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line {@code args} and returns the exit status (for tests, with {@link #commandLine()}). */
    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    /** The configured command line: one-line errors, exit codes as documented above. */
    public static CommandLine commandLine() {
        return commandLine(CommandLine.defaultFactory());
    }

    /** {@link #commandLine()} with commands made by {@code factory} (tests pass other engines in). */
    static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine cl = new CommandLine(new Main(), factory);
        OneLineErrors errors = new OneLineErrors();
        cl.setParameterExceptionHandler(errors);
        cl.setExecutionExceptionHandler(errors);
        cl.setExitCodeExceptionMapper(errors);
        // picocli hands only Exceptions to the handler above; an OutOfMemoryError is an Error
        CommandLine.IExecutionStrategy runLast = new CommandLine.RunLast();
        cl.setExecutionStrategy(parsed -> {
            try {
                return runLast.execute(parsed);
            } catch (OutOfMemoryError e) {
                return errors.handleOutOfMemory(e, parsed);
            }
        });
        return cl;
    }

    @Override public void run() {
        // "conv4j" alone: show what there is to run.
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command: expected one of " + spec.subcommands().keySet());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"conv4j " + (v == null ? "(development build)" : v)};
        }
    }
}
