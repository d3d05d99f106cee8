package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.x86.Encodings;
import io.github.pvpatch.x86.IndirectForm;
import java.util.Objects;

/**
 * The built-in strategies. Each checks every rule before writing a byte, so the {@link PatchBug}
 * it throws names the most specific rule, with the numbers. All read the site from the
 * {@link SiteWriter}'s fields, which {@link Patcher#patch} first sets from its {@code site}
 * argument (so a decorator that hands them a changed site is obeyed), work on clobber masks as
 * ints, and allocate nothing unless they throw.
 */
final class Strategies {
    /** Fills the site with NOPs. */
    public static final Patcher NOP_PAD = new Named("nopPad", (site, op, out) -> nopPad(op, out));
    /** Copies a native sequence in. */
    public static final Patcher INLINE_NATIVE = new Named("inlineNative", (site, op, out) -> inlineNative(op, out));
    /** Indirect to direct call or jump, with saves, or in place. */
    public static final Patcher DIRECT_BRANCH = new Named("directBranch", (site, op, out) -> directBranch(op, out));
    /** Chooses by the op's kind. */
    public static final Patcher STANDARD = new Named("standard", (site, op, out) -> standard(op, out));

    private Strategies() {
    }

    /**
     * The default policy, for callers that hold the site only as fields in {@code out} (a pass over
     * a {@code SiteTable}): nothing is allocated unless a rule is broken.
     *
     * @param op the op installed for the site's type
     * @param out the writer, reset for the site
     * @return how the site was rewritten
     */
    public static Strategy standard(Op op, SiteWriter out) {
        if (op instanceof Op.Nop) {
            return nopPad(op, out);
        }
        if (op instanceof Op.Native) {
            return inlineNative(op, out);
        }
        return directBranch(op, out);
    }

    /** {@return whether {@code p} is {@link #STANDARD}, which {@link #standard(Op, SiteWriter)} runs without a site object} */
    public static boolean isStandard(Patcher p) {
        return p == STANDARD;
    }

    private static Strategy nopPad(Op op, SiteWriter out) {
        if (!(op instanceof Op.Nop)) {
            throw kindMismatch(out, op, "nopPad patches only nop ops");
        }
        if (out.siteKind() == SiteKind.JUMP) {
            throw kindMismatch(out, op, "a jump site must not fall through into NOPs");
        }
        return Strategy.NOP_PAD;
    }

    private static Strategy inlineNative(Op op, SiteWriter out) {
        if (!(op instanceof Op.Native)) {
            throw kindMismatch(out, op, "inlineNative patches only native ops");
        }
        Op.Native code = (Op.Native) op;
        if (code.length() > out.siteLength()) {
            throw nativeTooLong(out, code);
        }
        int kept = requireRegistersOf(out, code.clobbers()) & ~out.siteClobberBits();
        if (kept != 0) {
            throw nativeClobbersKept(out, code, kept);
        }
        out.putNative(code);
        return Strategy.INLINE_NATIVE;
    }

    private static Strategy directBranch(Op op, SiteWriter out) {
        if (op instanceof Op.Jump) {
            if (out.siteKind() != SiteKind.JUMP) {
                throw kindMismatch(out, op, "a jump op needs a jump site: control would not return");
            }
            out.putJump(((Op.Jump) op).target());
            return Strategy.DIRECT_JUMP;
        }
        if (!(op instanceof Op.Call)) {
            throw kindMismatch(out, op, "directBranch patches only call and jump ops");
        }
        if (out.siteKind() != SiteKind.CALL) {
            throw kindMismatch(out, op, "a call op needs a call site: a jump site has no return path");
        }
        Op.Call call = (Op.Call) op;
        int clobbers = requireRegistersOf(out, call.clobbers());
        int missing = clobbers & ~out.siteClobberBits();
        if (missing == 0) {
            out.putCall(call.target());
            return Strategy.DIRECT_CALL;
        }
        return callWithSaves(call, clobbers, missing, out);
    }

    /** The direct call needs saves: generated ones when they fit, the site's own in place, or a BUG. */
    private static Strategy callWithSaves(Op.Call call, int clobbers, int missing, SiteWriter out) {
        Isa isa = out.isa();
        int savesLength = Encodings.savesLength(isa, missing);
        int needed = 2 * savesLength + Encodings.BRANCH_REL32_LENGTH;
        boolean savesFit = needed <= out.siteLength();
        if (savesFit && out.siteStackArguments() == 0) {
            // Saves go first so the call's rel32 is computed for where the call really sits.
            ClobberSet saves = ClobberSet.ofBits(missing);
            out.putSaves(saves).putCall(call.target()).putRestores(saves);
            return Strategy.DIRECT_CALL_WITH_SAVES;
        }
        Strategy inPlace = tryInPlace(call, clobbers, out);
        if (inPlace != null) {
            return inPlace;
        }
        ClobberSet saves = ClobberSet.ofBits(missing);
        if (out.siteStackArguments() > 0) {
            throw PatchBug.of(Violation.SAVES_WITH_STACK_ARGUMENTS, out.site(),
                    Integer.bitCount(missing) + (Encodings.needsAlignmentPush(isa, missing) ? 1 : 0), 0, saves,
                    "saving registers the site keeps would push over " + out.siteStackArguments()
                            + " stack argument(s)");
        }
        throw PatchBug.of(Violation.SAVES_DO_NOT_FIT, out.site(), needed, out.siteLength(), saves,
                "direct call needs saves of registers the site keeps");
    }

    /**
     * In place is legal when the site recorded where its call is, the bytes there are the call
     * (or the direct call an earlier pass left), and the registers the site's own code saves
     * around it, read from its bytes, cover what the target destroys beyond the site's clobbers.
     */
    private static Strategy tryInPlace(Op.Call call, int clobbers, SiteWriter out) {
        int at = out.siteCallOffset();
        if (at < 0) {
            return null;
        }
        int callLength = callLengthAt(at, out);
        if (callLength < 0) {
            throw PatchBug.of(Violation.ORIGINAL_MISMATCH, out.site(), 0, 0,
                    "no indirect " + out.siteKind().name().toLowerCase(java.util.Locale.ROOT)
                            + " at callOffset=" + at + " (byte there: 0x" + Integer.toHexString(out.originalByte(at)) + ")");
        }
        int saved = SavedRegisters.around(out, at, callLength);
        if (saved < 0 || (clobbers & ~(out.siteClobberBits() | saved)) != 0) {
            return null;
        }
        int rest = at + callLength;
        if (out.originalByte(at) == Encodings.CALL_REL32) {
            // Patched before: re-aim the call and keep its padding, so the pass is idempotent.
            out.putOriginal(0, at).putCall(call.target()).putOriginal(at + Encodings.BRANCH_REL32_LENGTH,
                    out.siteLength());
        } else {
            out.putOriginal(0, at).putCall(call.target()).putNops(callLength - Encodings.BRANCH_REL32_LENGTH)
                    .putOriginal(rest, out.siteLength());
        }
        return Strategy.DIRECT_CALL_IN_PLACE;
    }

    /**
     * {@return the length of the call at {@code at}: an indirect form's, or for a direct call
     * left by an earlier in-place pass, 5 plus the NOP that padded it; -1 when there is no call}
     */
    private static int callLengthAt(int at, SiteWriter out) {
        IndirectForm form = out.originalIndirectAt(at);
        if (form != null) {
            return form.length();
        }
        if (out.originalByte(at) != Encodings.CALL_REL32 || at + Encodings.BRANCH_REL32_LENGTH > out.siteLength()) {
            return -1;
        }
        // The indirect call was 6 or 7 bytes, so the direct one was padded by 1 or 2 bytes of NOP.
        for (int pad = 1; pad <= 2; pad++) {
            if (out.originalIsNop(at + Encodings.BRANCH_REL32_LENGTH, pad)) {
                return Encodings.BRANCH_REL32_LENGTH + pad;
            }
        }
        return -1;
    }

    private static int requireRegistersOf(SiteWriter out, ClobberSet clobbers) {
        if (!clobbers.isIn(out.isa())) {
            throw PatchBug.of(Violation.OP_KIND_MISMATCH, out.site(), 0, 0, "the op clobbers registers that do not"
                    + " exist on " + out.isa().displayName() + " (clobbers: " + clobbers.toString(out.isa()) + ")");
        }
        return clobbers.bits();
    }

    private static PatchBug nativeTooLong(SiteWriter out, Op.Native code) {
        return PatchBug.of(Violation.CODE_TOO_LONG, out.site(), code.length(), out.siteLength(),
                "native code is longer than the site");
    }

    private static PatchBug nativeClobbersKept(SiteWriter out, Op.Native code, int kept) {
        return PatchBug.of(Violation.NATIVE_CLOBBERS_KEPT_REGISTER, out.site(), code.clobbers().bits(),
                out.siteClobberBits(), ClobberSet.ofBits(kept), "native code clobbers registers the site keeps");
    }

    private static PatchBug kindMismatch(SiteWriter out, Op op, String why) {
        return PatchBug.of(Violation.OP_KIND_MISMATCH, out.site(), 0, 0, why + " (op: " + op + ")");
    }

    /** A patcher with a readable {@code toString}, for messages and options. */
    private static final class Named implements Patcher {
        private final String name;
        private final Patcher body;

        Named(String name, Patcher body) {
            this.name = name;
            this.body = body;
        }

        @Override
        public Strategy patch(PatchSite site, Op op, SiteWriter out) {
            out.patchAs(Objects.requireNonNull(site, "site"));
            return body.patch(site, op, out);
        }

        @Override
        public String toString() {
            return "Patcher." + name + "()";
        }
    }
}
