package dev.conv4j.onednn;

import dev.conv4j.NativeBackendException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Supplier;
import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Loader;

/**
 * The process-wide oneDNN state: loads the native library once, applies the native-config
 * settings, and owns the CPU {@code engine}. Settings come from, lowest precedence first:
 * built-in defaults, the {@code native-config/onednn.properties} file (the copy on the class
 * path, or the file named by {@code -Dconv4j.nativeConfig} / {@code CONV4J_NATIVE_CONFIG}),
 * environment variables {@code CONV4J_<KEY>} and system properties {@code conv4j.<key>}.
 */
final class NativeRuntime {
    static final String CONFIG_RESOURCE = "/native-config/onednn.properties";
    private static final String DNNL_VERSION_FALLBACK = "3.11-1.5.13";

    /** Settings of native-config/onednn.properties, as strings after precedence is applied. */
    record Settings(int threads, String maxIsa, int primitiveCacheCapacity, String verbose, boolean autoChoices,
                    String source) {}

    private final engine eng;
    private final Settings settings;

    private NativeRuntime(engine eng, Settings settings) {
        this.eng = eng;
        this.settings = settings;
    }

    private static final class Holder {
        static final NativeRuntime INSTANCE;
        static final Throwable ERROR;                          // the library did not load
        static final IllegalArgumentException SETTINGS_ERROR;  // a native-config setting is wrong: the user's to fix
        static {
            NativeRuntime rt = null;
            Throwable err = null;
            IllegalArgumentException bad = null;
            Settings s = null;
            try {
                s = readSettings();
                threads();   // OMP_NUM_THREADS in range before OpenMP starts that many threads
                checkThreadsTakeEffect(s, System.getenv("OMP_NUM_THREADS"),
                        java.lang.Runtime.getRuntime().availableProcessors());
            } catch (IllegalArgumentException e) {
                bad = e;
                s = null;
            } catch (Throwable t) {   // the bundled file unreadable: the jar is broken, like a missing library
                err = t;
                s = null;
            }
            if (s != null) {
                try {
                    rt = load(s);
                } catch (Throwable t) {   // UnsatisfiedLinkError, NoClassDefFoundError, ...
                    err = t;
                }
            }
            INSTANCE = rt;
            ERROR = err;
            SETTINGS_ERROR = bad;
        }
    }

    /**
     * The runtime, loading oneDNN on first use.
     *
     * @throws IllegalArgumentException if a native-config setting is wrong (the message names it)
     * @throws NativeBackendException if the native library cannot load here
     */
    static NativeRuntime get() {
        if (Holder.SETTINGS_ERROR != null) {
            throw settingsError();
        }
        if (Holder.INSTANCE == null) {
            throw new NativeBackendException(loadFailureMessage(Holder.ERROR), Holder.ERROR);
        }
        return Holder.INSTANCE;
    }

    /**
     * {@code null} when oneDNN is usable, else the one-line reason it is not.
     *
     * @throws IllegalArgumentException if a native-config setting is wrong: that is not a
     *         reason to do without oneDNN but a mistake to fix
     */
    static String unavailableReason() {
        if (Holder.SETTINGS_ERROR != null) {
            throw settingsError();
        }
        return Holder.INSTANCE == null ? loadFailureMessage(Holder.ERROR) : null;
    }

    private static IllegalArgumentException settingsError() {
        return new IllegalArgumentException(Holder.SETTINGS_ERROR.getMessage(), Holder.SETTINGS_ERROR);
    }

    engine engine() { return eng; }

    Settings settings() { return settings; }

    private static NativeRuntime load(Settings s) {
        if (Boolean.getBoolean("conv4j.onednn.simulateLoadFailure")) {
            throw new UnsatisfiedLinkError("simulated by -Dconv4j.onednn.simulateLoadFailure=true");
        }
        Loader.load(dnnl.class);
        // The ISA cap must be set before the first primitive is created.
        if (!s.maxIsa().equals("default")) {
            dnnl.cpu_isa isa = parseIsa(s.maxIsa());
            dnnl.set_max_cpu_isa(isa);
        }
        if (s.primitiveCacheCapacity() >= 0) {
            dnnl.set_primitive_cache_capacity(s.primitiveCacheCapacity());
        }
        if (!s.verbose().equals("default")) {
            dnnl.set_verbose(verboseLevel(s.verbose()));
        }
        engine eng = new engine(engine.kind.cpu, 0);
        eng.retainReference();   // process-wide: never released
        return new NativeRuntime(eng, s);
    }

    // ---- settings ----------------------------------------------------------------------------

    /** The keys of native-config, in the order of the file. */
    static final List<String> KEYS = List.of("threads", "max_isa", "primitive_cache_capacity", "verbose", "auto_choices");

    static Settings readSettings() {
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
            } catch (java.nio.file.InvalidPathException e) {
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
            try (InputStream in = NativeRuntime.class.getResourceAsStream(CONFIG_RESOURCE)) {
                if (in != null) {
                    Properties bundled = new Properties();
                    bundled.load(in);
                    source = "class path " + CONFIG_RESOURCE;
                    checkKeys(bundled, source);
                    p.putAll(bundled);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the class path's " + CONFIG_RESOURCE, e);
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
        return new Settings(threads, isa, cache, verbose, autoChoices.equals("on"), source);
    }

    /** A misspelt key would silently leave its setting at the default. */
    private static void checkKeys(Properties p, String source) {
        for (String key : new java.util.TreeSet<>(p.stringPropertyNames())) {
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
    static void checkThreadsTakeEffect(Settings s, String omp, int processors) {
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

    // ---- information --------------------------------------------------------------------------

    String version() {
        dnnl_version_t v = dnnl.dnnl_version();
        String hash = v.hash() == null ? "" : v.hash().getString();
        return v.major() + "." + v.minor() + "." + v.patch() + (hash.isEmpty() ? "" : " (" + hash + ")");
    }

    String cpuRuntime() {
        return switch (dnnl.dnnl_version().cpu_runtime()) {
            case 1 -> "sequential";
            case 2 -> "OpenMP";
            case 4 -> "TBB";
            case 8 -> "threadpool";
            default -> "other";
        };
    }

    String effectiveIsa() {
        int v = dnnl.dnnl_get_effective_cpu_isa();
        for (dnnl.cpu_isa isa : dnnl.cpu_isa.values()) {
            if (isa.value == v) {
                return isa.name();
            }
        }
        return "0x" + Integer.toHexString(v);
    }

    int primitiveCacheCapacity() {
        return dnnl.get_primitive_cache_capacity();
    }

    private static final Object CACHE_SWITCH = new Object();

    /**
     * Runs {@code body}, which steps primitive descriptors through their implementations
     * ({@code next_impl}), with oneDNN's primitive cache off, then restores its capacity (which
     * empties it). oneDNN 3.11's implementation iterator goes wrong after a cache hit: a
     * descriptor whose first implementation came from the cache steps back to that same first
     * implementation, and a primitive created from it would be cached as the later one. With
     * the cache off nothing hits; the primitives created afterwards are cached correctly.
     * Serialised, so that one caller cannot turn the cache back on under another.
     */
    static <T> T withoutPrimitiveCache(Supplier<T> body) {
        synchronized (CACHE_SWITCH) {
            int capacity = dnnl.get_primitive_cache_capacity();
            dnnl.set_primitive_cache_capacity(0);
            try {
                return body.get();
            } finally {
                dnnl.set_primitive_cache_capacity(capacity);
            }
        }
    }

    /**
     * Threads oneDNN's OpenMP runtime uses: {@code OMP_NUM_THREADS} as the JVM was started
     * with, else every processor available to the process. OpenMP reads the variable when the
     * library loads, so the {@code threads} setting takes effect through the environment of
     * the process ({@code scripts/conv4j} exports it), not from inside a running JVM.
     */
    static int threads() {
        return ompThreads(System.getenv("OMP_NUM_THREADS"), System.getenv(OMP_SOURCE_MARKER));
    }

    /**
     * Set by {@code scripts/conv4j} when it exports {@code OMP_NUM_THREADS}: the name of what it
     * took the count from ({@code CONV4J_THREADS} or the native-config file), for messages.
     */
    static final String OMP_SOURCE_MARKER = "CONV4J_OMP_NUM_THREADS_FROM";

    /**
     * The thread count of an {@code OMP_NUM_THREADS} value (its first entry; OpenMP ignores an
     * invalid one, and so all processors), else every available processor.
     *
     * @param omp    the value, or {@code null} when unset
     * @param source what set it ({@link #OMP_SOURCE_MARKER}), or {@code null} for the user
     * @throws IllegalArgumentException if an entry is above {@link OneDnnEngine#MAX_THREADS}:
     *         OpenMP would try to start that many threads when oneDNN loads, and a count in
     *         the tens of thousands crashes the JVM
     */
    static int ompThreads(String omp, String source) {
        if (omp == null) {
            return java.lang.Runtime.getRuntime().availableProcessors();
        }
        int first = 0;
        String[] entries = omp.split(",");
        for (int i = 0; i < entries.length; i++) {
            long n;
            try {
                n = Long.parseLong(entries[i].trim());
            } catch (NumberFormatException e) {
                continue;   // OpenMP ignores an invalid value too
            }
            if (n > OneDnnEngine.MAX_THREADS) {
                String name = source == null || source.isBlank() ? "OMP_NUM_THREADS" : source.trim();
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s: %s threads is more than the %d oneDNN may start (OMP_NUM_THREADS=%s)",
                        name, entries[i].trim(), OneDnnEngine.MAX_THREADS, omp));
            }
            if (i == 0 && n > 0) {
                first = (int) n;
            }
        }
        return first > 0 ? first : java.lang.Runtime.getRuntime().availableProcessors();
    }

    static String platform() {
        try {
            return Loader.getPlatform();
        } catch (Throwable t) {
            return System.getProperty("os.name") + "-" + System.getProperty("os.arch");
        }
    }

    static String dnnlArtifactVersion() {
        try (InputStream in = NativeRuntime.class.getResourceAsStream("/META-INF/maven/org.bytedeco/dnnl/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", DNNL_VERSION_FALLBACK);
            }
        } catch (IOException e) {
            // fall back
        }
        return DNNL_VERSION_FALLBACK;
    }

    private static String loadFailureMessage(Throwable t) {
        String platform = platform();
        String cause = t == null ? "unknown" : t.getClass().getSimpleName() + ": " + t.getMessage();
        if (cause.length() > 160) {
            cause = cause.substring(0, 157) + "...";   // java.library.path can be long: keep one readable line
        }
        return String.format(Locale.ROOT,
                "oneDNN native library not available on platform %s: put org.bytedeco:dnnl:%s:%s and "
                        + "org.bytedeco:javacpp:%s:%s on the class path (build with -Dnative.platform=%s) (%s)",
                platform, dnnlArtifactVersion(), platform, javacppVersion(), platform, platform,
                cause.replace('\n', ' '));
    }

    private static String javacppVersion() {
        String v = dnnlArtifactVersion();
        int dash = v.indexOf('-');
        return dash >= 0 ? v.substring(dash + 1) : v;
    }
}
