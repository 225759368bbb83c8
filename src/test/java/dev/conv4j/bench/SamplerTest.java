package dev.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sampler on a synthetic clock: tasks advance it by scripted durations, nothing sleeps. */
class SamplerTest {

    /** A clock that only moves when a scripted task runs. */
    static final class FakeClock {
        long now;
        final List<String> log = new ArrayList<>();

        Runnable task(String name, long... durations) {
            int[] i = {0};
            return () -> {
                now += durations[Math.min(i[0]++, durations.length - 1)];
                log.add(name);
            };
        }
    }

    @Test
    void warmUpRunsAreNotCountedAndStatsComeFromTimedRuns() {
        FakeClock c = new FakeClock();
        // 2 warm-up runs of 100 ms (excluded), then 5 timed runs.
        Runnable task = c.task("a", 100_000_000, 100_000_000, 3_000_000, 1_000_000, 5_000_000, 2_000_000, 4_000_000);
        Sampler s = new Sampler(new Sampler.Policy(2, 0, 5, 5, 0), () -> c.now);
        Stats st = s.sample(task);
        assertEquals(5, st.count());
        assertEquals(3.0, st.medianMs(), 1e-12);
        assertEquals(1.0, st.minMs(), 1e-12);
        assertEquals(5.0, st.maxMs(), 1e-12);
        assertEquals(7, c.log.size());
    }

    @Test
    void warmUpLastsAtLeastItsTime() {
        FakeClock c = new FakeClock();
        Runnable task = c.task("a", 1_000_000);  // 1 ms each
        Sampler s = new Sampler(new Sampler.Policy(1, 10_000_000, 3, 3, 0), () -> c.now);
        s.sample(task);
        assertEquals(10 + 3, c.log.size());
    }

    @Test
    void timeBudgetBoundsTheSamplesOfAFastTask() {
        FakeClock c = new FakeClock();
        Runnable task = c.task("a", 1_000_000);  // 1 ms each, budget 50 ms
        Sampler s = new Sampler(new Sampler.Policy(0, 0, 5, 1000, 50_000_000), () -> c.now);
        Stats st = s.sample(task);
        assertEquals(50, st.count());
    }

    @Test
    void minimumSamplesEvenWhenOneRunExceedsTheBudget() {
        FakeClock c = new FakeClock();
        Runnable task = c.task("a", 2_000_000_000L);  // 2 s each, budget 1 s
        Sampler s = new Sampler(new Sampler.Policy(0, 0, 5, 1000, 1_000_000_000L), () -> c.now);
        assertEquals(5, s.sample(task).count());
    }

    @Test
    void maximumSamplesCapAnInstantTask() {
        FakeClock c = new FakeClock();
        Runnable task = c.task("a", 10);
        Sampler s = new Sampler(new Sampler.Policy(0, 0, 1, 40, 1_000_000_000L), () -> c.now);
        assertEquals(40, s.sample(task).count());
    }

    @Test
    void interleavedAlternatesTheTwoTasksAndSeparatesTheirTimes() {
        FakeClock c = new FakeClock();
        Runnable a = c.task("a", 2_000_000);
        Runnable b = c.task("b", 1_000_000);
        Sampler s = new Sampler(new Sampler.Policy(1, 0, 4, 4, 0), () -> c.now);
        Stats[] st = s.interleaved(a, b);
        assertEquals(2.0, st[0].medianMs(), 1e-12);
        assertEquals(1.0, st[1].medianMs(), 1e-12);
        assertEquals(4, st[0].count());
        assertEquals(4, st[1].count());
        // warm-up a b, then a b | b a | a b | b a
        assertEquals(List.of("a", "b", "a", "b", "b", "a", "a", "b", "b", "a"), c.log);
    }

    @Test
    void whatRunsBeforeATaskRunsBeforeEveryRunAndIsNotTimed() {
        FakeClock c = new FakeClock();
        Sampler.Task a = new Sampler.Task(c.task("before", 10_000_000), c.task("a", 1_000_000, 3_000_000, 2_000_000));
        Sampler.Task b = Sampler.Task.of(c.task("b", 4_000_000));
        Sampler s = new Sampler(new Sampler.Policy(1, 0, 2, 2, 0), () -> c.now);
        Stats[] st = s.interleaved(a, b);
        // warm-up: before a b; then before a b | b before a
        assertEquals(List.of("before", "a", "b", "before", "a", "b", "b", "before", "a"), c.log);
        assertEquals(2, st[0].count());
        assertEquals(2.0, st[0].minMs(), 1e-12);    // the runs of 3 and 2 ms, not the 10 ms before them
        assertEquals(3.0, st[0].maxMs(), 1e-12);
        assertEquals(4.0, st[1].maxMs(), 1e-12);
    }

    @Test
    void policyForSecondsAndItsChecks() {
        Sampler.Policy p = Sampler.Policy.forSeconds(1.0);
        assertEquals(1_000_000_000L, p.budgetNanos());
        assertEquals(200_000_000L, p.warmupNanos());
        assertEquals(5, p.minSamples());
        assertEquals("seconds: must be in (0, 3600], got 0.0",
                assertThrows(IllegalArgumentException.class, () -> Sampler.Policy.forSeconds(0)).getMessage());
        assertEquals("samples: maximum 2 must be >= minimum 3",
                assertThrows(IllegalArgumentException.class, () -> new Sampler.Policy(0, 0, 3, 2, 0)).getMessage());
    }
}
