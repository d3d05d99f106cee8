package io.github.pvpatch.live;

/** What a write plan does to the sites. */
public enum Transition {
    /** From the original bytes to patched ones. */
    PATCH,
    /** From patched bytes back to the original ones. */
    REVERT,
    /** From patched bytes to the bytes of other ops. */
    REPATCH
}
