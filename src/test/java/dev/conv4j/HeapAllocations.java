package dev.conv4j;

import java.lang.management.ManagementFactory;

/**
 * Bytes a call allocates on the Java heap, from the JVM's per-thread allocation counter: the
 * least over three rounds of {@code calls} calls (after 20 untimed ones), less what as many
 * empty calls allocate. Tests compare it with {@code calls}: under one byte a call is none.
 */
public final class HeapAllocations {
    private HeapAllocations() {}

    /** Whether this JVM counts allocations per thread (HotSpot does). */
    public static boolean supported() {
        return ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean;
    }

    public static long of(Runnable call, int calls) {
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            least = Math.min(least, Math.max(0, raw(call, calls) - raw(() -> { }, calls)));
        }
        return least;
    }

    private static long raw(Runnable call, int calls) {
        for (int i = 0; i < 20; i++) {
            call.run();
        }
        long before = allocated();
        for (int i = 0; i < calls; i++) {
            call.run();
        }
        return allocated() - before;
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
