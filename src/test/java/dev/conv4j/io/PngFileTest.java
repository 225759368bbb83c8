package dev.conv4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngFileTest {
    @TempDir Path dir;

    private static String error(Path file) {
        return assertThrows(IllegalArgumentException.class, () -> PngFile.checkWritable("chart", file)).getMessage();
    }

    @Test void acceptsAPngInAWritableOrCreatableDirectoryAndCreatesNothing() throws IOException {
        PngFile.checkWritable("chart", dir.resolve("a.png"));
        PngFile.checkWritable("chart", dir.resolve("a.PNG"));
        PngFile.checkWritable("curve", dir.resolve("new/deeper/a.png"));
        Files.writeString(dir.resolve("old.png"), "x");
        PngFile.checkWritable("chart", dir.resolve("old.png"));
        assertFalse(Files.exists(dir.resolve("new")));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(1, left.count(), "only old.png: the probe file is gone");
        }
    }

    @Test void rejectsOtherNamesDirectoriesAndUnwritablePlaces() throws IOException {
        assertEquals("chart: expected a .png file name, got '" + dir.resolve("a.jpg") + "'", error(dir.resolve("a.jpg")));
        Files.createDirectory(dir.resolve("d.png"));
        assertEquals("chart: '" + dir.resolve("d.png") + "' is a directory, expected a .png file", error(dir.resolve("d.png")));
        Path file = Files.writeString(dir.resolve("f"), "x");
        assertEquals("chart: cannot write '" + file.resolve("a.png") + "': '" + file + "' is not a directory",
                error(file.resolve("a.png")));
        if (Files.isDirectory(Path.of("/proc/self"))) {
            assertEquals("chart: cannot write '/proc/x.png': directory '/proc' does not take new files",
                    error(Path.of("/proc/x.png")));
        }
    }
}
