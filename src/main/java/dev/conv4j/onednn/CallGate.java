package dev.conv4j.onednn;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * One call at a time into an object's native state, and a close that waits for the call in
 * flight: closing frees the native objects a call on another thread may still be using, which
 * would crash the JVM, not throw. A call pays one compare-and-set and allocates nothing. Used
 * by {@link OneDnnPlan} and {@link OneDnnBaseline}, which word their own errors.
 */
final class CallGate {
    /** What {@link #tryEnter} found. */
    enum Entry { ENTERED, CLOSED, IN_USE }

    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean closed;
    private boolean released;   // written only while holding busy

    /** Starts a call if the object is open and no other call is in flight; {@link #exit} ends it. */
    Entry tryEnter() {
        if (!busy.compareAndSet(false, true)) {
            return closed ? Entry.CLOSED : Entry.IN_USE;
        }
        if (closed) {
            busy.set(false);
            return Entry.CLOSED;
        }
        return Entry.ENTERED;
    }

    /** Ends the call {@link #tryEnter} started. */
    void exit() {
        busy.set(false);
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Closes: from now on no call starts (a caller is told the object is closed, not that it
     * is in use, even while this waits); waits for a call in flight, then runs {@code release}
     * once (a later close does nothing). Spins briefly, then sleeps in steps of 0.1 ms: a call
     * can run for seconds, and a spinning closer would hold one of the cores that call's
     * OpenMP threads compute on.
     */
    void close(Runnable release) {
        closed = true;
        for (int spins = 0; !busy.compareAndSet(false, true); spins++) {
            if (spins < 1_000) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(100_000L);
            }
        }
        try {
            if (!released) {
                released = true;
                release.run();
            }
        } finally {
            busy.set(false);
        }
    }
}
