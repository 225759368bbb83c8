package dev.conv4j.onednn;

import com.sun.jna.Callback;
import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Loader;

/**
 * The OpenMP thread count of the calling thread, for a pass that runs on fewer threads than
 * the process's ({@link Pass#threads}). A problem of a few microseconds runs faster on one
 * thread than on two, which spend more time meeting than computing (on the AVX2 machine of
 * {@code docs/perf-notes.md}, 1.9–3.5 µs against 2.7–5.4 µs per call).
 *
 * <p>oneDNN sizes a primitive for the thread count OpenMP reports when its primitive
 * descriptor is created, and must run it on that count: a pass is built and run inside
 * {@link #on} / {@link #enter} with the same count. OpenMP keeps the count per thread
 * ({@code omp_set_num_threads}), so other threads and oneDNN calls outside a pass keep the
 * process's count. The functions are those of the {@code libgomp} the JavaCPP presets loaded
 * with oneDNN, called through JNA; without them (another threading runtime, another OpenMP)
 * {@link #available()} is false and every pass runs on the process's threads.
 *
 * <p>It also opens a parallel region of OpenMP's own threads for {@link ThreadParts}, each
 * thread running Java code of its own ({@link #region}).
 */
final class OpenMpThreads {
    private OpenMpThreads() {}

    private static final boolean AVAILABLE = bind();

    /**
     * The count a thread has outside a pass (OpenMP's default, {@code OMP_NUM_THREADS}), which
     * {@link #exit} restores: read once, as reading it per call would add a third native call
     * (JNA's take about 0.1 µs each here) to calls of a few microseconds.
     */
    private static final int PROCESS_THREADS = AVAILABLE ? omp_get_max_threads() : 0;

    private static native void omp_set_num_threads(int n);

    private static native int omp_get_max_threads();

    private static native int omp_get_thread_num();

    private static native int omp_get_num_threads();

    // The region as GCC's OpenMP code opens one: the team's other threads call fn(data), the
    // calling thread does its own share in between, and _end waits for the team.
    private static native void GOMP_parallel_start(Worker fn, long data, int threads);

    private static native void GOMP_parallel_end();

    /**
     * Java code that OpenMP's other threads of a {@link #region} run, with the region's {@code
     * data}. JNA calls it directly, with no boxing: a region allocates nothing on the Java heap.
     */
    interface Worker extends Callback {
        void invoke(long data);
    }

    /** Loads oneDNN first ({@link NativeRuntime}): its OpenMP library is the one to bind. */
    private static boolean bind() {
        try {
            NativeRuntime.get();
        } catch (RuntimeException e) {
            return false;
        }
        if (dnnl.dnnl_version().cpu_runtime() != dnnl.DNNL_RUNTIME_OMP) {
            return false;
        }
        String path = null;
        for (Map.Entry<String, String> lib : Loader.getLoadedLibraries().entrySet()) {
            if (lib.getKey().startsWith("gomp")) {
                path = lib.getValue();
            }
        }
        if (path == null) {
            return false;
        }
        try {
            Native.register(OpenMpThreads.class, NativeLibrary.getInstance(path));
            return true;
        } catch (LinkageError | RuntimeException e) {   // JNA missing, or no such functions there
            return false;
        }
    }

    /** Whether a pass can run on its own thread count. */
    static boolean available() {
        return AVAILABLE;
    }

    /** What {@code conv4j info} says of it. */
    static String describe() {
        if (!AVAILABLE) {
            return "every pass on the process's threads (omp_set_num_threads not found)";
        }
        if (PROCESS_THREADS <= 1) {
            return "every pass on one thread (the process has one)";
        }
        return String.format(Locale.ROOT, "a pass under %d µs also raced on one thread (omp_set_num_threads)",
                PassBuilder.ONE_THREAD_BELOW_NANOS / 1000);
    }

    /** The calling thread's OpenMP thread count (0 when not {@link #available()}). */
    static int current() {
        return AVAILABLE ? omp_get_max_threads() : 0;
    }

    /**
     * Sets the calling thread's count to {@code threads} (0: leave it) and returns what
     * {@link #exit} restores. Not nested: a pass enters once per call. Without OpenMP's
     * functions nothing changes, for the pass's creation and its runs alike.
     */
    static int enter(int threads) {
        if (threads == 0 || !AVAILABLE) {
            return 0;
        }
        omp_set_num_threads(threads);
        return PROCESS_THREADS;
    }

    /** Restores what {@link #enter} returned: the process's count. */
    static void exit(int before) {
        if (before != 0) {
            omp_set_num_threads(before);
        }
    }

    /** The thread count of the process (OpenMP's default), 0 when not {@link #available()}. */
    static int processThreads() {
        return PROCESS_THREADS;
    }

    /**
     * Runs a parallel region of {@code threads} OpenMP threads: the team's other threads call
     * {@code worker} ({@link #attachAsDaemons}) with {@code data}, while the calling thread runs
     * {@code own} with the team's size. OpenMP may give fewer threads than asked (a nested
     * region gets one). Code inside runs oneDNN on one thread: a primitive or {@code sgemm}
     * called in a parallel region opens no region of its own. Only when {@link #available()}.
     */
    static void region(Worker worker, long data, int threads, IntConsumer own) {
        GOMP_parallel_start(worker, data, threads);
        try {
            own.accept(omp_get_num_threads());
        } finally {
            GOMP_parallel_end();
        }
    }

    /**
     * Makes the OpenMP threads that call {@code worker} attach to the JVM, on their first call,
     * as daemon threads that stay attached (JNA would otherwise attach and detach a thread on
     * every call). Once per worker, before its first region.
     */
    static void attachAsDaemons(Worker worker) {
        Native.setCallbackThreadInitializer(worker, new CallbackThreadInitializer(true, false, "conv4j-openmp-worker"));
    }

    /** Inside a {@link #region}: the calling thread's number in the team, 0 for the thread that opened it. */
    static int threadNumber() {
        return omp_get_thread_num();
    }

    /** {@code body} on {@code threads} threads of the calling thread (0: the process's). */
    static <T> T on(int threads, Supplier<T> body) {
        int before = enter(threads);
        try {
            return body.get();
        } finally {
            exit(before);
        }
    }
}
