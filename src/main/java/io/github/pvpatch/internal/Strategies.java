package io.github.pvpatch.internal;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.Isa;
import io.github.pvpatch.Op;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Patcher;
import io.github.pvpatch.SiteKind;
import io.github.pvpatch.SiteWriter;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.Violation;
import io.github.pvpatch.x86.Encodings;
import io.github.pvpatch.x86.IndirectForm;

/**
 * The built-in strategies. Each checks every rule before writing a byte, so the {@link PatchBug}
 * it throws names the most specific rule, with the numbers. All work on clobber masks as ints and
 * allocate nothing unless they throw.
 */
public final class Strategies {
    /** Fills the site with NOPs. */
    public static final Patcher NOP_PAD = new Named("nopPad", Strategies::nopPad);
    /** Copies a native sequence in. */
    public static final Patcher INLINE_NATIVE = new Named("inlineNative", Strategies::inlineNative);
    /** Indirect to direct call or jump, with saves, or in place. */
    public static final Patcher DIRECT_BRANCH = new Named("directBranch", Strategies::directBranch);
    /** Chooses by the op's kind. */
    public static final Patcher STANDARD = new Named("standard", Strategies::standard);

    private Strategies() {
    }

    private static Strategy standard(PatchSite site, Op op, SiteWriter out) {
        if (op instanceof Op.Nop) {
            return nopPad(site, op, out);
        }
        if (op instanceof Op.Native) {
            return inlineNative(site, op, out);
        }
        return directBranch(site, op, out);
    }

    private static Strategy nopPad(PatchSite site, Op op, SiteWriter out) {
        if (!(op instanceof Op.Nop)) {
            throw kindMismatch(site, op, "nopPad patches only nop ops");
        }
        if (site.kind() == SiteKind.JUMP) {
            throw kindMismatch(site, op, "a jump site must not fall through into NOPs");
        }
        return Strategy.NOP_PAD;
    }

    private static Strategy inlineNative(PatchSite site, Op op, SiteWriter out) {
        if (!(op instanceof Op.Native)) {
            throw kindMismatch(site, op, "inlineNative patches only native ops");
        }
        Op.Native code = (Op.Native) op;
        if (code.length() > site.length()) {
            throw PatchBug.of(Violation.CODE_TOO_LONG, site, code.length(), site.length(),
                    "native code is longer than the site");
        }
        int kept = requireRegistersOf(site, op) & ~site.clobbers().bits();
        if (kept != 0) {
            throw PatchBug.of(Violation.NATIVE_CLOBBERS_KEPT_REGISTER, site, op.clobbers().bits(),
                    site.clobbers().bits(), ClobberSet.ofBits(kept), "native code clobbers registers the site keeps");
        }
        out.putNative(code);
        return Strategy.INLINE_NATIVE;
    }

    private static Strategy directBranch(PatchSite site, Op op, SiteWriter out) {
        if (op instanceof Op.Jump) {
            if (site.kind() != SiteKind.JUMP) {
                throw kindMismatch(site, op, "a jump op needs a jump site: control would not return");
            }
            out.putJump(((Op.Jump) op).target());
            return Strategy.DIRECT_JUMP;
        }
        if (!(op instanceof Op.Call)) {
            throw kindMismatch(site, op, "directBranch patches only call and jump ops");
        }
        if (site.kind() != SiteKind.CALL) {
            throw kindMismatch(site, op, "a call op needs a call site: a jump site has no return path");
        }
        Op.Call call = (Op.Call) op;
        Isa isa = site.isa();
        int clobbers = requireRegistersOf(site, op);
        int missing = clobbers & ~site.clobbers().bits();
        if (missing == 0) {
            out.putCall(call.target());
            return Strategy.DIRECT_CALL;
        }
        int savesLength = Encodings.savesLength(isa, missing);
        int needed = 2 * savesLength + Encodings.BRANCH_REL32_LENGTH;
        boolean savesFit = needed <= site.length();
        if (savesFit && site.stackArguments() == 0) {
            // Saves go first so the call's rel32 is computed for where the call really sits.
            ClobberSet saves = ClobberSet.ofBits(missing);
            out.putSaves(saves).putCall(call.target()).putRestores(saves);
            return Strategy.DIRECT_CALL_WITH_SAVES;
        }
        Strategy inPlace = tryInPlace(site, call, clobbers, out);
        if (inPlace != null) {
            return inPlace;
        }
        ClobberSet saves = ClobberSet.ofBits(missing);
        if (site.stackArguments() > 0) {
            throw PatchBug.of(Violation.SAVES_WITH_STACK_ARGUMENTS, site,
                    Integer.bitCount(missing) + (Encodings.needsAlignmentPush(isa, missing) ? 1 : 0), 0, saves,
                    "saving registers the site keeps would push over " + site.stackArguments()
                            + " stack argument(s)");
        }
        throw PatchBug.of(Violation.SAVES_DO_NOT_FIT, site, needed, site.length(), saves,
                "direct call needs saves of registers the site keeps");
    }

    /**
     * In place is legal when the site recorded where its call is, the bytes there are the call
     * (or the direct call an earlier pass left), and the registers the site's own code saves
     * around it, read from its bytes, cover what the target destroys beyond the site's clobbers.
     */
    private static Strategy tryInPlace(PatchSite site, Op.Call call, int clobbers, SiteWriter out) {
        if (site.callOffset().isEmpty()) {
            return null;
        }
        int at = site.callOffset().getAsInt();
        int callLength = callLengthAt(site, at, out);
        if (callLength < 0) {
            throw PatchBug.of(Violation.ORIGINAL_MISMATCH, site, 0, 0,
                    "no indirect " + site.kind().name().toLowerCase(java.util.Locale.ROOT)
                            + " at callOffset=" + at + " (byte there: 0x" + Integer.toHexString(out.originalByte(at)) + ")");
        }
        int saved = SavedRegisters.around(out, at, callLength);
        if (saved < 0 || (clobbers & ~(site.clobbers().bits() | saved)) != 0) {
            return null;
        }
        int rest = at + callLength;
        if (out.originalByte(at) == Encodings.CALL_REL32) {
            // Patched before: re-aim the call and keep its padding, so the pass is idempotent.
            out.putOriginal(0, at).putCall(call.target()).putOriginal(at + Encodings.BRANCH_REL32_LENGTH, site.length());
        } else {
            out.putOriginal(0, at).putCall(call.target()).putNops(callLength - Encodings.BRANCH_REL32_LENGTH)
                    .putOriginal(rest, site.length());
        }
        return Strategy.DIRECT_CALL_IN_PLACE;
    }

    /**
     * {@return the length of the call at {@code at}: an indirect form's, or for a direct call
     * left by an earlier in-place pass, 5 plus the NOP that padded it; -1 when there is no call}
     */
    private static int callLengthAt(PatchSite site, int at, SiteWriter out) {
        IndirectForm form = out.originalIndirectAt(at);
        if (form != null) {
            return form.length();
        }
        if (out.originalByte(at) != Encodings.CALL_REL32 || at + Encodings.BRANCH_REL32_LENGTH > site.length()) {
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

    private static int requireRegistersOf(PatchSite site, Op op) {
        if (!op.clobbers().isIn(site.isa())) {
            throw kindMismatch(site, op, "the op clobbers registers that do not exist on " + site.isa().displayName());
        }
        return op.clobbers().bits();
    }

    private static PatchBug kindMismatch(PatchSite site, Op op, String why) {
        return PatchBug.of(Violation.OP_KIND_MISMATCH, site, 0, 0, why + " (op: " + op + ")");
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
            return body.patch(site, op, out);
        }

        @Override
        public String toString() {
            return "Patcher." + name + "()";
        }
    }
}
