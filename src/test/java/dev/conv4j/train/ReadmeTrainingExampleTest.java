package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.engine.Engines;
import dev.conv4j.nn.Conv2d;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's training example, as written there (one epoch instead of five). */
class ReadmeTrainingExampleTest {

    @Test void readmeExampleRuns() {
        int epochs = 1;
        // --- README: Training ---
        Dataset.Split data = Datasets.digits().split(0.2, 42);       // 8x8 digits, 20% held out
        try (Sequential model = new Sequential(
                Conv2d.builder(1, 16, 3).padding("same").engine(Engines.onednn()).seed(1).build(),
                new ReLU(), new MaxPool2d(2),                       // [N, 16, 4, 4]
                new Flatten(), new Dense(16 * 4 * 4, 10, 2))) {
            Optimizer adam = new Adam(model.parameters(), 0.01);
            List<Trainer.Epoch> history = Trainer.fit(model, adam, data.train(), data.test(),
                    new Trainer.Settings(epochs, 32, 3, 256, false), new Trainer.Listener() {
                        @Override public void epoch(Trainer.Epoch e) {
                            // System.out.println(TrainingRun.epochLine(e));
                        }
                    });
            double accuracy = history.get(history.size() - 1).testAccuracy();
            // --- end ---
            assertEquals(1, history.size());
            assertTrue(accuracy > 0.5, "accuracy " + accuracy);
        }
    }
}
