package dev.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ChildJvm;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native library missing: simulated in a child JVM ({@code -Dconv4j.onednn.simulateLoadFailure=true}
 * makes oneDNN's one-time load fail as an {@link UnsatisfiedLinkError} would), because a JVM
 * loads it at most once. {@link Engines#best()}, first called by 8 threads at once and then
 * once more, then returns the reference engine to every caller with one warning line in all
 * (it printed one per call) naming the platform and the missing artifact, and {@link Engines#onednn()}
 * throws {@code NativeBackendException} with the same explanation; nothing crashes.
 */
class EnginesFallbackTest {

    @Test
    void bestFallsBackToTheReferenceWithAOneLineWarning(@TempDir Path dir) throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, Map.of(), List.of("-Dconv4j.onednn.simulateLoadFailure=true"),
                FallbackProbe.class.getName(), List.of(), 120);
        assertEquals(0, r.status(), r::toString);
        assertEquals(1, r.errLines().size(), () -> "one warning line on stderr for 9 calls on 8 threads\n" + r);
        String warning = r.errLines().get(0);
        assertTrue(warning.startsWith("warning: falling back to the reference engine: "), warning);
        assertTrue(warning.contains("linux-x86_64") || warning.contains(System.getProperty("os.name").toLowerCase()),
                () -> "names the platform: " + warning);
        assertTrue(warning.contains("org.bytedeco:dnnl"), () -> "names the artifact: " + warning);
        List<String> out = r.out().lines().toList();
        assertEquals("best=reference", out.get(0), r::toString);
        assertEquals("dst=12.5,23.5", out.get(1), r::toString);
        assertTrue(out.get(2).startsWith("onednn=NativeBackendException: oneDNN native library not available on platform"),
                r::toString);
        assertTrue(ChildJvm.crashLogs(dir).isEmpty());
    }

    @Test
    void bestIsOneDnnWhenTheLibraryLoads(@TempDir Path dir) throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, Map.of(), List.of(), FallbackProbe.class.getName(), List.of(), 120);
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.err(), r::toString);
        assertEquals(List.of("best=onednn", "dst=12.5,23.5", "onednn=loaded"), r.out().lines().toList());
    }

    /**
     * A wrong native-config setting is bad input (exit 2, one line naming the setting), not a
     * missing library: neither {@code info} nor {@code run --engine best} may call it that,
     * and {@code best} must not fall back to the reference engine over it.
     */
    @Test
    void aSettingsErrorIsBadInputNotALoadFailure(@TempDir Path dir) throws Exception {
        String main = "dev.conv4j.cli.Main";
        ChildJvm.Result info = ChildJvm.run(dir, Map.of("CONV4J_MAX_ISA", "avx9000"), List.of(), main, List.of("info"), 120);
        assertEquals(2, info.status(), info::toString);
        assertEquals(1, info.errLines().size(), info::toString);
        assertTrue(info.errLines().get(0).startsWith("native-config: max_isa 'avx9000'"), info::toString);
        java.nio.file.Files.writeString(dir.resolve("bad.properties"), "max_isa=\\u00zz\n");
        ChildJvm.Result run = ChildJvm.run(dir, Map.of("CONV4J_NATIVE_CONFIG", "bad.properties"), List.of(), main,
                List.of("run", "--engine", "best", "--problem", "mb1ic1ih4oc1kh1", "--src", "s.npy", "--wei", "w.npy",
                        "--out", "o"), 120);
        assertEquals(2, run.status(), run::toString);
        assertEquals(1, run.errLines().size(), run::toString);
        assertTrue(run.errLines().get(0).startsWith("native-config: cannot read 'bad.properties': "), run::toString);
        assertTrue(!run.err().contains("falling back") && !run.err().contains("not available"), run::toString);
    }
}
