package io.github.pvpatch.zydis;

/**
 * The Zydis shim cannot be used on this JVM: no build for this platform is in the jar, or it
 * could not be loaded. The message says which and what to do. The rest of pvpatch works without
 * the shim; only decoding and verification need it.
 */
public final class ZydisUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ZydisUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
