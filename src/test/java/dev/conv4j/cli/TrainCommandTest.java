package dev.conv4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.cli.CliTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code conv4j train} in-process: its output contract and its one-line errors. */
class TrainCommandTest {
    @TempDir Path dir;

    private static Run run(String... args) {
        return CliTest.run(args);
    }

    private static void assertOneLineError(Run r, String fragment) {
        CliTest.assertOneLineError(r, Main.BAD_INPUT, fragment);
    }

    @Test void oneDigitsEpochEndsWithTheAccuracyLineAndWritesTheCurve() throws Exception {
        Path png = dir.resolve("curve.png");
        Run r = run("train", "--dataset", "digits", "--epochs", "1", "--seed", "3", "--curve", png.toString());
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(lines.size() - 1).matches("test accuracy: [01]\\.\\d{4}"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches(
                "epoch 1/1  loss \\d+\\.\\d{4}  test accuracy [01]\\.\\d{4}  time .* images/s  conv .*")), r.out());
        assertTrue(r.out().contains("convolutions on onednn"), r.out());
        byte[] head = Files.readAllBytes(png);
        assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', "a PNG file");
    }

    @Test void badValuesAreOneLineErrors() {
        assertOneLineError(run("train", "--dataset", "cifar"), "dataset: unknown data set 'cifar', expected digits or fashion-mnist");
        assertOneLineError(run("train", "--dataset", "digits", "--engine", "gpu"), "engine: unknown engine 'gpu'");
        assertOneLineError(run("train", "--dataset", "digits", "--optimizer", "rmsprop"), "optimizer: unknown optimizer 'rmsprop'");
        assertOneLineError(run("train", "--dataset", "digits", "--schedule", "step"), "schedule: unknown schedule 'step'");
        assertOneLineError(run("train", "--dataset", "digits", "--epochs", "-1"), "epochs: must be >= 1, got -1");
        assertOneLineError(run("train"), "--dataset");
    }

    /** 0 is a value like any other, not "the default": it is rejected as -1 is, before any training. */
    @Test void zeroEpochsBatchOrRateIsRejectedNotTheDefault() {
        assertOneLineError(run("train", "--dataset", "digits", "--epochs", "0"), "epochs: must be >= 1, got 0");
        assertOneLineError(run("train", "--dataset", "digits", "--batch", "0"), "batch: must be >= 1, got 0");
        assertOneLineError(run("train", "--dataset", "digits", "--batch", "-3"), "batch: must be >= 1, got -3");
        assertOneLineError(run("train", "--dataset", "digits", "--lr", "0"), "lr: must be > 0 and finite, got 0.0");
        assertOneLineError(run("train", "--dataset", "digits", "--lr", "-0.5"), "lr: must be > 0 and finite, got -0.5");
        assertOneLineError(run("train", "--dataset", "digits", "--lr", "NaN"), "lr: must be > 0 and finite, got NaN");
    }

    /** An option the run would not use is rejected, not ignored; a bad momentum fails before any data is read. */
    @Test void optionsThatDoNotApplyAreRejected() {
        assertOneLineError(run("train", "--dataset", "digits", "--momentum", "NaN"),
                "momentum: only --optimizer sgd takes a momentum, got NaN with --optimizer adam");
        assertOneLineError(run("train", "--dataset", "digits", "--optimizer", "adam", "--momentum", "0.5"),
                "momentum: only --optimizer sgd takes a momentum, got 0.5 with --optimizer adam");
        assertOneLineError(run("train", "--dataset", "digits", "--optimizer", "sgd", "--momentum", "NaN"),
                "momentum: must be in [0, 1), got NaN");
        assertOneLineError(run("train", "--dataset", "fashion-mnist", "--data", dir.toString(), "--optimizer", "sgd",
                "--momentum", "1"), "momentum: must be in [0, 1), got 1.0");
        assertOneLineError(run("train", "--dataset", "digits", "--data", "/nonexistent"),
                "data: only --dataset fashion-mnist reads a data directory, got '/nonexistent' with --dataset digits");
    }

    /** A corrupt .gz is bad input named by the data set and the file, without a JDK exception name. */
    @Test void aCorruptGzipFileIsOneLineNamingTheFile() throws Exception {
        Path images = dir.resolve("train-images-idx3-ubyte.gz");
        Files.write(images, new byte[] {0x1f, (byte) 0x8b, 7, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3});
        for (String f : new String[] {"train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
            Files.write(dir.resolve(f), new byte[] {0, 0, 8, 1, 0, 0, 0, 0});
        }
        Run r = run("train", "--dataset", "fashion-mnist", "--data", dir.toString());
        assertOneLineError(r, "fashion-mnist: '" + images + "' is not a gzip file");
        assertTrue(!r.err().contains("Exception"), r.err());
    }

    /** The curve's file is checked before training: a bad one is not found after the last epoch. */
    @Test void aCurveThatCannotBeWrittenFailsBeforeTraining() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        Run r = run("train", "--dataset", "digits", "--epochs", "1", "--curve", file.resolve("curve.png").toString());
        assertOneLineError(r, "curve: cannot write '" + file.resolve("curve.png") + "': '" + file.toAbsolutePath()
                + "' is not a directory");
        assertEquals("", r.out());
        if (Files.isDirectory(Path.of("/proc/self"))) {
            r = run("train", "--dataset", "digits", "--epochs", "1", "--curve", "/proc/x.png");
            assertOneLineError(r, "curve: cannot write '/proc/x.png': directory '/proc' does not take new files");
            assertEquals("", r.out());
        }
        r = run("train", "--dataset", "digits", "--epochs", "1", "--curve", dir.resolve("curve.jpg").toString());
        assertOneLineError(r, "curve: expected a .png file name, got '" + dir.resolve("curve.jpg") + "'");
        assertEquals("", r.out());
        assertTrue(!Files.exists(dir.resolve("curve.jpg")));
    }

    @Test void missingFashionMnistSaysHowToInstallIt() {
        Run r = run("train", "--dataset", "fashion-mnist", "--data", dir.toString());
        assertOneLineError(r, "apt-get install dataset-fashion-mnist");
    }

    /** A mistyped --data is named as such, not answered with how to install the data set. */
    @Test void aDataDirectoryThatIsNotThereIsNamed() {
        Run r = run("train", "--dataset", "fashion-mnist", "--data", dir.resolve("nowhere").toString());
        assertOneLineError(r, "data: no directory '" + dir.resolve("nowhere") + "'");
        assertOneLineError(run("train", "--dataset", "fashion-mnist", "--data", ""),
                "data: must not be empty: give the directory of the IDX files");
    }
}
