package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ChildJvm;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plans and layers dropped without {@code close()} are not leaked: once the garbage collector
 * finds them unreachable, JavaCPP's deallocator frees every native object they held, without
 * a crash (the objects go in whatever order it finds them). In a child JVM, because
 * {@code ResourceTest} stops the deallocator thread of the test JVM to count exactly.
 */
class DroppedPlansTest {

    @Test
    void droppedPlansAndLayers_areFreedByTheCollector(@TempDir Path dir) throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, Map.of(), List.of("-Xmx256m"), DroppedPlansProbe.class.getName(),
                List.of(), 120);
        assertEquals(0, r.status(), r::toString);
        List<String> out = r.out().lines().toList();
        assertEquals(2, out.size(), r::toString);
        long kept = Long.parseLong(out.get(0).substring("kept=".length()));
        long left = Long.parseLong(out.get(1).substring("left=".length()));
        // The count sees live plans (3 rounds of two plans and a layer, dozens of objects each) ...
        assertTrue(kept >= DroppedPlansProbe.KEPT * 3 * 10, () -> "plans kept open are counted: " + r);
        // ... and none of the rounds dropped.
        assertEquals(0, left, () -> "every native object of a dropped plan freed: " + r);
        assertTrue(ChildJvm.crashLogs(dir).isEmpty());
    }
}
