package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** native-config: the bundled defaults, a file given by property, and overrides by system property. */
class NativeConfigTest {
    private static final String[] KEYS = {"conv4j.nativeConfig", "conv4j.threads", "conv4j.max_isa",
        "conv4j.primitive_cache_capacity", "conv4j.verbose", "conv4j.auto_choices"};

    @AfterEach void clear() {
        for (String k : KEYS) {
            System.clearProperty(k);
        }
    }

    @Test void bundledDefaults_leaveOneDnnInCharge() {
        NativeConfig s = NativeConfig.read();
        if (System.getenv("CONV4J_MAX_ISA") == null) {
            assertEquals("default", s.maxIsa());
        }
        if (System.getenv("CONV4J_VERBOSE") == null) {
            assertEquals("default", s.verbose());
        }
        assertTrue(s.source().contains("native-config/onednn.properties"), s.source());
    }

    @Test void file_thenSystemPropertyOverride(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("n.properties");
        Files.writeString(f, "threads=3\nmax_isa=avx2\nprimitive_cache_capacity=64\nverbose=none\nauto_choices=off\n");
        System.setProperty("conv4j.nativeConfig", f.toString());
        System.setProperty("conv4j.primitive_cache_capacity", "128");
        System.setProperty("conv4j.auto_choices", "ON");
        NativeConfig s = NativeConfig.read();
        assertEquals(3, s.threads());
        if (System.getenv("CONV4J_MAX_ISA") == null) {   // the environment outranks the file
            assertEquals("avx2", s.maxIsa());
        }
        assertEquals(128, s.primitiveCacheCapacity());
        assertEquals("none", s.verbose());
        assertTrue(s.autoChoices());
        assertEquals(f.toString(), s.source());
    }

    @Test void badValues_oneLineMessagesNamingTheKey() {
        System.setProperty("conv4j.max_isa", "avx9000");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, NativeConfig::read);
        assertTrue(e.getMessage().startsWith("native-config: max_isa 'avx9000'"), e.getMessage());
        System.clearProperty("conv4j.max_isa");
        System.setProperty("conv4j.threads", "many");
        e = assertThrows(IllegalArgumentException.class, NativeConfig::read);
        assertEquals("native-config: threads must be an integer in [0, 1024], got 'many'", e.getMessage());
        System.setProperty("conv4j.threads", "100000");
        e = assertThrows(IllegalArgumentException.class, NativeConfig::read);
        assertEquals("native-config: threads must be an integer in [0, 1024], got '100000'", e.getMessage());
        System.setProperty("conv4j.primitive_cache_capacity", "-7");
        System.setProperty("conv4j.threads", "1024");
        e = assertThrows(IllegalArgumentException.class, NativeConfig::read);
        assertEquals("native-config: primitive_cache_capacity must be an integer >= -1, got '-7'", e.getMessage());
        System.clearProperty("conv4j.primitive_cache_capacity");
        System.clearProperty("conv4j.threads");
        System.setProperty("conv4j.verbose", "loud");
        e = assertThrows(IllegalArgumentException.class, NativeConfig::read);
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(e.getMessage().startsWith("native-config: verbose"), e.getMessage());
        System.clearProperty("conv4j.verbose");
        System.setProperty("conv4j.auto_choices", "sometimes");
        e = assertThrows(IllegalArgumentException.class, NativeConfig::read);
        assertEquals("native-config: auto_choices must be on or off, got 'sometimes'", e.getMessage());
    }

    @Test void unreadableFiles_oneLineMessagesNamingTheFile(@TempDir Path dir) throws IOException {
        System.setProperty("conv4j.nativeConfig", dir.resolve("nonexistent").toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, NativeConfig::read);
        assertEquals("native-config: no such file '" + dir.resolve("nonexistent") + "'", e.getMessage());
        Path badEscape = dir.resolve("escape.properties");
        Files.writeString(badEscape, "max_isa=\\u00zz\n");
        System.setProperty("conv4j.nativeConfig", badEscape.toString());
        e = assertThrows(IllegalArgumentException.class, NativeConfig::read);
        assertTrue(e.getMessage().startsWith("native-config: cannot read '" + badEscape + "': "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test void onlyRegularFiles(@TempDir Path dir) throws Exception {
        System.setProperty("conv4j.nativeConfig", dir.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, NativeConfig::read);
        assertEquals("native-config: '" + dir + "' is not a regular file", e.getMessage());
        Path fifo = dev.conv4j.TestFiles.fifo(dir, "config.fifo");
        org.junit.jupiter.api.Assumptions.assumeTrue(fifo != null, "mkfifo is not available");
        System.setProperty("conv4j.nativeConfig", fifo.toString());
        e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> assertThrows(IllegalArgumentException.class, NativeConfig::read));
        assertEquals("native-config: '" + fifo + "' is not a regular file", e.getMessage());
    }

    @Test void ompNumThreads_boundedBeforeOpenMpStartsThem() {
        int all = Runtime.getRuntime().availableProcessors();
        assertEquals(4, NativeRuntime.ompThreads("4", null));
        assertEquals(1024, NativeRuntime.ompThreads(" 1024 ", null));
        assertEquals(3, NativeRuntime.ompThreads("3,2", null));
        assertEquals(all, NativeRuntime.ompThreads(null, null));
        assertEquals(all, NativeRuntime.ompThreads("abc", null));   // OpenMP ignores it too
        assertEquals(all, NativeRuntime.ompThreads("0", null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeRuntime.ompThreads("100000", null));
        assertEquals("OMP_NUM_THREADS: 100000 threads is more than the 1024 oneDNN may start (OMP_NUM_THREADS=100000)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NativeRuntime.ompThreads("4,99999999999", null));
        assertTrue(e.getMessage().startsWith("OMP_NUM_THREADS: 99999999999 threads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NativeRuntime.ompThreads("1025", "CONV4J_THREADS"));
        assertTrue(e.getMessage().startsWith("CONV4J_THREADS: 1025 threads is more than the 1024"), e.getMessage());
    }

    @Test void info_reportsVersionIsaThreadsCache() {
        OneDnnEngine.Info info = OneDnnEngine.get().info();
        assertTrue(info.version().startsWith("3."), info.version());
        assertFalse(info.cpuIsa().isEmpty());
        assertTrue(info.threads() >= 1);
        assertTrue(info.primitiveCacheCapacity() >= 0);
        assertEquals(9, info.asMap().size());
        assertTrue(info.autoThreads().contains(info.threads() > 1 ? "also raced on one thread" : "on one thread"),
                info.autoThreads());
    }

    @Test void unknownKeys_rejectedNamingTheFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("typo.properties");
        Files.writeString(f, "# a comment\nthreads=0\nmaxisa=sse41\n");
        System.setProperty("conv4j.nativeConfig", f.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, NativeConfig::read);
        assertEquals("native-config: unknown key 'maxisa' in " + f
                + " (known: threads, max_isa, primitive_cache_capacity, verbose, auto_choices)", e.getMessage());
    }

    @Test void threadsThatCannotTakeEffect_rejected() {
        NativeConfig one = new NativeConfig(1, "default", -1, "default", false, "file");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeConfig.checkThreadsTakeEffect(one, null, 2));
        assertEquals("native-config: threads=1 cannot take effect in a running JVM: start it with OMP_NUM_THREADS=1 "
                + "(scripts/conv4j does so from CONV4J_THREADS)", e.getMessage());
        int accepted = 0;
        // OMP_NUM_THREADS given (it decides), the count OpenMP runs anyway, or 0 (all processors)
        NativeConfig.checkThreadsTakeEffect(one, "1", 2);
        accepted++;
        NativeConfig.checkThreadsTakeEffect(one, null, 1);
        accepted++;
        NativeConfig.checkThreadsTakeEffect(new NativeConfig(0, "default", -1, "default", false, "file"), null, 2);
        accepted++;
        assertEquals(3, accepted);
    }

    /** The check runs when oneDNN loads: in a child JVM started without OMP_NUM_THREADS. */
    @Test void threadsThatCannotTakeEffect_failTheLoad(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("OMP_NUM_THREADS") == null, "OMP_NUM_THREADS is set");
        int other = Runtime.getRuntime().availableProcessors() + 1;
        dev.conv4j.ChildJvm.Result r = dev.conv4j.ChildJvm.run(dir, java.util.Map.of(), java.util.List.of("-Dconv4j.threads=" + other),
                "dev.conv4j.cli.Main", java.util.List.of("info"), 120);
        assertEquals(2, r.status(), r::toString);
        assertEquals(java.util.List.of("native-config: threads=" + other + " cannot take effect in a running JVM: start it "
                + "with OMP_NUM_THREADS=" + other + " (scripts/conv4j does so from CONV4J_THREADS)"), r.errLines(), r::toString);
    }
}
