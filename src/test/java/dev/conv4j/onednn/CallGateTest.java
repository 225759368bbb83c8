package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The gate of plans and baselines, without native code: one call at a time, and a close that waits for it. */
class CallGateTest {

    @Test
    void oneCallAtATimeAndNoneAfterClose() {
        CallGate gate = new CallGate();
        assertEquals(CallGate.Entry.ENTERED, gate.tryEnter());
        assertEquals(CallGate.Entry.IN_USE, gate.tryEnter());
        gate.exit();
        assertEquals(CallGate.Entry.ENTERED, gate.tryEnter());
        gate.exit();
        AtomicInteger released = new AtomicInteger();
        gate.close(released::incrementAndGet);
        gate.close(released::incrementAndGet);
        assertEquals(1, released.get(), "released once");
        assertTrue(gate.isClosed());
        assertEquals(CallGate.Entry.CLOSED, gate.tryEnter());
    }

    @Test
    void closeWaitsForTheCallInFlight() throws Exception {
        CallGate gate = new CallGate();
        CountDownLatch inCall = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        AtomicInteger callStillRunningAtRelease = new AtomicInteger(-1);
        AtomicInteger running = new AtomicInteger();
        Thread caller = new Thread(() -> {
            assertEquals(CallGate.Entry.ENTERED, gate.tryEnter());
            running.set(1);
            inCall.countDown();
            try {
                finish.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.set(0);
            gate.exit();
        }, "caller");
        caller.start();
        assertTrue(inCall.await(30, TimeUnit.SECONDS));
        Thread closer = new Thread(() -> gate.close(() -> callStillRunningAtRelease.set(running.get())), "closer");
        closer.start();
        // close() marks the gate closed at once, then waits for the call: wait for the mark
        // (a fixed sleep failed when the closer thread was scheduled late).
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!gate.isClosed() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        Thread.sleep(20);   // time for close() to return early, were it wrong
        assertTrue(closer.isAlive(), "close returned while a call was in flight");
        assertEquals(-1, callStillRunningAtRelease.get(), "released while the call ran");
        assertTrue(gate.isClosed(), "no call starts while close waits");
        assertEquals(CallGate.Entry.CLOSED, gate.tryEnter(), "closed, not in use");
        finish.countDown();
        closer.join(30_000);
        caller.join(30_000);
        assertEquals(0, callStillRunningAtRelease.get(), "released while the call ran");
        assertEquals(CallGate.Entry.CLOSED, gate.tryEnter());
    }
}
