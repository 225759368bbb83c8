package dev.conv4j.onednn;

import dev.conv4j.CacheFile;
import dev.conv4j.onednn.LayoutChoice.Choice;
import dev.conv4j.onednn.LayoutChoice.Key;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Properties;

/**
 * {@link LayoutChoice}'s decisions kept between processes (native-config {@code
 * auto_choices=on}), in {@code auto-choices.properties} in conv4j's cache directory ({@link
 * CacheFile}). A later process on the same machine then prepares without timing candidates,
 * and runs the same kernels as the process that timed them.
 *
 * <p>An entry's key names the machine (CPU model, the ISA oneDNN uses, threads, oneDNN's
 * version: what a choice's implementation index depends on; the set of candidates, which a
 * decision was made among) and the problem ({@link Key});
 * its value is the candidate (with {@code *N} for a pass in slices of N images), the index, the threads (0: the process's) and the
 * implementation's name, which the caller
 * checks against the pass it builds ({@link PassBuilder}): an entry that names another
 * implementation now is timed again.
 */
final class ChoiceStore {
    static final String FILE_NAME = "auto-choices.properties";

    /** A kept decision and the implementation it ran on. */
    record Kept(Choice choice, String impl) {}

    private final CacheFile file;
    private final String machine;
    private Properties entries;   // the file as last read or written by this process
    private boolean writable = true;

    ChoiceStore(CacheFile file, String machine) {
        this.file = file;
        this.machine = machine;
    }

    /** The store of this machine in conv4j's cache directory. */
    static ChoiceStore ofThisMachine() {
        NativeRuntime rt = NativeRuntime.get();
        return new ChoiceStore(CacheFile.named(FILE_NAME), CacheFile.cpuModel() + ", " + rt.effectiveIsa() + ", threads="
                + NativeRuntime.threads() + ", oneDNN " + rt.version() + ", candidates " + candidateSet());
    }

    /**
     * A short name of the set of candidates AUTO times: decisions kept before a candidate was
     * added never saw it, and are timed again.
     */
    static String candidateSet() {
        StringBuilder names = new StringBuilder();
        for (Candidate c : Candidate.values()) {
            names.append(c.name()).append(' ');
        }
        return Integer.toHexString(names.toString().hashCode());
    }

    CacheFile file() {
        return file;
    }

    /** The decision kept for {@code key}, or null (none, or a damaged entry). */
    synchronized Kept get(Key key) {
        if (entries == null) {
            entries = file.load();
        }
        String v = entries.getProperty(name(key));
        if (v == null) {
            return null;
        }
        String[] parts = v.split(" ", 4);
        try {
            // The candidate, with "*N" for a pass in slices of N images.
            String[] candidate = parts[0].split("\\*", 2);
            return new Kept(new Choice(Candidate.valueOf(candidate[0]), Integer.parseInt(parts[1]),
                    Integer.parseInt(parts[2]), candidate.length == 2 ? Integer.parseInt(candidate[1]) : 0), parts[3]);
        } catch (RuntimeException e) {
            return null;   // damaged: timed again, and replaced
        }
    }

    /**
     * Keeps {@code choice} (on implementation {@code impl}) for {@code key}, with the entries
     * other processes wrote meanwhile. A file that cannot be written costs a one-line warning
     * and the store keeps nothing more: a prepare never fails for it.
     */
    synchronized void put(Key key, Choice choice, String impl) {
        if (!writable) {
            return;
        }
        Properties now = file.load();
        String candidate = choice.candidate().name() + (choice.sliceImages() > 0 ? "*" + choice.sliceImages() : "");
        now.setProperty(name(key), candidate + " " + choice.impl() + " " + choice.threads() + " " + impl);
        try {
            file.store(now, "conv4j: AUTO's layout decisions (native-config auto_choices=on); delete to time them again");
            entries = now;
        } catch (UncheckedIOException e) {
            writable = false;
            System.err.println("conv4j: warning: " + e.getMessage() + "; AUTO's decisions are kept for this process only");
        }
    }

    /** The entry's key: the machine, then the problem and the options a decision depends on. */
    String name(Key key) {
        return machine + " | " + key.spec() + " | input " + key.src() + " | " + key.dir().label() + " | tensors "
                + key.userLayout().name().toLowerCase(Locale.ROOT) + " | training=" + key.training()
                + " | weightsUpdated=" + key.weightsUpdated();
    }
}
