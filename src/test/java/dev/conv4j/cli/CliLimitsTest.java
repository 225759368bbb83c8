package dev.conv4j.cli;

import static dev.conv4j.cli.CliTest.assertOneLineError;
import static dev.conv4j.cli.CliTest.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conv4j.ChildJvm;
import dev.conv4j.engine.Engine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Input past what the machine or the library can hold: one line naming the parameter, the
 * value and the rule, exit status 2, before anything is allocated or any native call.
 */
class CliLimitsTest {

    @Test void aTensorLargerThanADirectBufferHolds_isBadInput() {
        String tooLarge = "mb1ic1ih24000oc1kh1";   // 576000000 floats: more than Tensor.MAX_ELEMENTS
        assertOneLineError(run("bench", "--engine", "reference", "--peak", "100", "--seconds", "0.05", "--dir", "fwd",
                "--problem", tooLarge), Main.BAD_INPUT, "[1, 1, 24000, 24000] has 576000000 elements",
                "more than the 536870848 a tensor can hold");
        assertOneLineError(run("check", "--dir", "fwd", "--problem", tooLarge), Main.BAD_INPUT,
                "576000000 elements", "536870848");
    }

    /** {@code check} with an engine that runs out of memory when asked for. */
    private static CliTest.Run checkRunningOutOfMemory(String message, String... extra) {
        Supplier<Engine> oom = () -> {
            throw new OutOfMemoryError(message);
        };
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override public <K> K create(Class<K> cls) throws Exception {
                return cls == CheckCommand.class ? cls.cast(new CheckCommand(oom)) : CommandLine.defaultFactory().create(cls);
            }
        };
        List<String> args = new ArrayList<>(List.of("check", "--dir", "fwd", "--problem", "mb1ic1ih8oc1kh3"));
        args.addAll(List.of(extra));
        return run(factory, args.toArray(String[]::new));
    }

    @Test void outOfMemory_isOneLineSayingWhichLimitToRaise() {
        assertOneLineError(checkRunningOutOfMemory("Java heap space"), Main.CHECK_FAILED,
                "error: out of memory (Java heap space): raise the heap, e.g. CONV4J_JAVA_OPTS=-Xmx8g");
        assertOneLineError(checkRunningOutOfMemory(
                        "Cannot reserve 36000063 bytes of direct buffer memory (allocated: 36000063, limit: 67108864)"),
                Main.CHECK_FAILED, "error: out of memory (Cannot reserve 36000063 bytes", "-XX:MaxDirectMemorySize",
                "CONV4J_JAVA_OPTS");
        CliTest.Run verbose = checkRunningOutOfMemory("Java heap space", "--verbose");
        assertEquals(Main.CHECK_FAILED, verbose.status());
        assertTrue(verbose.errLines().get(0).startsWith("error: out of memory"), verbose.err());
        assertTrue(verbose.err().contains("java.lang.OutOfMemoryError: Java heap space") && verbose.err().contains("\tat "),
                "--verbose prints the trace: " + verbose.err());
    }

    /** The audited case in a real JVM: a direct-memory limit smaller than the tensors of the problem. */
    @Test void outOfDirectMemory_inARealJvm_isOneLine(@TempDir Path dir) throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, Map.of(), List.of("-XX:MaxDirectMemorySize=64m"), Main.class.getName(),
                List.of("bench", "--engine", "reference", "--peak", "100", "--seconds", "0.05", "--dir", "fwd",
                        "--problem", "mb1ic1ih3000oc1kh1"), 120);
        assertEquals(Main.CHECK_FAILED, r.status(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.errLines().get(0).startsWith("error: out of memory") && r.err().contains("MaxDirectMemorySize"),
                r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);
    }

    @Test void benchThreads_bounded() {
        assertOneLineError(run("bench", "--engine", "reference", "--peak", "100", "--seconds", "0.01", "--dir", "fwd",
                "--threads", "100000", "--problem", "mb1ic1ih8oc1kh3"), Main.BAD_INPUT,
                "threads: must be at most 1024 (OneDnnEngine.MAX_THREADS), got 100000");
    }

    /** OpenMP starts as many threads as OMP_NUM_THREADS asks when oneDNN loads; 100000 crashed the JVM. */
    @Test void ompNumThreads_tooMany_isBadInputBeforeOneDnnLoads(@TempDir Path dir) throws Exception {
        List<String> check = List.of("check", "--dir", "fwd", "--problem", "mb1ic16ih32oc16kh3");
        ChildJvm.Result r = ChildJvm.run(dir, Map.of("OMP_NUM_THREADS", "100000"), List.of(), Main.class.getName(), check, 120);
        assertEquals(Main.BAD_INPUT, r.status(), r::toString);
        assertEquals(List.of("OMP_NUM_THREADS: 100000 threads is more than the 1024 oneDNN may start (OMP_NUM_THREADS=100000)"),
                r.errLines(), r::toString);
        // as scripts/conv4j starts it from CONV4J_THREADS: the message names what the user set
        r = ChildJvm.run(dir, Map.of("OMP_NUM_THREADS", "5000", "CONV4J_OMP_NUM_THREADS_FROM", "CONV4J_THREADS"),
                List.of(), Main.class.getName(), check, 120);
        assertEquals(Main.BAD_INPUT, r.status(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.errLines().get(0).startsWith("CONV4J_THREADS: 5000 threads is more than the 1024"), r::toString);
        assertTrue(ChildJvm.crashLogs(dir).isEmpty(), "hs_err file in " + dir);
    }

    /** scripts/conv4j checks CONV4J_THREADS itself, before it builds or starts anything. */
    @Test void scriptRejectsABadConv4jThreads() throws Exception {
        Path script = Path.of("scripts", "conv4j").toAbsolutePath();
        assumeTrue(Files.isRegularFile(script), "no " + script);
        int checked = 0;
        for (String bad : new String[] {"abc", "100000", "-1", "1025", "4x"}) {
            ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "info").redirectErrorStream(true);
            pb.environment().put("CONV4J_THREADS", bad);
            pb.environment().remove("OMP_NUM_THREADS");
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(Main.BAD_INPUT, p.exitValue(), output);
            assertEquals("CONV4J_THREADS: must be an integer in [0, 1024], got '" + bad + "'\n", output);
            checked++;
        }
        assertEquals(5, checked);
    }

    @Test void aProblemNameWithALineBreak_isBadInputOnOneLine() {
        assertOneLineError(run("check", "--dir", "fwd", "--problem", "mb1ic3ih8oc4kh3n\"a\nb\""), Main.BAD_INPUT,
                "name: must not contain control characters, got \"a\\nb\"");
    }

    /** A JVM option java does not know: one line from scripts/conv4j, before it builds or starts anything. */
    @Test void scriptSaysWhenTheJvmDidNotStartWithItsOptions() throws Exception {
        Path script = Path.of("scripts", "conv4j").toAbsolutePath();
        assumeTrue(Files.isRegularFile(script), "no " + script);
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "info").redirectErrorStream(true);
        pb.environment().put("CONV4J_JAVA_OPTS", "-Xfoo");
        pb.environment().remove("CONV4J_THREADS");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(Main.BAD_INPUT, p.exitValue(), output);
        assertEquals(1, output.lines().count(), output);
        assertTrue(output.startsWith("conv4j: the JVM did not start with CONV4J_JAVA_OPTS='-Xfoo': "), output);
    }
}
