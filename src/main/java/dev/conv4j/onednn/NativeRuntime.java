package dev.conv4j.onednn;

import dev.conv4j.NativeBackendException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Supplier;
import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Loader;

/**
 * The process-wide oneDNN state: loads the native library once, applies the native-config
 * settings ({@link NativeConfig}), and owns the CPU {@code engine}; also what {@code conv4j
 * info} reports of the native backend.
 */
final class NativeRuntime {
    private static final String DNNL_VERSION_FALLBACK = "3.11-1.5.13";

    private final engine eng;
    private final NativeConfig settings;

    private NativeRuntime(engine eng, NativeConfig settings) {
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
            NativeConfig s = null;
            try {
                s = NativeConfig.read();
                threads();   // OMP_NUM_THREADS in range before OpenMP starts that many threads
                NativeConfig.checkThreadsTakeEffect(s, System.getenv("OMP_NUM_THREADS"),
                        Runtime.getRuntime().availableProcessors());
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

    NativeConfig settings() { return settings; }

    private static NativeRuntime load(NativeConfig s) {
        if (Boolean.getBoolean("conv4j.onednn.simulateLoadFailure")) {
            throw new UnsatisfiedLinkError("simulated by -Dconv4j.onednn.simulateLoadFailure=true");
        }
        Loader.load(dnnl.class);
        // The ISA cap must be set before the first primitive is created.
        if (!s.maxIsa().equals("default")) {
            dnnl.cpu_isa isa = NativeConfig.parseIsa(s.maxIsa());
            dnnl.set_max_cpu_isa(isa);
        }
        if (s.primitiveCacheCapacity() >= 0) {
            dnnl.set_primitive_cache_capacity(s.primitiveCacheCapacity());
        }
        if (!s.verbose().equals("default")) {
            dnnl.set_verbose(NativeConfig.verboseLevel(s.verbose()));
        }
        engine eng = new engine(engine.kind.cpu, 0);
        eng.retainReference();   // process-wide: never released
        return new NativeRuntime(eng, s);
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
            return Runtime.getRuntime().availableProcessors();
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
        return first > 0 ? first : Runtime.getRuntime().availableProcessors();
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
