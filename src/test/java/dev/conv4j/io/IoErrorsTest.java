package dev.conv4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conv4j.CacheFile;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** I/O errors in words: no exception class, and a reason where the JDK gives only a file name. */
class IoErrorsTest {

    @TempDir Path dir;

    @Test void theJdksBareFileNamesBecomeReasons() {
        assertEquals("permission denied", IoErrors.describe(new AccessDeniedException("f")));
        assertEquals("no such file", IoErrors.describe(new NoSuchFileException("f")));
        assertEquals("'f' already exists and is not a directory", IoErrors.describe(new FileAlreadyExistsException("f")));
        assertEquals("ends too early (unexpected end of file)", IoErrors.describe(new EOFException()));
        assertEquals("input/output error", IoErrors.describe(new IOException()));
        assertEquals("Input/output error", IoErrors.describe(new IOException("Input/output error")));
    }

    /** A cache whose directory cannot be made (a file stands in its path) says why, without an exception's class. */
    @Test void aCacheUnderAFileSaysWhatStandsInItsWay() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        CacheFile cache = new CacheFile(file.resolve("c.properties"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> cache.store(new Properties(), "test"));
        assertEquals("cache: cannot write " + cache.file() + " ('" + file.toAbsolutePath()
                + "' already exists and is not a directory)", e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
    }
}
