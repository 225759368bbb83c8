package dev.conv4j;

/**
 * A failure of the native (oneDNN) backend that got past conv4j's validation: the native
 * library cannot load on this platform, oneDNN has no implementation for a problem, or a
 * oneDNN call failed. The message carries the problem and, for oneDNN failures, the hint to
 * rerun with {@code ONEDNN_VERBOSE=all}. Anything a user can fix in the spec or the tensors is
 * an {@link IllegalArgumentException} instead, thrown before any native call.
 */
public class NativeBackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NativeBackendException(String message) {
        super(message);
    }

    public NativeBackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
