package dev.conv4j.onednn;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.NativeBackendException;
import dev.conv4j.ProblemDesc;
import dev.conv4j.tensor.Shape;
import java.util.Locale;

/** The one place where oneDNN failures become {@link NativeBackendException}s. */
final class NativeErrors {
    private NativeErrors() {}

    static final String HINT = "rerun with ONEDNN_VERBOSE=all to see oneDNN's reason";

    /**
     * The repro line of a problem, used in every native error message: the benchdnn
     * descriptor ({@code conv4j check --problem ...}) and the spec with what the descriptor
     * cannot say (padding mode, bias).
     */
    static String problem(ConvSpec spec, Shape src) {
        String line;
        try {
            line = new ProblemDesc("", spec, src, spec.transposed()).format();
        } catch (RuntimeException e) {
            line = "input " + src;
        }
        return line + " " + spec;
    }

    /** oneDNN created no primitive descriptor: it has no implementation for this problem. */
    static NativeBackendException unimplemented(String problem, Direction dir, String what) {
        return new NativeBackendException(String.format(Locale.ROOT,
                "oneDNN has no implementation for %s (%s) of %s; %s", dir.label(), what, problem, HINT));
    }

    /** A oneDNN call threw (the presets turn dnnl::error into a RuntimeException). */
    static NativeBackendException failed(String problem, String what, RuntimeException e) {
        return new NativeBackendException(String.format(Locale.ROOT,
                "oneDNN failed in %s for %s: %s; this input passed conv4j's validation, so please report it; %s",
                what, problem, e.getMessage(), HINT), e);
    }

    /** A C API call returned a status other than {@code dnnl_success}. */
    static NativeBackendException status(String problem, String what, int status) {
        return new NativeBackendException(String.format(Locale.ROOT,
                "oneDNN returned status %d (%s) in %s for %s; %s", status, statusName(status), what, problem, HINT));
    }

    private static String statusName(int status) {
        return switch (status) {
            case 1 -> "out_of_memory";
            case 2 -> "invalid_arguments";
            case 3 -> "unimplemented";
            case 4 -> "last_impl_reached";
            case 5 -> "runtime_error";
            case 6 -> "not_required";
            default -> "unknown";
        };
    }
}
