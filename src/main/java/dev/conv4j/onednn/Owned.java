package dev.conv4j.onednn;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.javacpp.Pointer;

/** Native objects one owner keeps alive; released together, newest first, exactly once. */
final class Owned implements AutoCloseable {
    private final ArrayDeque<Pointer> items = new ArrayDeque<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Keeps {@code p} alive past any PointerScope, the caller's or ours, until {@link #close}. */
    <P extends Pointer> P own(P p) {
        if (closed.get()) {
            throw new IllegalStateException("owner is closed");
        }
        items.push(p.retainReference());
        return p;
    }

    @Override public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;   // idempotent
        }
        while (!items.isEmpty()) {
            items.pop().releaseReference();
        }
    }
}
