package dev.conv4j.bench;

import dev.conv4j.Check;
import dev.conv4j.onednn.OneDnnEngine;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a command line again in a child JVM with another native thread count. oneDNN's
 * OpenMP runtime reads {@code OMP_NUM_THREADS} once, when the native library loads, so a
 * running JVM cannot change its thread count; {@code conv4j bench --threads N} therefore
 * starts a child with {@code OMP_NUM_THREADS=N} (and {@code CONV4J_THREADS=N}) whose output
 * goes to the same stdout and stderr.
 */
public final class Relaunch {
    private Relaunch() {}

    /**
     * The JVM option that lets JavaCPP and JNA load native libraries without a warning on JDK
     * 22+ (Java 17 accepts it too). A child started with {@code -cp} reads no jar manifest, whose
     * {@code Enable-Native-Access} covers {@code java -jar}, so every child gets the option.
     */
    public static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

    /** Set in the child's environment, so that a child never starts another. */
    public static final String MARKER = "CONV4J_RELAUNCHED_THREADS";

    /** Whether this JVM is such a child. */
    public static boolean isChild() {
        return System.getenv(MARKER) != null;
    }

    /** The child's command: this JVM's executable, JVM options and class path, then {@code mainClass args}. */
    static List<String> command(String mainClass, List<String> args) {
        return command(List.of(), mainClass, args);
    }

    /** As {@link #command(String, List)}, with {@code jvmOptions} added after this JVM's own. */
    static List<String> command(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> inherited = ManagementFactory.getRuntimeMXBean().getInputArguments();
        cmd.addAll(inherited);
        if (!inherited.contains(NATIVE_ACCESS)) {
            cmd.add(NATIVE_ACCESS);
        }
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Runs {@code mainClass args} in a child JVM with {@code threads} native threads and
     * waits for it.
     *
     * @return the child's exit status
     * @throws IllegalArgumentException if {@code threads} is not in [1, {@link OneDnnEngine#MAX_THREADS}], or this JVM is already a child
     *         (its thread count did not take effect: an environment that overrides it)
     */
    public static int run(String mainClass, List<String> args, int threads) throws IOException, InterruptedException {
        Check.arg(threads >= 1 && threads <= OneDnnEngine.MAX_THREADS, "threads: must be in [1, %d], got %d",
                OneDnnEngine.MAX_THREADS, threads);
        Check.arg(!isChild(), "threads: asked for %d but OpenMP runs %d in this process (is OMP_NUM_THREADS fixed elsewhere?)",
                threads, OneDnnEngine.threads());
        ProcessBuilder pb = new ProcessBuilder(command(mainClass, args)).inheritIO();
        Map<String, String> env = pb.environment();
        env.put("OMP_NUM_THREADS", Integer.toString(threads));
        env.put("CONV4J_THREADS", Integer.toString(threads));
        env.put(MARKER, Integer.toString(threads));
        pb.directory(new File(System.getProperty("user.dir")));
        Process p = pb.start();
        return p.waitFor();
    }
}
