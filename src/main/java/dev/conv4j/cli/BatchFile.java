package dev.conv4j.cli;

import dev.conv4j.Check;
import dev.conv4j.io.IoErrors;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * A list of benchdnn problem descriptors, one per line, as benchdnn's batch files hold them:
 * blank lines and lines starting with {@code #} or {@code --} (benchdnn options) are skipped,
 * and {@code #} outside a quoted name starts a comment. A list is a file path, or the name of
 * a list bundled under {@code problems/} on the class path ({@code shapes_resnet_50}, ...).
 */
public final class BatchFile {
    /** Where bundled lists live on the class path. */
    public static final String BUNDLED_DIR = "problems/";

    /** The end of the name of the bundled lists of transposed convolutions. */
    public static final String DECONV_SUFFIX = "_deconv";

    private BatchFile() {}

    /**
     * The problem lines of {@code fileOrName}: a file if one exists at that path, else the
     * bundled list of that name.
     *
     * @throws IllegalArgumentException if neither exists, the path is a directory or another
     *         non-regular file, the file cannot be read or is not UTF-8 text, or the list holds
     *         no problem; the message names the file and the reason
     * @throws UncheckedIOException     if a bundled list cannot be read from the class path
     */
    public static List<String> read(String fileOrName) {
        Check.arg(fileOrName != null && !fileOrName.isBlank(), "batch: expected a file or a bundled list name, got '%s'", fileOrName);
        Path file;
        try {
            file = Path.of(fileOrName);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("batch: '" + fileOrName + "' is not a valid path: " + e.getReason(), e);
        }
        List<String> lines;
        if (Files.isRegularFile(file)) {
            try {
                lines = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("batch: '" + fileOrName + "' is not UTF-8 text", e);
            } catch (IOException e) {
                throw new IllegalArgumentException("batch: cannot read '" + fileOrName + "': " + IoErrors.describe(e), e);
            }
        } else {
            InputStream in = fileOrName.contains("/") || fileOrName.contains("\\") ? null
                    : BatchFile.class.getClassLoader().getResourceAsStream(BUNDLED_DIR + fileOrName);
            Check.arg(in != null || !Files.exists(file), "batch: '%s' is %s, not a file of problems",
                    fileOrName, Files.isDirectory(file) ? "a directory" : "not a regular file");
            Check.arg(in != null, "batch: '%s' is neither a file nor a bundled list (bundled: %s)",
                    fileOrName, String.join(", ", bundled()));
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                lines = parse(r.lines().toList());
            } catch (IOException | UncheckedIOException e) {
                IOException io = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
                throw new UncheckedIOException("batch: cannot read the bundled list '" + fileOrName + "': "
                        + IoErrors.describe(io), io);
            }
        }
        Check.arg(!lines.isEmpty(), "batch: '%s' holds no problem lines", fileOrName);
        return lines;
    }

    /**
     * {@link #read(String)}, for problems to be read as transposed convolutions or not
     * ({@code --deconv}). A bundled list holds one kind, which its name says: the lists whose
     * name ends in {@value #DECONV_SUFFIX} hold transposed convolutions, the others ordinary
     * ones. Read as the other kind, their lines would describe other problems than the ones
     * they name (or fail on an output size), so that is rejected; a file is read as asked.
     *
     * @throws IllegalArgumentException as {@link #read(String)} does, or if a bundled list's
     *         kind is not {@code deconv}'s
     */
    public static List<String> read(String fileOrName, boolean deconv) {
        List<String> lines = read(fileOrName);
        if (!Files.isRegularFile(Path.of(fileOrName))) {
            boolean transposed = fileOrName.endsWith(DECONV_SUFFIX);
            Check.arg(deconv || !transposed, "batch: %s holds transposed problems: add --deconv", fileOrName);
            Check.arg(!deconv || transposed, "batch: %s holds ordinary convolutions, not transposed ones: drop --deconv "
                    + "(the bundled transposed problems are in the *%s lists)", fileOrName, DECONV_SUFFIX);
        }
        return lines;
    }

    /** The problem lines of {@code lines}: comments, blank lines and {@code --} option lines dropped. */
    public static List<String> parse(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            String s = stripComment(line).strip();
            if (!s.isEmpty() && !s.startsWith("--")) {
                out.add(s);
            }
        }
        return out;
    }

    private static String stripComment(String line) {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '#' && !quoted) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** Names of the bundled lists, sorted. */
    public static List<String> bundled() {
        TreeSet<String> names = new TreeSet<>();
        try {
            Path where = Path.of(BatchFile.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(where)) {
                Path dir = where.resolve(BUNDLED_DIR);
                if (Files.isDirectory(dir)) {
                    try (Stream<Path> files = Files.list(dir)) {
                        files.filter(Files::isRegularFile).forEach(p -> names.add(p.getFileName().toString()));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(where.toFile())) {
                    jar.stream().map(e -> e.getName())
                            .filter(n -> n.startsWith(BUNDLED_DIR) && n.length() > BUNDLED_DIR.length() && !n.endsWith("/"))
                            .forEach(n -> names.add(n.substring(BUNDLED_DIR.length())));
                }
            }
        } catch (IOException | URISyntaxException | SecurityException e) {
            // The names only decorate an error message; an unlisted class path shows none.
        }
        names.remove("README.md");
        return List.copyOf(names);
    }
}
