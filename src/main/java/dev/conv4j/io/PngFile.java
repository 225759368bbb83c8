package dev.conv4j.io;

import dev.conv4j.Check;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The rule for a PNG file a command will write at the end of its run ({@code bench --chart},
 * {@code train --curve}): checked before the run, so that a bad name or an unwritable place
 * fails at once and not after minutes of work.
 */
public final class PngFile {
    private PngFile() {}

    /**
     * Checks that {@code file} has a {@code .png} name, is not a directory, and can be written:
     * its directory exists and takes a new file, or the nearest existing ancestor does (the
     * missing directories are created when the file is written).
     *
     * @param param the option's name, which starts the message ({@code chart}, {@code curve})
     * @param file  the file to be written; not created, not modified
     * @throws IllegalArgumentException (one line: the option, the file and the rule) if not
     */
    public static void checkWritable(String param, Path file) {
        Check.arg(file.getFileName() != null && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png"),
                "%s: expected a .png file name, got '%s'", param, file);
        Check.arg(!Files.isDirectory(file), "%s: '%s' is a directory, expected a .png file", param, file);
        Path dir = file.toAbsolutePath().normalize().getParent();
        while (dir != null && !Files.exists(dir)) {
            dir = dir.getParent();
        }
        Check.arg(dir != null && Files.isDirectory(dir), "%s: cannot write '%s': '%s' is not a directory", param, file, dir);
        // Files.isWritable trusts permission bits, which root ignores and /proc or a read-only
        // mount defeat: creating a file is the test that holds.
        try {
            Files.delete(Files.createTempFile(dir, ".conv4j-", ".probe"));
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s: cannot write '%s': directory '%s' does not take new files", param, file, dir), e);
        }
        Check.arg(!Files.exists(file) || Files.isWritable(file), "%s: cannot write '%s': the file is read-only", param, file);
    }
}
