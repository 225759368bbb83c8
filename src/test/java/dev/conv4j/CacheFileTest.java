package dev.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheFileTest {

    private static List<String> cpuinfo(String name, String family, String model, String flags) {
        return List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: " + family,
                "model\t\t: " + model, "model name\t: " + name, "flags\t\t: " + flags, "",
                "processor\t: 1", "model name\t: Another CPU", "flags\t\t: sse2", "");
    }

    @Test
    void sameNameOfTwoGenerationsGivesTwoKeys() {
        String zen3 = CacheFile.cpuModel(cpuinfo("AMD EPYC", "25", "1", "fpu sse4_2 avx avx2 fma"));
        String zen5 = CacheFile.cpuModel(cpuinfo("AMD EPYC", "26", "2", "fpu sse4_2 avx avx2 avx512f avx512bw"));
        assertEquals("AMD EPYC (family 25 model 1, avx2)", zen3);
        assertEquals("AMD EPYC (family 26 model 2, avx512f)", zen5);
        assertNotEquals(zen3, zen5);
    }

    @Test
    void readsTheFirstProcessorOnlyAndCollapsesSpaces() {
        assertEquals("Intel(R) Xeon(R) Platinum 8592+ (family 6 model 207, avx512f)",
                CacheFile.cpuModel(cpuinfo("Intel(R)  Xeon(R) Platinum   8592+", "6", "207", "avx2 avx512f")));
    }

    @Test
    void withoutVectorFlagsOrFamilyTheNameStillCounts() {
        assertEquals("Some CPU (no vector flags)", CacheFile.cpuModel(List.of("model name : Some CPU")));
        assertEquals("Some CPU (family 6 model 1, sse4_2)",
                CacheFile.cpuModel(List.of("model name : Some CPU", "cpu family : 6", "model : 1", "flags : sse2 sse4_2 ssse3")));
        assertFalse(CacheFile.cpuModel(List.of("model name : Some CPU", "flags : avx2x")).contains("avx2"),
                "a flag is matched whole");
    }

    @Test
    void noModelNameFallsBackToTheArchitecture() {
        assertEquals(System.getProperty("os.arch"), CacheFile.cpuModel(List.of("processor : 0", "Hardware : something")));
        assertEquals(System.getProperty("os.arch"), CacheFile.cpuModel(List.of()));
    }

    @Test
    void storeReplacesTheFileAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        CacheFile f = new CacheFile(dir.resolve("x.properties"));
        Properties p = new Properties();
        p.setProperty("a b", "1.5");
        f.store(p, "test");
        p.setProperty("c", "2");
        f.store(p, "test");
        assertEquals(p, f.load());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("x.properties")), files.toList());
        }
    }

    @Test
    void aFailedStoreNamesTheFileAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("taken");
        Files.createDirectory(target);
        Files.writeString(target.resolve("inside"), "x");   // a non-empty directory cannot be replaced by a file
        CacheFile f = new CacheFile(target);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> f.store(new Properties(), "test"));
        assertTrue(e.getMessage().startsWith("cache: cannot write " + target), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
    }
}
