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
 * loads it at most once. {@link Engines#best()} then returns the reference engine with a
 * one-line warning naming the platform and the missing artifact, and {@link Engines#onednn()}
 * throws {@code NativeBackendException} with the same explanation; nothing crashes.
 */
class EnginesFallbackTest {

    @Test
    void bestFallsBackToTheReferenceWithAOneLineWarning(@TempDir Path dir) throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, Map.of(), List.of("-Dconv4j.onednn.simulateLoadFailure=true"),
                FallbackProbe.class.getName(), List.of(), 120);
        assertEquals(0, r.status(), r::toString);
        assertEquals(1, r.errLines().size(), () -> "one warning line on stderr\n" + r);
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
}
