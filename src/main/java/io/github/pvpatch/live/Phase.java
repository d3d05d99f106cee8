package io.github.pvpatch.live;

/**
 * Which part of the int3 protocol a {@link Step} belongs to (Linux's {@code text_poke_bp}).
 * Between two syncs the writes of one phase may become visible in any order.
 */
public enum Phase {
    /**
     * {@code CC} (int3) over the first byte of every site that changes, save one whose only change
     * is an int3 written over its first byte or removed from it.
     */
    INT3,
    /** The new bytes after the first, while the int3 guards the site's entry. */
    TAIL,
    /**
     * The new first byte, which removes the int3; and the one write of a site whose only change
     * is an int3 written over its first byte or removed from it.
     */
    FIRST_BYTE,
    /** A plain copy of a {@link QuiescentPlan}: only while no CPU runs the code. */
    PLAIN
}
