package dev.conv4j.cli;

import dev.conv4j.Check;
import dev.conv4j.train.TrainingRun;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code conv4j train}: trains a small CNN whose convolutions are conv4j layers on a real
 * data set and ends with {@code test accuracy: 0.XXXX}. The work is {@link TrainingRun}'s.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Trains a small CNN (convolutions and dense layers on conv4j, the rest in plain Java) and prints, per epoch,",
            "the training loss, test accuracy, time, images/s and the time in convolutions vs the rest;",
            "the last line is 'test accuracy: 0.XXXX'. --engine runs the convolutions and the dense layers' products.",
            "digits: the UCI optical digits shipped with conv4j (8x8, 1,797 images, 20%% held out).",
            "fashion-mnist: the IDX files of Debian's dataset-fashion-mnist package, or --data DIR."})
public final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--dataset", required = true, paramLabel = "digits|fashion-mnist",
            description = "The data set.")
    String dataset;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set (default: digits 20, fashion-mnist 10).")
    Integer epochs;

    @Option(names = "--batch", paramLabel = "B", description = "Images per step (default: digits 32, fashion-mnist 100).")
    Integer batch;

    @Option(names = "--lr", paramLabel = "RATE", description = "Learning rate (default: Adam digits 0.002, fashion-mnist 0.001).")
    Double lr;

    @Option(names = "--optimizer", paramLabel = "adam|sgd", defaultValue = "adam",
            description = "Adam or SGD with momentum (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--momentum", paramLabel = "M",
            description = "SGD momentum, with --optimizer sgd only (default: 0.9).")
    Double momentum;

    @Option(names = "--schedule", paramLabel = "cosine|constant", defaultValue = "cosine",
            description = "Learning rate over the epochs: cosine decay towards 0 or constant (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed of the initial weights, dropout masks and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin EngineOption engineOption;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Directory of the Fashion-MNIST IDX files, with --dataset fashion-mnist only "
                    + "(default: /usr/share/datasets/fashion-mnist).")
    Path data;

    @Option(names = "--curve", paramLabel = "FILE.png", description = "Write a PNG of loss and accuracy per epoch.")
    Path curve;

    @Option(names = "--profile", description = "After training, print the time spent in each layer and the optimizer.")
    boolean profile;

    @Override public Integer call() {
        String s = schedule.trim().toLowerCase(Locale.ROOT);
        Check.arg(s.equals("cosine") || s.equals("constant"),
                "schedule: unknown schedule '%s', expected cosine or constant", schedule);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainingRun.Config config = new TrainingRun.Config(dataset, epochs, batch, lr, optimizer, momentum, seed,
                s.equals("cosine"), engineOption.engine(), data, curve, System.console() != null, profile);
        TrainingRun.run(config, out, err);
        out.flush();
        return Main.OK;
    }
}
