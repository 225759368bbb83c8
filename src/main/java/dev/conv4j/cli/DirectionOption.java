package dev.conv4j.cli;

import dev.conv4j.Check;
import dev.conv4j.Direction;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** {@code --dir fwd|bwd_d|bwd_w|all}, shared by {@code check} and {@code bench}; a picocli {@code @Mixin}. */
public final class DirectionOption {

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "all",
            description = "fwd, bwd_d, bwd_w or all (default: ${DEFAULT-VALUE}).")
    String dir;

    /**
     * The directions selected, in the order fwd, bwd_d, bwd_w.
     *
     * @throws IllegalArgumentException for an unknown direction
     */
    public List<Direction> directions() {
        String v = dir.trim().toLowerCase(Locale.ROOT);
        if (v.equals("all")) {
            return List.of(Direction.values());
        }
        Check.arg(List.of("fwd", "bwd_d", "bwd_w").contains(v),
                "dir: unknown direction '%s', expected fwd, bwd_d, bwd_w or all", dir);
        return List.of(Direction.parse(v));
    }
}
