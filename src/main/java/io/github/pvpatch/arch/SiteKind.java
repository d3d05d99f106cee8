package io.github.pvpatch.arch;

/**
 * How a site reaches its op when unpatched: {@code call *slot} or {@code jmp *slot}.
 *
 * <p>A call site continues after the op returns, so it can be NOP-padded, inlined, or become a
 * direct call. A jump site never continues (the kernel used it for {@code iret}, {@code sysexit}
 * and {@code sysret} paths), so it can become a direct jump or take an inline native sequence
 * that does not fall through, but never a NOP pad or a call.
 */
public enum SiteKind {
    /** {@code call *slot}: control returns to the end of the site. */
    CALL,
    /** {@code jmp *slot}: control leaves and does not come back. */
    JUMP
}
