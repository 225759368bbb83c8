package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.engine.Engines;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A short real training run: the whole pipeline must learn the digits. */
class TrainingTest {

    @Test void threeEpochsOnDigitsAreFarBetterThanChance() {
        Dataset.Split split = Datasets.digits().split(0.2, TrainingRun.DIGITS_SPLIT_SEED);
        try (Sequential model = Models.digits(Engines.onednn(), 5)) {
            Optimizer adam = new Adam(model.parameters(), 0.002);
            double before = Trainer.accuracy(model, split.test(), 512);
            List<Trainer.Epoch> epochs = Trainer.fit(model, adam, split.train(), split.test(),
                    new Trainer.Settings(3, 32, 5, 512, true), new Trainer.Listener() {});
            assertEquals(3, epochs.size());
            Trainer.Epoch last = epochs.get(2);
            // Chance is 0.1; an untrained network is near it.
            assertTrue(before < 0.3, "untrained accuracy " + before);
            assertTrue(last.testAccuracy() >= 0.8, "accuracy after 3 epochs: " + last.testAccuracy());
            assertTrue(last.trainLoss() < epochs.get(0).trainLoss(), "the loss must fall");
            assertTrue(last.convSeconds() > 0 && last.otherSeconds() > 0 && last.convSeconds() < last.trainSeconds());
            assertEquals(0.002, adam.learningRate(), 0, "the schedule restores the base rate");
        }
    }
}
