package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.CacheFile;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.onednn.LayoutChoice.Choice;
import dev.conv4j.onednn.LayoutChoice.Key;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AUTO's decisions kept between processes (native-config {@code auto_choices=on}): a plan
 * follows a kept decision without timing, a race's winner is kept, and an entry that is
 * damaged, of another machine or naming an implementation oneDNN no longer builds there is
 * timed again. Each test uses a shape no other test uses, so no decision of this process
 * answers first.
 */
class ChoiceStoreTest {
    private static final ConvSpec SPEC = ConvSpec.conv2d(8, 8, 3).padding(1).build();
    private static final PlanOptions AUTO = PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO);

    private ChoiceStore before;

    @BeforeEach void saveStore() {
        before = LayoutChoice.useStore(null);
    }

    @AfterEach void restoreStore() {
        LayoutChoice.useStore(before);
    }

    private static Key key(Shape src, Direction dir) {
        return new Key(SPEC, src, dir, AUTO.userLayout(), AUTO.training(), AUTO.weightsUpdated());
    }

    /** The name of oneDNN's first implementation of {@code dir} under {@code layout}. */
    private static String firstImplementation(Shape src, Direction dir, LayoutPolicy layout) {
        try (PointerScope scope = new PointerScope()) {
            List<String> names = PassBuilder.implementations(NativeRuntime.get().engine(),
                    DnnlMapping.of(SPEC, src, Layout.CHANNELS_FIRST), true, dir, layout);
            return names.get(0);
        }
    }

    @Test void entries_roundTrip_perMachine_andADamagedOneReadsAsNone(@TempDir Path dir) throws IOException {
        CacheFile file = new CacheFile(dir.resolve(ChoiceStore.FILE_NAME));
        Key k = key(Shape.of(1, 8, 5, 6), Direction.BWD_W);
        new ChoiceStore(file, "machine A").put(k, new Choice(Candidate.CHANNELS_LAST, 2), "jit:avx2");

        ChoiceStore.Kept kept = new ChoiceStore(file, "machine A").get(k);
        assertEquals(new ChoiceStore.Kept(new Choice(Candidate.CHANNELS_LAST, 2), "jit:avx2"), kept);
        assertNull(new ChoiceStore(file, "machine B").get(k), "another machine's decision");
        assertNull(new ChoiceStore(file, "machine A").get(key(Shape.of(1, 8, 5, 7), Direction.BWD_W)), "another shape");

        String text = Files.readString(file.file());
        Files.writeString(file.file(), text.replace("CHANNELS_LAST 2", "SIDEWAYS 2"));
        assertNull(new ChoiceStore(file, "machine A").get(k));
        Files.writeString(file.file(), text.replace("CHANNELS_LAST 2 0 ", "CHANNELS_LAST 2 "));
        assertNull(new ChoiceStore(file, "machine A").get(k), "an entry without its threads");
    }

    @Test void aDecisionOnOneThread_keepsItsThreads(@TempDir Path dir) {
        CacheFile file = new CacheFile(dir.resolve(ChoiceStore.FILE_NAME));
        Key k = key(Shape.of(1, 8, 5, 6), Direction.FWD);
        new ChoiceStore(file, "machine A").put(k, new Choice(Candidate.ANY, 1, 1), "brg_conv_fwd:avx2");
        assertEquals(new ChoiceStore.Kept(new Choice(Candidate.ANY, 1, 1), "brg_conv_fwd:avx2"),
                new ChoiceStore(file, "machine A").get(k));
    }

    @Test void aDecisionInSlices_keepsItsSlices_andAnEntryWithoutSlicesIsWhole(@TempDir Path dir) throws IOException {
        CacheFile file = new CacheFile(dir.resolve(ChoiceStore.FILE_NAME));
        Key k = key(Shape.of(4, 8, 5, 6), Direction.BWD_W);
        new ChoiceStore(file, "machine A").put(k, new Choice(Candidate.ANY, 0, 0, 2), "jit:avx512_core (in slices of 2 images)");
        assertEquals(new ChoiceStore.Kept(new Choice(Candidate.ANY, 0, 0, 2), "jit:avx512_core (in slices of 2 images)"),
                new ChoiceStore(file, "machine A").get(k));
        String text = Files.readString(file.file());
        assertTrue(text.contains("ANY*2 0 0 "), text);
        Files.writeString(file.file(), text.replace("ANY*2 0 0 ", "ANY 0 0 "));
        assertEquals(0, new ChoiceStore(file, "machine A").get(k).choice().sliceImages(), "an entry of before slices");
        Files.writeString(file.file(), text.replace("ANY*2 0 0 ", "ANY*two 0 0 "));
        assertNull(new ChoiceStore(file, "machine A").get(k), "damaged");
    }

    @Test void aPlanFollowsAKeptDecision_withoutTiming(@TempDir Path dir) {
        Shape src = Shape.of(1, 8, 7, 11);
        ChoiceStore store = new ChoiceStore(new CacheFile(dir.resolve(ChoiceStore.FILE_NAME)), "this machine");
        LayoutPolicy[] kept = {LayoutPolicy.CHANNELS_LAST, LayoutPolicy.CHANNELS_FIRST, LayoutPolicy.ANY};
        for (Direction d : Direction.values()) {
            LayoutPolicy layout = kept[d.ordinal()];
            store.put(key(src, d), new Choice(Candidate.of(layout), 0), firstImplementation(src, d, layout));
        }
        LayoutChoice.useStore(new ChoiceStore(store.file(), "this machine"));   // as a later process reads it

        long races = PassBuilder.TIMED_DECISIONS.get();
        try (OneDnnPlan p = (OneDnnPlan) Engines.onednn().prepare(SPEC, src, AUTO)) {
            for (Direction d : Direction.values()) {
                assertEquals(Candidate.of(kept[d.ordinal()]), p.candidate(d), d.label());
            }
        }
        assertEquals(races, PassBuilder.TIMED_DECISIONS.get(), "no candidate was timed");
    }

    @Test void aRaceWinnerIsKept_andALaterProcessFollowsIt(@TempDir Path dir) {
        Shape src = Shape.of(1, 8, 9, 5);
        CacheFile file = new CacheFile(dir.resolve(ChoiceStore.FILE_NAME));
        LayoutChoice.useStore(new ChoiceStore(file, "this machine"));
        long races = PassBuilder.TIMED_DECISIONS.get();
        Candidate[] first = new Candidate[3];
        try (OneDnnPlan p = (OneDnnPlan) Engines.onednn().prepare(SPEC, src, AUTO)) {
            for (Direction d : Direction.values()) {
                first[d.ordinal()] = p.candidate(d);
            }
        }
        assertEquals(races + 3, PassBuilder.TIMED_DECISIONS.get(), "one race per direction");
        ChoiceStore later = new ChoiceStore(file, "this machine");
        for (Direction d : Direction.values()) {
            assertNotNull(later.get(key(src, d)), d.label());
        }

        LayoutChoice.clear();   // this process forgets; the file remembers
        LayoutChoice.useStore(later);
        try (OneDnnPlan p = (OneDnnPlan) Engines.onednn().prepare(SPEC, src, AUTO)) {
            for (Direction d : Direction.values()) {
                assertEquals(first[d.ordinal()], p.candidate(d), d.label());
            }
        }
        assertEquals(races + 3, PassBuilder.TIMED_DECISIONS.get(), "the kept decisions were followed");
    }

    @Test void anEntryNamingAnotherImplementation_isTimedAgain_andReplaced(@TempDir Path dir) {
        Shape src = Shape.of(1, 8, 6, 13);
        ChoiceStore store = new ChoiceStore(new CacheFile(dir.resolve(ChoiceStore.FILE_NAME)), "this machine");
        PlanOptions inference = PlanOptions.inference().withLayout(LayoutPolicy.AUTO);
        Key fwd = new Key(SPEC, src, Direction.FWD, inference.userLayout(), inference.training(), inference.weightsUpdated());
        store.put(fwd, new Choice(Candidate.ANY, 0), "a kernel of another oneDNN");
        LayoutChoice.useStore(store);
        long races = PassBuilder.TIMED_DECISIONS.get();
        try (OneDnnPlan p = (OneDnnPlan) Engines.onednn().prepare(SPEC, src, inference)) {
            assertNotNull(p.implementation(Direction.FWD));
        }
        assertEquals(races + 1, PassBuilder.TIMED_DECISIONS.get(), "the entry was timed again");
        ChoiceStore.Kept replaced = new ChoiceStore(store.file(), "this machine").get(fwd);
        assertNotNull(replaced);
        assertTrue(!replaced.impl().equals("a kernel of another oneDNN"), replaced.impl());
    }

    @Test void anUnwritableStore_costsAWarning_notThePrepare(@TempDir Path dir) throws IOException {
        Path notADirectory = dir.resolve("file");
        Files.writeString(notADirectory, "x");
        ChoiceStore store = new ChoiceStore(new CacheFile(notADirectory.resolve(ChoiceStore.FILE_NAME)), "this machine");
        LayoutChoice.useStore(store);
        try (OneDnnPlan p = (OneDnnPlan) Engines.onednn().prepare(SPEC, Shape.of(1, 8, 13, 6), AUTO)) {
            assertNotNull(p.implementation(Direction.BWD_W));
        }
        assertNull(store.get(key(Shape.of(1, 8, 13, 6), Direction.FWD)));
    }
}
