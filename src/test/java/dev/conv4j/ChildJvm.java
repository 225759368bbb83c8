package dev.conv4j;

import dev.conv4j.bench.Relaunch;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a fresh JVM on the test class path: for what one JVM cannot show about
 * itself (a simulated native load failure, a process exit status, JVM flags such as the
 * collector, hs_err files).
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** Exit status, stdout and stderr of a finished child, and its working directory. */
    public record Result(int status, String out, String err, Path dir) {
        public List<String> errLines() {
            return err.lines().toList();
        }

        @Override public String toString() {
            return "exit " + status + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** The class path of this JVM's tests (surefire's, when surefire runs us). */
    public static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /**
     * Runs {@code java jvmArgs... mainClass args...} in {@code dir} with extra environment
     * {@code env}; waits at most {@code timeoutSeconds}.
     */
    public static Result run(Path dir, Map<String, String> env, List<String> jvmArgs, String mainClass,
                             List<String> args, long timeoutSeconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(Relaunch.NATIVE_ACCESS);
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass);
        cmd.addAll(args);
        Path out = Files.createTempFile("conv4j-child", ".out");
        Path err = Files.createTempFile("conv4j-child", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("child JVM " + mainClass + " did not finish in " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8), dir);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** hs_err crash logs in {@code dir}. */
    public static List<File> crashLogs(Path dir) {
        File[] logs = dir.toFile().listFiles((d, name) -> name.startsWith("hs_err"));
        return logs == null ? List.of() : List.of(logs);
    }
}
