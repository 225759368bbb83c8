package dev.conv4j.cli;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import picocli.CommandLine.Option;

/**
 * {@code --engine onednn|reference|best}, shared by {@code run} and {@code train}; a picocli
 * {@code @Mixin}. ({@code bench} has its own, without {@code best}: it times the engine it names.)
 */
public final class EngineOption {

    @Option(names = "--engine", paramLabel = "onednn|reference|best", defaultValue = "onednn",
            description = "onednn, reference or best: oneDNN where its native library loads, else the reference "
                    + "engine with a one-line warning (default: ${DEFAULT-VALUE}).")
    String engine;

    /**
     * The engine named.
     *
     * @throws IllegalArgumentException for an unknown name, naming the option and the values
     */
    public Engine engine() {
        return Engines.byName(engine);
    }
}
