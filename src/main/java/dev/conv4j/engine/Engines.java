package dev.conv4j.engine;

import dev.conv4j.reference.ReferenceEngine;

/** The engines conv4j ships. */
public final class Engines {
    private Engines() {}

    /** The pure-Java reference engine: the formula, literally; the oracle for checks. */
    public static Engine reference() {
        return ReferenceEngine.INSTANCE;
    }
}
