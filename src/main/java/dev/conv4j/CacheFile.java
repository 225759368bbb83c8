package dev.conv4j;

import dev.conv4j.io.IoErrors;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Properties;

/**
 * A small properties file of what conv4j measured on this machine and keeps between runs
 * (the fp32 peak, {@code AUTO}'s layout decisions), in conv4j's cache directory:
 * {@code -Dconv4j.cacheDir}, else {@code $XDG_CACHE_HOME/conv4j}, else {@code ~/.cache/conv4j}.
 * A missing or unreadable file reads as empty; a write replaces the file at once (a sibling
 * file moved into place), so a reader never sees half of one. Two processes writing at once
 * may lose one's entry, which is then measured again.
 */
public final class CacheFile {
    private final Path file;

    public CacheFile(Path file) {
        this.file = file;
    }

    /** {@code name} in conv4j's cache directory (see the class comment). */
    public static CacheFile named(String name) {
        String dir = System.getProperty("conv4j.cacheDir");
        Path base;
        if (dir != null && !dir.isBlank()) {
            base = Paths.get(dir);
        } else {
            String xdg = System.getenv("XDG_CACHE_HOME");
            base = (xdg != null && !xdg.isBlank())
                    ? Paths.get(xdg, "conv4j")
                    : Paths.get(System.getProperty("user.home"), ".cache", "conv4j");
        }
        return new CacheFile(base.resolve(name));
    }

    public Path file() {
        return file;
    }

    /** The entries; empty if the file is missing or unreadable (it is then measured afresh). */
    public Properties load() {
        Properties p = new Properties();
        if (Files.isRegularFile(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                return new Properties();
            }
        }
        return p;
    }

    /**
     * Replaces the file's entries with {@code entries}.
     *
     * @throws UncheckedIOException if it cannot be written, naming the file
     */
    public void store(Properties entries, String comment) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try {
                try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                    entries.store(w, comment);
                }
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);   // left only when the write or the move failed
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cache: cannot write " + file + " (" + IoErrors.describe(e) + ")", e);
        }
    }

    /**
     * The CPU this process runs on, as part of every key of a figure measured here: the model
     * name from {@code /proc/cpuinfo} with its family, model and widest vector ISA, else
     * {@code os.arch}. A virtual machine may report only a marketing name ("AMD EPYC" was seen
     * for more than one generation), and a figure of one generation must not be read on another.
     */
    public static String cpuModel() {
        try {
            return cpuModel(Files.readAllLines(Paths.get("/proc/cpuinfo"), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch", "unknown");   // not Linux, or no access
        }
    }

    /** {@link #cpuModel()} of the first processor in {@code cpuinfo}'s lines; {@code os.arch} without a model name. */
    static String cpuModel(List<String> cpuinfo) {
        String name = null;
        String family = null;
        String model = null;
        String flags = null;
        for (String l : cpuinfo) {
            if (l.isBlank() && name != null) {
                break;   // the end of the first processor's block
            }
            int colon = l.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = l.substring(0, colon).trim();
            String value = l.substring(colon + 1).trim().replaceAll("\\s+", " ");
            switch (key) {
                case "model name" -> name = value;
                case "cpu family" -> family = value;
                case "model" -> model = value;
                case "flags" -> flags = " " + value + " ";
                default -> { }
            }
        }
        if (name == null || name.isEmpty()) {
            return System.getProperty("os.arch", "unknown");
        }
        StringBuilder id = new StringBuilder(name).append(" (");
        if (family != null && model != null) {
            id.append("family ").append(family).append(" model ").append(model).append(", ");
        }
        return id.append(vectorIsa(flags)).append(')').toString();
    }

    /** The widest x86 vector extension among {@code flags} (space-padded), or "no vector flags". */
    private static String vectorIsa(String flags) {
        if (flags == null) {
            return "no vector flags";
        }
        for (String isa : new String[] {"avx512f", "avx2", "avx", "sse4_2"}) {
            if (flags.contains(" " + isa + " ")) {
                return isa;
            }
        }
        return "no vector flags";
    }
}
