package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;

/**
 * The rule a {@link PatchBug} reports as broken. Each constant says what
 * {@link PatchBug#needed()} and {@link PatchBug#available()} mean for it, and the message shows
 * them in that unit: lengths, counts and types in decimal, addresses in hex ({@code 0x81000006}),
 * displacements in signed hex ({@code -0x80000000}), register masks by name ({@code [rax,rcx]}).
 */
public enum Violation {
    /**
     * The site is shorter than the indirect call it must have held unpatched ("the patch-size is
     * smaller than sizeof(indirect call)"). needed: the indirect call's length; available: the
     * site's length.
     */
    SITE_TOO_SHORT(true, Unit.COUNT, Unit.COUNT),
    /**
     * The site is not wholly inside the code buffer. needed: the site's length; available: the
     * bytes of the buffer from the site's address on (0 when it starts outside).
     */
    SITE_OUTSIDE_BUFFER(false, Unit.COUNT, Unit.COUNT),
    /**
     * Two sites of one batch share bytes. needed: the first byte past the earlier site; available:
     * the first byte of the later site.
     */
    SITES_OVERLAP(false, Unit.ADDRESS, Unit.ADDRESS),
    /** The ops table has no op for the site's type. needed: the type; available: -1. */
    OP_MISSING(true, Unit.COUNT, Unit.COUNT),
    /**
     * The op cannot be reached the way the site reaches it, or the strategy does not handle this
     * kind of op (a jump op at a call site, a NOP pad at a jump site). needed and available: 0.
     */
    OP_KIND_MISMATCH(true, Unit.COUNT, Unit.COUNT),
    /** The code to write is longer than the site. needed: its length; available: the site's. */
    CODE_TOO_LONG(true, Unit.COUNT, Unit.COUNT),
    /**
     * A native sequence destroys registers the site keeps. needed: the sequence's clobber mask;
     * available: the site's clobber mask (both by register encoding).
     */
    NATIVE_CLOBBERS_KEPT_REGISTER(true, Unit.REGISTERS, Unit.REGISTERS),
    /**
     * A call target destroys registers the site keeps, and the push/pop pairs that would save
     * them do not fit. needed: bytes of saves, call and restores; available: the site's length.
     */
    SAVES_DO_NOT_FIT(true, Unit.COUNT, Unit.COUNT),
    /**
     * A call target destroys registers the site keeps, and saving them would push over the op's
     * stack arguments. needed: the number of pushes; available: 0 (no push is allowed).
     */
    SAVES_WITH_STACK_ARGUMENTS(true, Unit.COUNT, Unit.COUNT),
    /**
     * A {@code rel32} branch cannot reach the target (x86-64: beyond &plusmn;2 GiB; x86-32: a
     * target that is not a 32-bit address). needed: the displacement; available: the largest
     * displacement of the same sign.
     */
    TARGET_OUT_OF_REACH(true, Unit.DISPLACEMENT, Unit.DISPLACEMENT),
    /**
     * The bytes at the site are not what the site says (for example no indirect call at the
     * recorded call offset). needed and available: 0; the message says what was found.
     */
    ORIGINAL_MISMATCH(true, Unit.COUNT, Unit.COUNT),
    /**
     * The bytes a patcher produced are not what it meant (checked by a verifier). needed and
     * available: 0; the message says what differs.
     */
    OUTPUT_MISMATCH(true, Unit.COUNT, Unit.COUNT),
    /**
     * A write while other CPUs run the code would change bytes that a CPU may still run from a
     * point inside the site where it may be or return to (an instruction boundary of the bytes
     * being replaced, or the return address of a call the site holds or held), which only
     * quiescence makes safe. needed: the point's offset into the site; available: the offset of the
     * last byte the CPU there runs that the write changes. Reported by {@code io.github.pvpatch.live}.
     */
    LIVE_BOUNDARY_CHANGED(true, Unit.COUNT, Unit.COUNT);

    private final boolean perSite;
    private final Unit neededUnit;
    private final Unit availableUnit;

    Violation(boolean perSite, Unit neededUnit, Unit availableUnit) {
        this.perSite = perSite;
        this.neededUnit = neededUnit;
        this.availableUnit = availableUnit;
    }

    /** How a number of a {@link PatchBug} reads in its message. */
    enum Unit {
        /** A length, count or type: decimal. */
        COUNT,
        /** An address: unsigned hex. */
        ADDRESS,
        /** A branch displacement: signed hex. */
        DISPLACEMENT,
        /** A register mask ({@link ClobberSet#bits()}): the registers' names. */
        REGISTERS;

        String format(long value, Isa isa) {
            switch (this) {
                case ADDRESS:
                    return "0x" + Long.toHexString(value);
                case DISPLACEMENT:
                    return value < 0 ? "-0x" + Long.toUnsignedString(-value, 16) : "0x" + Long.toHexString(value);
                case REGISTERS:
                    if (value >= 0 && value <= 0xFFFF && (value & (1 << Register.RSP.encoding())) == 0) {
                        return ClobberSet.ofBits((int) value).toString(isa);
                    }
                    return "0x" + Long.toHexString(value);
                default:
                    return Long.toString(value);
            }
        }
    }

    /** {@return {@code needed} as the message shows it} */
    String formatNeeded(long needed, Isa isa) {
        return neededUnit.format(needed, isa);
    }

    /** {@return {@code available} as the message shows it} */
    String formatAvailable(long available, Isa isa) {
        return availableUnit.format(available, isa);
    }

    /**
     * {@return whether the rule concerns one site alone} Such violations can be tolerated in
     * {@link PatchOptions.Mode#LENIENT} mode by leaving the site unpatched; the others describe a
     * malformed batch and always throw.
     */
    public boolean isPerSite() {
        return perSite;
    }
}
