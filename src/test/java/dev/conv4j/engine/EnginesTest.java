package dev.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.NativeBackendException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Engine lookup by name, and the reference fallback of {@link Engines#best()}. */
class EnginesTest {

    @Test void byName_knownNames() {
        assertEquals("reference", Engines.byName("reference").name());
        assertEquals("onednn", Engines.byName("oneDNN").name());
        String best = Engines.byName(" best ").name();
        assertTrue(best.equals("onednn") || best.equals("reference"), best);
    }

    @Test void byName_unknown_throwsNamingTheParameter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engines.byName("cuda"));
        assertEquals("engine: unknown engine 'cuda', expected onednn, reference or best", e.getMessage());
    }

    @Test void best_nativeLibraryMissing_fallsBackWithOneLineWarning() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Engine e = Engines.best(() -> {
            throw new NativeBackendException("oneDNN native library not available on platform test-x86_64: put "
                    + "org.bytedeco:dnnl:3.11-1.5.13:test-x86_64 on the class path");
        }, new PrintStream(err, true, StandardCharsets.UTF_8));
        assertSame(Engines.reference(), e);
        String warning = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, warning.lines().count(), warning);
        assertTrue(warning.startsWith("warning: falling back to the reference engine: "), warning);
        assertTrue(warning.contains("test-x86_64") && warning.contains("org.bytedeco:dnnl"), warning);
    }

    @Test void best_settingsError_doesNotFallBack() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engines.best(() -> {
            throw new IllegalArgumentException("native-config: threads must be an integer >= 0, got 'abc'");
        }, new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals("native-config: threads must be an integer >= 0, got 'abc'", e.getMessage());
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test void plansOfBothEngines_answerQueriesAlike_aNullDirectionAndUseAfterClose() {
        dev.conv4j.ConvSpec spec = dev.conv4j.ConvSpec.conv2d(2, 3, 3).build();
        int checked = 0;
        for (Engine engine : new Engine[] {Engines.reference(), Engines.onednn()}) {
            Plan plan = engine.prepare(spec, dev.conv4j.tensor.Shape.of(1, 2, 5, 5));
            NullPointerException npe = assertThrows(NullPointerException.class, () -> plan.implementation(null));
            assertEquals("dir", npe.getMessage(), engine.name());
            assertEquals("dir", assertThrows(NullPointerException.class, () -> plan.threads(null)).getMessage(), engine.name());
            assertTrue(plan.threads(dev.conv4j.Direction.FWD) >= 0, engine.name());
            plan.close();
            for (dev.conv4j.Direction dir : dev.conv4j.Direction.values()) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> plan.implementation(dir));
                assertTrue(e.getMessage().contains("closed"), engine.name() + ": " + e.getMessage());
                assertThrows(IllegalStateException.class, () -> plan.threads(dir), engine.name());
            }
            checked++;
        }
        assertEquals(2, checked);
    }

    @Test void best_nativeLibraryPresent_isOneDnn() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Engine e = Engines.best(Engines::onednn, new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals("onednn", e.name());
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }
}
