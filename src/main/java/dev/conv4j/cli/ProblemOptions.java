package dev.conv4j.cli;

import dev.conv4j.ProblemDesc;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * The problem selection shared by {@code check} and {@code bench}:
 * {@code --problem DESC... | --batch FILE [--deconv] [--mb N]}. Use as a picocli
 * {@code @Mixin}.
 */
public final class ProblemOptions {

    static final class Source {
        @Option(names = "--problem", arity = "1..*", paramLabel = "DESC", required = true,
                description = "One or more benchdnn conv descriptors, e.g. mb1ic64ih56oc64oh56kh3ph1.")
        List<String> problems;

        @Option(names = "--batch", paramLabel = "FILE", required = true,
                description = "A file of descriptors, one per line (# and -- lines skipped), or a bundled list: "
                        + "shapes_resnet_50, shapes_mobilenet, shapes_mobilenet_dw, shapes_conv4j_edge, "
                        + "shapes_conv4j_edge_deconv (only with --deconv, which the others do not take).")
        String batch;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--deconv", description = "Read the descriptors as transposed convolutions (benchdnn's --deconv).")
    boolean deconv;

    @Option(names = "--mb", paramLabel = "N", description = "Override every problem's minibatch.")
    Integer mb;

    /**
     * Every selected problem, parsed (with {@code --deconv}) and with {@code --mb} applied,
     * before anything runs: a bad line fails at once.
     *
     * @throws IllegalArgumentException naming the line and the rule of the first bad descriptor,
     *         or if a bundled list is of the other kind than {@code --deconv} says
     */
    public List<ProblemDesc> problems() {
        List<String> lines = source.problems != null ? source.problems : BatchFile.read(source.batch, deconv);
        List<ProblemDesc> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            ProblemDesc p = ProblemDesc.parse(line, deconv);
            out.add(mb == null ? p : p.withMb(mb));
        }
        return out;
    }

    /** How a progress bar names {@code p}: its {@code n"name"} if it has one, else its descriptor. */
    static String label(ProblemDesc p) {
        return p.name().isEmpty() ? p.format() : p.name();
    }

    /** Whether {@code --deconv} was given. */
    public boolean deconv() {
        return deconv;
    }
}
