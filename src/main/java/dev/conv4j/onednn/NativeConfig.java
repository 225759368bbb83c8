package dev.conv4j.onednn;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeSet;
import org.bytedeco.dnnl.global.dnnl;

/**
 * The native-config settings of this process, after precedence is applied. They come from,
 * lowest precedence first: built-in defaults, the {@code native-config/onednn.properties} file
 * (the copy on the class path, or the file named by {@code -Dconv4j.nativeConfig} /
 * {@code CONV4J_NATIVE_CONFIG}), environment variables {@code CONV4J_<KEY>} and system
 * properties {@code conv4j.<key>}. Every value is checked here, with a one-line message
 * naming the key, before {@link NativeRuntime} loads oneDNN.
 *
 * @param threads                {@code threads}: 0 for OpenMP's own count
 * @param maxIsa                 {@code max_isa}, lower case, or {@code default}
 * @param primitiveCacheCapacity {@code primitive_cache_capacity}, -1 for oneDNN's default
 * @param verbose                {@code verbose}, lower case, or {@code default}
 * @param autoChoices            {@code auto_choices=on}: AUTO's decisions kept between processes
 * @param source                 where the settings came from, for {@code conv4j info}
 */
record NativeConfig(int threads, String maxIsa, int primitiveCacheCapacity, String verbose, boolean autoChoices,
                    String source) {
    static final String RESOURCE = "/native-config/onednn.properties";

    /** The keys of native-config, in the order of the file. */
    static final List<String> KEYS = List.of("threads", "max_isa", "primitive_cache_capacity", "verbose", "auto_choices");

    static NativeConfig read() {
        Properties p = new Properties();
        p.setProperty("threads", "0");
        p.setProperty("max_isa", "default");
        p.setProperty("primitive_cache_capacity", "-1");
        p.setProperty("verbose", "default");
        p.setProperty("auto_choices", "off");
        String source = "built-in defaults";
        String file = firstNonEmpty(System.getProperty("conv4j.nativeConfig"), System.getenv("CONV4J_NATIVE_CONFIG"));
        if (file != null) {
            Path path;
            try {
                path = Path.of(file);
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("native-config: '" + file + "' is not a file name: " + e.getReason(), e);
            }
            if (Files.exists(path) && !Files.isRegularFile(path)) {   // a FIFO would block, a directory fails later
                throw new IllegalArgumentException("native-config: '" + file + "' is not a regular file");
            }
            Properties fromFile = new Properties();
            try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                fromFile.load(r);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("native-config: no such file '" + file + "'", e);
            } catch (IOException | IllegalArgumentException e) {   // Properties.load throws it for a malformed unicode escape
                throw new IllegalArgumentException("native-config: cannot read '" + file + "': " + e.getMessage(), e);
            }
            source = file;
            checkKeys(fromFile, source);
            p.putAll(fromFile);
        } else {
            try (InputStream in = NativeConfig.class.getResourceAsStream(RESOURCE)) {
                if (in != null) {
                    Properties bundled = new Properties();
                    bundled.load(in);
                    source = "class path " + RESOURCE;
                    checkKeys(bundled, source);
                    p.putAll(bundled);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the class path's " + RESOURCE, e);
            }
        }
        for (String key : KEYS) {
            String env = System.getenv("CONV4J_" + key.toUpperCase(Locale.ROOT));
            String prop = System.getProperty("conv4j." + key);
            String v = firstNonEmpty(prop, env);
            if (v != null) {
                p.setProperty(key, v);
            }
        }
        int threads = parseInt(p, "threads", 0, OneDnnEngine.MAX_THREADS);
        String isa = p.getProperty("max_isa").trim().toLowerCase(Locale.ROOT);
        if (!isa.equals("default")) {
            parseIsa(isa);   // validate early, one-line message
        }
        int cache = parseInt(p, "primitive_cache_capacity", -1, Integer.MAX_VALUE);
        String verbose = p.getProperty("verbose").trim().toLowerCase(Locale.ROOT);
        if (!verbose.equals("default")) {
            verboseLevel(verbose);
        }
        String autoChoices = p.getProperty("auto_choices").trim().toLowerCase(Locale.ROOT);
        if (!autoChoices.equals("on") && !autoChoices.equals("off")) {
            throw new IllegalArgumentException("native-config: auto_choices must be on or off, got '" + autoChoices + "'");
        }
        return new NativeConfig(threads, isa, cache, verbose, autoChoices.equals("on"), source);
    }

    /** A misspelt key would silently leave its setting at the default. */
    private static void checkKeys(Properties p, String source) {
        for (String key : new TreeSet<>(p.stringPropertyNames())) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("native-config: unknown key '" + key + "' in " + source
                        + " (known: " + String.join(", ", KEYS) + ")");
            }
        }
    }

    /**
     * Checks that native-config's {@code threads} can take effect: OpenMP reads
     * {@code OMP_NUM_THREADS} once, when oneDNN loads, and offers no way to change the
     * process-wide count afterwards (only a calling thread's: {@link OpenMpThreads}), so a
     * count set by a system property or a {@code CONV4J_NATIVE_CONFIG} file
     * in a JVM started without that variable would be silently ignored.
     *
     * @param omp        {@code OMP_NUM_THREADS} as the JVM was started with, or {@code null}
     * @param processors the processors available to the JVM (OpenMP's count without the variable)
     * @throws IllegalArgumentException if the setting asks for another count than OpenMP will run
     */
    static void checkThreadsTakeEffect(NativeConfig s, String omp, int processors) {
        if (s.threads() > 0 && (omp == null || omp.isBlank()) && s.threads() != processors) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "native-config: threads=%d cannot take effect in a running JVM: start it with OMP_NUM_THREADS=%d "
                            + "(scripts/conv4j does so from CONV4J_THREADS)", s.threads(), s.threads()));
        }
    }

    private static int parseInt(Properties p, String key, int min, int max) {
        String v = p.getProperty(key).trim();
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new IllegalArgumentException("native-config: " + key + " must be an integer "
                + (max == Integer.MAX_VALUE ? ">= " + min : "in [" + min + ", " + max + "]") + ", got '" + v + "'");
    }

    static dnnl.cpu_isa parseIsa(String name) {
        for (dnnl.cpu_isa isa : dnnl.cpu_isa.values()) {
            if (isa.name().equalsIgnoreCase(name)) {
                return isa;
            }
        }
        throw new IllegalArgumentException("native-config: max_isa '" + name
                + "' is not a oneDNN CPU ISA (sse41, avx, avx2, avx512_core, avx512_core_amx, ... or default)");
    }

    static int verboseLevel(String v) {
        return switch (v) {
            case "none", "0" -> 0;
            case "1", "profile_exec" -> 1;
            case "2", "all" -> 2;
            default -> throw new IllegalArgumentException(
                    "native-config: verbose must be default, none, 1, 2 or all, got '" + v + "'");
        };
    }

    private static String firstNonEmpty(String a, String b) {
        if (a != null && !a.isBlank()) {
            return a.trim();
        }
        return b != null && !b.isBlank() ? b.trim() : null;
    }
}
