package dev.conv4j.onednn;

import static dev.conv4j.onednn.CandidateRace.MAX_RUNS;
import static dev.conv4j.onednn.CandidateRace.MAX_SHORT_ROUNDS;
import static dev.conv4j.onednn.CandidateRace.MIN_RUNS;
import static dev.conv4j.onednn.CandidateRace.MIN_TIMING_NANOS;
import static dev.conv4j.onednn.CandidateRace.SHORT_WINDOW_NANOS;
import static dev.conv4j.onednn.CandidateRace.decidingTime;
import static dev.conv4j.onednn.CandidateRace.droppedCold;
import static dev.conv4j.onednn.CandidateRace.moreRounds;
import static dev.conv4j.onednn.CandidateRace.screenedOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How long AUTO's race goes on, and which candidates it drops after one run (no native code). */
class CandidateRaceRulesTest {
    private static final long MS = 1_000_000L;

    @Test void everyRaceTimesAtLeastTheMinimumRounds() {
        assertTrue(moreRounds(MIN_RUNS - 1, 10 * MIN_TIMING_NANOS, false));
        assertTrue(moreRounds(MIN_RUNS - 1, 10 * SHORT_WINDOW_NANOS, true));
    }

    @Test void longRounds_stopAtTheRunCap_shortOnes_goOnForTheWindow() {
        assertFalse(moreRounds(MAX_RUNS, 10 * MS, false));
        assertTrue(moreRounds(MAX_RUNS, 10 * MS, true));
        assertTrue(moreRounds(MAX_SHORT_ROUNDS - 1, SHORT_WINDOW_NANOS - MS, true));
    }

    @Test void shortRounds_endAtTheWindowOrTheRoundCap() {
        assertFalse(moreRounds(MAX_RUNS, SHORT_WINDOW_NANOS + MS, true));
        assertFalse(moreRounds(MAX_SHORT_ROUNDS, MS, true));
    }

    @Test void aSlowFirstRun_isDropped_onlyIfItIsLong() {
        assertTrue(screenedOut(20 * MS, 10 * MS));
        assertFalse(screenedOut(12 * MS, 10 * MS));
        // 3x the fastest, but 15 µs: kept (one short run says little).
        assertFalse(screenedOut(15_000, 5_000));
    }

    @Test void aColdRun_dropsOnlyAKernelFarBehind_andLong() {
        assertTrue(droppedCold(206 * MS, 6 * MS));      // a backward-weights kernel 35x the best
        assertFalse(droppedCold(30 * MS, 10 * MS));     // 3x: it gets a warm run
        assertFalse(droppedCold(15 * MS, 2 * MS));      // 7.5x, but a cold run that short may be page faults
    }

    @Test void theMedianRunDecides_butTheFastestInARaceOfShortRounds() {
        // A kernel whose runs fall into two modes against a steady one (µs, as timed).
        long[] twoModes = {2_800, 5_700, 5_600, 2_900, 5_800, 5_700, 5_750};
        long[] steady = {3_000, 3_100, 2_950, 3_050, 3_000, 3_020, 3_010};
        assertTrue(decidingTime(steady, 7, false) < decidingTime(twoModes, 7, false), "by the median, the steady one");
        assertTrue(decidingTime(twoModes, 7, true) < decidingTime(steady, 7, true), "by the fastest run, the other");
        assertEquals(3_000, decidingTime(new long[] {3_100, 2_950, 3_000, 9_000}, 4, false), "the lower median of four");
        assertEquals(2_950, decidingTime(new long[] {3_100, 2_950, 3_000, 9_000, 0}, 4, true), "only the runs counted");
    }
}
