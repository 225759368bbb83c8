package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short {@link Soak} ({@value #CYCLES} plan create/close cycles, {@value #EXECUTES}
 * executes): {@link Pointer#totalCount()} returns exactly to its baseline, and a call on a
 * prepared plan allocates no native object.
 *
 * <p>It runs in a child JVM because JavaCPP keeps its count only while its pointer GC is on,
 * which the suite's JVM turns off ({@code -Dorg.bytedeco.javacpp.nopointergc=true}: the count
 * then reads 0 whatever leaks). The child keeps the pointer GC on but runs the Epsilon
 * collector, so no Java collection ever runs and the pointer GC can free nothing: every
 * native object not explicitly released stays counted. The test checks that no collection ran.
 */
class SoakTest {
    static final int CYCLES = 1500;
    static final int EXECUTES = 15_000;

    @Test
    void pointerCountReturnsToBaselineWithNothingCollected(@TempDir Path dir) throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, Map.of("OMP_NUM_THREADS", "1"),
                List.of("-XX:+UnlockExperimentalVMOptions", "-XX:+UseEpsilonGC", "-Xmx768m"),
                Soak.class.getName(), List.of(Integer.toString(CYCLES), Integer.toString(EXECUTES)), 300);
        assertEquals(0, r.status(), r::toString);
        assertEquals(CYCLES, field(r, "cycles"));
        assertEquals(EXECUTES, field(r, "executes"));
        assertEquals(0, field(r, "collections"), "a collection ran: the count is not exact\n" + r);
        assertTrue(r.out().contains("counting=true"), r::toString);
        long baseline = field(r, "pointersBaseline");
        assertTrue(baseline >= 1, "the count sees the process-wide engine\n" + r);
        assertEquals(baseline, field(r, "pointersAfterCycles"), r::toString);
        long open = field(r, "pointersWithPlanOpen");
        assertTrue(open > baseline, "an open plan holds native objects\n" + r);
        assertEquals(open, field(r, "pointersAfterExecutes"), r::toString);
        assertEquals(baseline, field(r, "pointersAtEnd"), r::toString);
        assertTrue(ChildJvm.crashLogs(dir).isEmpty());
        assertTrue(Files.isDirectory(dir));
    }

    private static long field(ChildJvm.Result r, String name) {
        Matcher m = Pattern.compile("\\b" + name + "=(\\d+)").matcher(r.out());
        assertTrue(m.find(), () -> "no " + name + " in the report\n" + r);
        return Long.parseLong(m.group(1));
    }
}
