package dev.conv4j.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** I/O errors in words, for messages of one line. */
public final class IoErrors {
    private IoErrors() {}

    /**
     * An {@link IOException}'s reason in words, without its file name or class: the JDK puts
     * only the file name into the message of {@link AccessDeniedException},
     * {@link NoSuchFileException} and {@link FileAlreadyExistsException}, and none into a bare
     * {@link EOFException}.
     */
    public static String describe(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileAlreadyExistsException f) {
            // What creating a directory says when a file stands where one should be made.
            return f.getFile() == null ? "already exists" : "'" + f.getFile() + "' already exists and is not a directory";
        }
        if (e instanceof FileSystemException f) {
            return f.getReason() != null ? f.getReason() : "cannot be accessed";
        }
        if (e instanceof EOFException) {
            return "ends too early (unexpected end of file)";
        }
        return e.getMessage() == null || e.getMessage().isBlank() ? "input/output error" : e.getMessage();
    }
}
