package io.github.pvpatch;

/** How a site was rewritten; reported per site by a {@link PatchPlan}. */
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
    DIRECT_JUMP,
    /** The site was left as it was, because in lenient mode it broke a rule. */
    LEFT_UNPATCHED
}
