package dev.conv4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Files that are not regular files, for the tests of what reads them. */
public final class TestFiles {
    private TestFiles() {}

    /** A new FIFO {@code dir/name}, or {@code null} where {@code mkfifo} is missing. */
    public static Path fifo(Path dir, String name) throws IOException, InterruptedException {
        Path f = dir.resolve(name);
        try {
            Process p = new ProcessBuilder("mkfifo", f.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0 && Files.exists(f) ? f : null;
        } catch (IOException e) {
            return null;
        }
    }
}
