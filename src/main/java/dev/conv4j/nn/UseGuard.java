package dev.conv4j.nn;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Detects overlapping calls on an object that is confined to one thread at a time (a
 * {@link Layer}, a model): the second caller gets an {@link IllegalStateException} instead of
 * corrupting shared state. One compare-and-set per call, no allocation; the set and clear also
 * publish the object's state to the next thread that uses it. Layers of other packages (e.g.
 * {@code dev.conv4j.train}'s Java layers) use it too, so that every layer keeps {@link Layer}'s
 * promise alike.
 */
public final class UseGuard {
    private final AtomicReference<Thread> user = new AtomicReference<>();

    /**
     * Marks the start of a call on {@code owner}; pair it with {@link #exit()} in a
     * {@code finally} block.
     *
     * @throws IllegalStateException if another thread is inside a call on the same object
     */
    public void enter(Object owner) {
        Thread me = Thread.currentThread();
        if (!user.compareAndSet(null, me)) {
            Thread other = user.get();
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "%s is in use by thread '%s': a layer is not thread-safe; give each thread its own layer",
                    owner, other == null ? "?" : other.getName()));
        }
    }

    /** Marks the end of the call {@link #enter} began. */
    public void exit() {
        user.set(null);
    }
}
