package io.github.pvpatch;

/**
 * How a site was rewritten: what a {@link Patcher} returns, and what a {@link PatchPlan} or
 * {@link PatchPass} reports for a patched site ({@link SiteOutcome.Patched}). A site left
 * unpatched has no strategy: it is a {@link SiteOutcome.LeftUnpatched}.
 */
public enum Strategy {
    /** The whole site became NOPs: the op does nothing here. */
    NOP_PAD,
    /** A native sequence was copied in and padded with NOPs. */
    INLINE_NATIVE,
    /** {@code call rel32} to the op's target, padded; the target clobbers only what the site allows. */
    DIRECT_CALL,
    /** {@code call rel32} with push/pop pairs for the registers the target clobbers but the site keeps. */
    DIRECT_CALL_WITH_SAVES,
    /**
     * Only the indirect call at the site's recorded call offset became {@code call rel32}; the
     * site's own saves around it stay.
     */
    DIRECT_CALL_IN_PLACE,
    /** {@code jmp rel32} to the op's target, padded. */
    DIRECT_JUMP
}
