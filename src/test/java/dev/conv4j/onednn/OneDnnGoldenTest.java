package dev.conv4j.onednn;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.reference.ReferenceGoldenTest;

/** The reference's hand-computed known answers (every kind, rank, padding mode), run on oneDNN. */
class OneDnnGoldenTest extends ReferenceGoldenTest {
    @Override protected Engine engine() {
        return Engines.onednn();
    }
}
