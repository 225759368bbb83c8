package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.engine.Engines;
import dev.conv4j.nn.Conv2d;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's training example, as written there (one epoch instead of five). */
class ReadmeTrainingExampleTest {

    @Test void readmeExampleRuns() {
        int epochs = 1;
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));   // the example prints its epochs
        try {
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
                                System.out.println(TrainingRun.epochLine(e));
                            }
                        });
                double accuracy = history.get(history.size() - 1).testAccuracy();
                // --- end ---
                assertEquals(1, history.size());
                assertTrue(accuracy > 0.5, "accuracy " + accuracy);
            }
        } finally {
            System.setOut(stdout);
        }
        assertTrue(printed.toString(StandardCharsets.UTF_8).startsWith("epoch 1/1"), printed.toString(StandardCharsets.UTF_8));
    }

    /** The README shows this test's code between the markers, line for line (indentation aside). */
    @Test void readmeShowsThisCode() throws IOException {
        List<String> test = Files.readAllLines(Path.of("src/test/java/dev/conv4j/train/ReadmeTrainingExampleTest.java"));
        int from = test.indexOf(test.stream().filter(l -> l.contains("// --- README: Training ---")).findFirst().orElseThrow());
        int to = test.indexOf(test.stream().filter(l -> l.contains("// --- end ---")).findFirst().orElseThrow());
        String readme = Files.readString(Path.of("README.md"));
        int lines = 0;
        StringBuilder expected = new StringBuilder();
        for (String l : test.subList(from + 1, to)) {
            expected.append(l.strip()).append('\n');
            lines++;
        }
        StringBuilder shown = new StringBuilder();
        for (String l : readme.split("\n")) {
            shown.append(l.strip()).append('\n');
        }
        assertEquals(13, lines);
        assertTrue(shown.toString().contains(expected), "README.md does not show the test's example:\n" + expected);
    }
}
