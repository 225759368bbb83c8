package dev.conv4j.nn;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Detects overlapping calls on an object that is confined to one thread at a time: the
 * second caller gets an {@link IllegalStateException} instead of corrupting shared state.
 * One compare-and-set per call; the set and clear also publish the object's state to the
 * next thread that uses it.
 */
final class UseGuard {
    private final AtomicReference<Thread> user = new AtomicReference<>();

    void enter(Object owner) {
        Thread me = Thread.currentThread();
        if (!user.compareAndSet(null, me)) {
            Thread other = user.get();
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "%s is in use by thread '%s': a layer is not thread-safe; give each thread its own layer",
                    owner, other == null ? "?" : other.getName()));
        }
    }

    void exit() {
        user.set(null);
    }
}
