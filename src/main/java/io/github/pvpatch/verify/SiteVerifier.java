package io.github.pvpatch.verify;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.Op;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.SiteCheck;
import io.github.pvpatch.SiteOutcome;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.Violation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.internal.SiteFields;
import io.github.pvpatch.x86.Encodings;
import io.github.pvpatch.x86.NopTable;
import io.github.pvpatch.zydis.DecodedBuffer;
import io.github.pvpatch.zydis.Syntax;
import io.github.pvpatch.zydis.ZydisDecoder;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Checks patch sites with the Zydis disassembler, before and after patching: the unpatched
 * sequence is disassembled to make sure it is consistent with the site and its clobbers, and the
 * patched one to make sure it is what the strategy means, cheaply enough to run on every site.
 *
 * <p><b>Before</b> ({@link Violation#ORIGINAL_MISMATCH}): the site's bytes decode into whole
 * instructions that end at the site's end, and are exactly: pushes of registers, the indirect
 * call (jump, for jump sites) reading the op's slot of the {@link UnpatchedForm}'s table, at the
 * recorded call offset when there is one, the same registers popped in mirror order, then NOP
 * padding. The pushes must save every register the slot's implementation may destroy
 * ({@link UnpatchedForm#slotClobbers()}) that the site keeps, and a site with stack arguments
 * must push nothing. Any indirect encoding is accepted: the decoder, not a byte pattern, says
 * which slot the instruction reads.
 *
 * <p><b>After</b> ({@link Violation#OUTPUT_MISMATCH}): the new bytes decode into whole
 * instructions ending at the site's end, and are what the {@link Strategy} means: NOPs only;
 * the native code, its relative operands aimed at the same targets as where it lives, writing no
 * register the site keeps, then NOPs; {@code call}/{@code jmp rel32} landing on the op's target,
 * then NOPs; saves pushed and popped in mirror order around the call, covering every register the
 * target destroys that the site keeps, an even number of them on x86-64; or the original bytes,
 * for a site left unpatched. NOPs appear only as padding.
 *
 * <p>Use it as a plan's {@link SiteCheck}, so nothing is written unless every site passes, or
 * check a plan afterwards with {@link #verify(PatchPlan)}:
 *
 * <pre>{@code
 * SiteVerifier verifier = SiteVerifier.of(UnpatchedForm.of(Isa.X86_64, pvOpsAddress));
 * PatchPlan plan = PatchPlan.of(code, sites, ops, PatchOptions.defaults().withCheck(verifier));
 * plan.apply();                                   // every site was verified before this wrote
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class SiteVerifier implements SiteCheck {
    /**
     * Each thread's listings, reused site after site so that a verified pass allocates nothing
     * per site: one for the site's bytes, one for a native op's own code beside it.
     */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final NopTable[] NOP_TABLES = NopTable.values();
    private static final int SP = Register.RSP.encoding();
    private static final int REX_B = Encodings.REX_B;
    private static final int CALL_REL32 = Encodings.CALL_REL32;
    private static final int JMP_REL32 = Encodings.JMP_REL32;

    private final Function<PatchSite, UnpatchedForm> forms;
    private final String description;

    private SiteVerifier(Function<PatchSite, UnpatchedForm> forms, String description) {
        this.forms = forms;
        this.description = description;
    }

    /**
     * {@return a verifier for sites whose slots are in {@code form}'s table and whose slot
     * implementations destroy {@code form.slotClobbers()}}
     *
     * @param form the table address and slot convention of every site
     * @throws io.github.pvpatch.zydis.ZydisUnavailableException if the shim cannot be loaded
     */
    public static SiteVerifier of(UnpatchedForm form) {
        Objects.requireNonNull(form, "form");
        Decoders.of(form.isa());
        return new SiteVerifier(site -> form, "SiteVerifier{" + form + "}");
    }

    /**
     * {@return a verifier that asks {@code forms} for each site's table and slot convention} Real
     * kernels need it: their callee-save sites (clobbers = the return register) call thunks that
     * save everything else, so {@code form.withSlotClobbers(ClobberSet.of(Register.RAX))} applies
     * to them, and plain C slots to the rest.
     *
     * @param forms the form of each site; must not return null
     * @throws io.github.pvpatch.zydis.ZydisUnavailableException if the shim cannot be loaded
     */
    public static SiteVerifier perSite(Function<PatchSite, UnpatchedForm> forms) {
        Objects.requireNonNull(forms, "forms");
        Decoders.of(Isa.X86_64);
        return new SiteVerifier(forms, "SiteVerifier{per site}");
    }

    @Override
    public void checkOriginal(PatchSite site, Op op, byte[] original) {
        verifyOriginal(site, original);
    }

    @Override
    public void checkPatched(PatchSite site, Op op, Strategy strategy, byte[] original, byte[] patched) {
        verifyPatched(site, op, strategy, original, patched);
    }

    /** Verifies the range in place: the verifier only reads it, so no copy is needed. */
    @Override
    public void checkOriginal(PatchSite site, Op op, byte[] bytes, int offset) {
        Objects.checkFromIndexSize(offset, site.length(), Objects.requireNonNull(bytes, "bytes").length);
        verifyOriginal(site, bytes, offset);
    }

    /** Verifies the ranges in place: the verifier only reads them, so no copy is needed. */
    @Override
    public void checkPatched(PatchSite site, Op op, Strategy strategy, byte[] original, int originalOffset,
            byte[] patched, int patchedOffset) {
        Objects.checkFromIndexSize(originalOffset, site.length(), Objects.requireNonNull(original, "original").length);
        Objects.checkFromIndexSize(patchedOffset, site.length(), Objects.requireNonNull(patched, "patched").length);
        verifyPatched(site, op, strategy, original, originalOffset, patched, patchedOffset);
    }

    /**
     * Checks every site of a plan: its original bytes, and the bytes the plan will write; a site
     * the plan {@linkplain SiteOutcome.LeftUnpatched left unpatched} must keep its bytes.
     *
     * @param plan the plan, applied or not
     * @throws PatchBug for the first site that fails
     */
    public void verify(PatchPlan plan) {
        for (int i = 0; i < plan.size(); i++) {
            PatchSite site = plan.sites().get(i);
            SiteOutcome outcome = plan.outcome(i);
            byte[] original = plan.originalBytes(i);
            byte[] patched = plan.patchedBytes(i);
            if (!(outcome instanceof SiteOutcome.Patched)) {
                requireUnchanged(site, original, patched);
                continue;
            }
            Strategy strategy = ((SiteOutcome.Patched) outcome).strategy();
            verifyOriginal(site, original);
            Op op = plan.ops().op(site.type()).orElseThrow(() -> new IllegalStateException(
                    "plan patched " + site + " but its ops table has no op for it"));
            verifyPatched(site, op, strategy, original, patched);
        }
    }

    /**
     * Checks that a site's unpatched bytes are what the site says.
     *
     * @param site the site
     * @param original its bytes, exactly {@code site.length()} of them
     * @throws PatchBug {@link Violation#ORIGINAL_MISMATCH} saying what differs
     * @throws IllegalArgumentException if {@code original} is not the site's length
     */
    public void verifyOriginal(PatchSite site, byte[] original) {
        requireLength(site, original);
        verifyOriginal(site, original, 0);
    }

    private void verifyOriginal(PatchSite site, byte[] bytes, int offset) {
        Listing l = listing(site, bytes, offset, Violation.ORIGINAL_MISMATCH);
        UnpatchedForm form = forms.apply(site);
        if (form == null) {
            // Not requireNonNull(form, "form of " + site): that would format the site every time.
            throw new NullPointerException("form of " + site);
        }
        if (form.isa() != site.isa()) {
            throw new IllegalArgumentException("form=" + form + " is not of " + site);
        }
        int i = 0;
        long pushes = 0;
        int n = 0;
        for (int r; i < l.count() && (r = l.pushed(i)) >= 0 && n < 16; i++) {
            pushes |= (long) r << (4 * n++);
        }
        long slot = form.slotAddress(site.type());
        String want = site.kind() == SiteKind.CALL ? "call" : "jmp";
        if (i == l.count() || !l.readsSlot(i, want, slot)) {
            throw l.mismatch(i, "expected a near indirect " + want + " through slot=0x" + Long.toHexString(slot));
        }
        int callOffset = SiteFields.callOffset(site);
        if (callOffset >= 0 && callOffset != l.offset(i)) {
            throw l.bug("the " + want + " is at +" + l.offset(i) + ", the site records callOffset=" + callOffset);
        }
        int saved = l.requirePops(i + 1, pushes, n);
        l.requirePaddingFrom(i + 1 + n, site.kind() == SiteKind.CALL ? "after the call" : "after the jmp");
        if (site.stackArguments() > 0 && n > 0) {
            throw l.bug(ClobberSet.ofBits(saved), "the site pushes registers around its call, which would move its "
                    + site.stackArguments() + " stack argument(s)");
        }
        ClobberSet unsaved = form.saves(site.kind(), site.clobbers()).minus(ClobberSet.ofBits(saved));
        if (!unsaved.isEmpty()) {
            throw l.bug(unsaved, "the unpatched call may destroy registers the site keeps, and does not save them");
        }
        l.release();
    }

    /**
     * Checks that the bytes a patcher produced are what {@code strategy} means for {@code op}.
     *
     * @param site the site
     * @param op the op it was patched for
     * @param strategy what the patcher says it did
     * @param original the site's bytes before
     * @param patched the site's bytes after
     * @throws PatchBug {@link Violation#OUTPUT_MISMATCH} saying what differs
     * @throws IllegalArgumentException if a byte array is not the site's length
     */
    public void verifyPatched(PatchSite site, Op op, Strategy strategy, byte[] original, byte[] patched) {
        requireLength(site, original);
        requireLength(site, patched);
        verifyPatched(site, op, strategy, original, 0, patched, 0);
    }

    private void verifyPatched(PatchSite site, Op op, Strategy strategy, byte[] original, int originalOffset,
            byte[] patched, int patchedOffset) {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(strategy, "strategy");
        Listing l;
        if (strategy == Strategy.INLINE_NATIVE && op instanceof Op.Native) {
            l = nativeListings(site, patched, patchedOffset, (Op.Native) op);
        } else {
            l = listing(site, patched, patchedOffset, Violation.OUTPUT_MISMATCH);
        }
        int keeps = ~site.clobbers().bits();
        switch (strategy) {
            case NOP_PAD:
                requireOp(l, op instanceof Op.Nop, op, strategy);
                l.requirePaddingFrom(0, "in a NOP pad");
                break;
            case INLINE_NATIVE:
                requireOp(l, op instanceof Op.Native, op, strategy);
                checkNative(l, site, (Op.Native) op);
                break;
            case DIRECT_JUMP:
                requireOp(l, op instanceof Op.Jump, op, strategy);
                l.requireBranch(0, JMP_REL32, ((Op.Jump) op).target());
                l.requirePaddingFrom(1, "after the jmp");
                break;
            case DIRECT_CALL:
                requireOp(l, op instanceof Op.Call, op, strategy);
                l.requireBranch(0, CALL_REL32, ((Op.Call) op).target());
                l.requirePaddingFrom(1, "after the call");
                l.requireCovered(op.clobbers().bits() & keeps, 0);
                break;
            case DIRECT_CALL_WITH_SAVES:
            case DIRECT_CALL_IN_PLACE:
                requireOp(l, op instanceof Op.Call, op, strategy);
                checkSavedCall(l, site, (Op.Call) op, strategy == Strategy.DIRECT_CALL_IN_PLACE);
                break;
            default:
                throw l.bug("strategy=" + strategy + " has no rule in this verifier");
        }
        l.release();
    }

    private static void checkSavedCall(Listing l, PatchSite site, Op.Call call, boolean inPlace) {
        int i = 0;
        long pushes = 0;
        int n = 0;
        for (int r; i < l.count() && (r = l.pushed(i)) >= 0 && n < 16; i++) {
            pushes |= (long) r << (4 * n++);
        }
        l.requireBranch(i, CALL_REL32, call.target());
        int callOffset = SiteFields.callOffset(site);
        if (inPlace && callOffset >= 0 && callOffset != l.offset(i)) {
            throw l.bug("the call is at +" + l.offset(i) + ", the site records callOffset=" + callOffset);
        }
        int next = i + 1;
        // In place, the indirect call's extra byte or two stay behind the direct call as a NOP.
        while (inPlace && next < l.count() && l.isPadding(next) && n > 0) {
            next++;
        }
        int saved = l.requirePops(next, pushes, n);
        l.requirePaddingFrom(next + n, "after the restores");
        if (!inPlace && site.stackArguments() > 0 && n > 0) {
            throw l.bug(ClobberSet.ofBits(saved), "saves push over " + site.stackArguments() + " stack argument(s)");
        }
        if (!inPlace && site.isa() == Isa.X86_64 && (n & 1) != 0) {
            throw l.bug(n + " pushes leave the x86-64 stack misaligned at the call");
        }
        l.requireCovered(call.clobbers().bits() & ~site.clobbers().bits(), saved);
    }

    private static void checkNative(Listing l, PatchSite site, Op.Native op) {
        int end = l.indexAt(op.length());
        // Decoded beside the site's bytes by nativeListings; checked here, where it always was.
        Listing src = l.scratch.source.requireValid();
        java.util.OptionalLong given = op.sourceAddress();
        boolean hasSource = given.isPresent();
        long source = hasSource ? given.getAsLong() : site.address();
        if (src.count() != end) {
            throw l.bug("the native code decodes into " + src.count() + " instructions, the site's first "
                    + op.length() + " bytes into " + end);
        }
        int written = 0;
        for (int i = 0; i < end; i++) {
            if (l.length(i) != src.length(i) || l.mnemonicId(i) != src.mnemonicId(i)) {
                throw l.mismatch(i, "the native code has '" + src.text(i) + "' here");
            }
            l.requireSameTarget(i, src, source, op.length(), hasSource);
            written |= l.written(i);
        }
        l.requirePaddingFrom(end, "after the native code");
        if (site.kind() == SiteKind.CALL) {
            int kept = written & ~(1 << SP) & ~site.clobbers().bits();
            if (kept != 0) {
                throw l.bug(ClobberSet.ofBits(kept), "the native code writes registers the site keeps");
            }
        }
        src.release();
    }

    private static void requireOp(Listing l, boolean ok, Op op, Strategy strategy) {
        if (!ok) {
            throw l.bug("strategy=" + strategy + " does not apply to op " + op);
        }
    }

    private static void requireUnchanged(PatchSite site, byte[] original, byte[] patched) {
        requireLength(site, original);
        requireLength(site, patched);
        requireUnchanged(site, original, 0, patched, 0);
    }

    private static void requireUnchanged(PatchSite site, byte[] original, int originalOffset, byte[] patched,
            int patchedOffset) {
        int n = site.length();
        if (!Arrays.equals(original, originalOffset, originalOffset + n, patched, patchedOffset, patchedOffset + n)) {
            throw PatchBug.of(Violation.OUTPUT_MISMATCH, site, 0, 0, "a site left unpatched has new bytes");
        }
    }

    private static void requireLength(PatchSite site, byte[] bytes) {
        if (Objects.requireNonNull(bytes, "bytes").length != site.length()) {
            throw new IllegalArgumentException(bytes.length + " bytes given for " + site);
        }
    }

    /**
     * Decodes the site's bytes at {@code bytes[offset]} into this thread's site listing, which is
     * taken here and {@linkplain Listing#release() released} when its checks pass (a refusal
     * throws, and the next site takes it again).
     */
    private static Listing listing(PatchSite site, byte[] bytes, int offset, Violation violation) {
        Listing into = SCRATCH.get().site;
        ZydisDecoder d = Decoders.of(site.isa());
        d.decodeAll(bytes, offset, site.length(), site.address(), into.d);
        return into.take(site, bytes, offset, site.length(), d, violation).requireValid();
    }

    /**
     * Decodes a patched site and the native code it must hold in one crossing into native code:
     * {@return the site's listing, checked for undecodable bytes;} the code's listing is this
     * thread's source listing, checked by {@link #checkNative} where it needs it.
     */
    private static Listing nativeListings(PatchSite site, byte[] patched, int offset, Op.Native op) {
        Scratch scratch = SCRATCH.get();
        byte[] code = scratch.code;
        op.copyTo(code, 0);
        java.util.OptionalLong given = op.sourceAddress();
        long source = given.isPresent() ? given.getAsLong() : site.address();
        ZydisDecoder d = Decoders.of(site.isa());
        d.decodeAll(patched, offset, site.length(), site.address(), scratch.site.d, code, 0, op.length(), source,
                scratch.source.d);
        scratch.source.take(site, code, 0, op.length(), d, Violation.OUTPUT_MISMATCH);
        return scratch.site.take(site, patched, offset, site.length(), d, Violation.OUTPUT_MISMATCH).requireValid();
    }

    @Override
    public String toString() {
        return description;
    }

    /** A thread's reusable listings, and room for a native op's code. */
    private static final class Scratch {
        final Listing site = new Listing(this);
        final Listing source = new Listing(this);
        final byte[] code = new byte[PatchSite.MAX_LENGTH];
    }

    /**
     * A site's bytes as decoded, with the questions the rules ask of them: a range of an array
     * (nothing is copied), decoded into a buffer the thread reuses. Mutable, one per thread and
     * role, refilled by {@link #take} for each site.
     */
    private static final class Listing {
        final Scratch scratch;
        final DecodedBuffer d = new DecodedBuffer();
        private PatchSite site;
        private byte[] bytes;
        private int base;
        private int size;
        private ZydisDecoder decoder;
        private Violation violation;

        Listing(Scratch scratch) {
            this.scratch = scratch;
        }

        /** Points the listing at a new range, whose decoding {@link #d} already holds. */
        Listing take(PatchSite site, byte[] bytes, int base, int size, ZydisDecoder decoder, Violation violation) {
            this.site = site;
            this.bytes = bytes;
            this.base = base;
            this.size = size;
            this.decoder = decoder;
            this.violation = violation;
            return this;
        }

        /** {@return this listing, after checking that every byte starts an instruction that ends inside it} */
        Listing requireValid() {
            for (int i = 0; i < d.count(); i++) {
                if (!d.isValid(i)) {
                    throw bug("byte 0x" + Integer.toHexString(bytes[base + d.offset(i)] & 0xFF) + " at +"
                            + d.offset(i) + " starts no instruction that ends inside the site");
                }
            }
            return this;
        }

        /** Drops the references to the caller's site and array once the checks have passed. */
        void release() {
            site = null;
            bytes = null;
        }

        int count() {
            return d.count();
        }

        int offset(int i) {
            return d.offset(i);
        }

        int length(int i) {
            return d.length(i);
        }

        int mnemonicId(int i) {
            return d.mnemonicId(i);
        }

        int written(int i) {
            return d.registersWritten(i);
        }

        /** {@return the instruction index that starts at byte {@code at}, failing when one straddles it} */
        int indexAt(int at) {
            for (int i = 0; i < count(); i++) {
                if (offset(i) == at) {
                    return i;
                }
                if (offset(i) + length(i) > at) {
                    throw mismatch(i, "an instruction straddles +" + at + ", where the native code ends");
                }
            }
            return count();
        }

        /** {@return the register {@code push r} at entry {@code i} saves, or -1 when it is no register push} */
        int pushed(int i) {
            return pushPop(i, Encodings.PUSH_REG);
        }

        private int pushPop(int i, int opcode) {
            int at = base + offset(i);
            int b = bytes[at] & 0xFF;
            if (length(i) == 1 && b >= opcode && b < opcode + 8) {
                return b - opcode;
            }
            if (length(i) == 2 && site.isa() == Isa.X86_64 && b == REX_B) {
                int c = bytes[at + 1] & 0xFF;
                return c >= opcode && c < opcode + 8 ? 8 + c - opcode : -1;
            }
            return -1;
        }

        boolean readsSlot(int i, String mnemonic, long slot) {
            return d.mnemonic(i).equals(mnemonic) && !d.isFarBranch(i) && d.hasMemoryAddress(i)
                    && !d.hasBranchTarget(i) && d.memoryAddress(i) == slot;
        }

        /** Checks {@code n} pops from entry {@code from}, mirroring the pushes; {@return the saved mask} */
        int requirePops(int from, long pushes, int n) {
            int saved = 0;
            for (int k = n - 1; k >= 0; k--) {
                int reg = (int) (pushes >>> (4 * k)) & 0xF;
                int i = from + (n - 1 - k);
                if (i >= count() || pushPop(i, Encodings.POP_REG) != reg) {
                    throw mismatch(i, "expected pop " + name(reg) + " to mirror the push of it");
                }
                saved |= 1 << reg;
            }
            return saved & ~(1 << SP);
        }

        void requirePaddingFrom(int from, String where) {
            for (int i = from; i < count(); i++) {
                if (!isPadding(i)) {
                    throw mismatch(i, "only NOP padding may follow " + where.replaceFirst("^in ", "") + "");
                }
            }
        }

        boolean isPadding(int i) {
            if (d.mnemonic(i).equals("nop")) {
                return true;
            }
            for (NopTable t : NOP_TABLES) {
                if (t.supports(site.isa()) && length(i) <= t.maxLength(site.isa())
                        && t.isEntryAt(length(i), site.isa(), bytes, base + offset(i))) {
                    return true;
                }
            }
            return false;
        }

        void requireBranch(int i, int opcode, long target) {
            String what = opcode == CALL_REL32 ? "call" : "jmp";
            if (i >= count() || (bytes[base + offset(i)] & 0xFF) != opcode || length(i) != Encodings.BRANCH_REL32_LENGTH
                    || !d.hasBranchTarget(i)) {
                throw mismatch(i, "expected " + what + " rel32 to 0x" + Long.toHexString(target));
            }
            if (d.branchTarget(i) != target) {
                throw mismatch(i, "the " + what + " lands on 0x" + Long.toHexString(d.branchTarget(i))
                        + ", the op's target is 0x" + Long.toHexString(target));
            }
        }

        void requireCovered(int destroyed, int saved) {
            int unsaved = destroyed & ~saved & ~(1 << SP);
            if (unsaved != 0) {
                throw bug(ClobberSet.ofBits(unsaved), "the target destroys registers the site keeps, and they are not saved");
            }
        }

        /**
         * Entry {@code i} of the inlined code must reach what entry {@code i} of the source reaches:
         * the same absolute target outside the code, the moved one inside it.
         */
        void requireSameTarget(int i, Listing src, long source, int codeLength, boolean hasSource) {
            boolean branch = d.hasBranchTarget(i);
            long got = branch ? d.branchTarget(i) : d.memoryAddress(i);
            long want = branch ? src.d.branchTarget(i) : src.d.memoryAddress(i);
            boolean relative = branch || src.d.hasMemoryAddress(i) && src.d.isRipRelative(i);
            if (!relative) {
                return;
            }
            long inside = mask(want - source);
            // The code's end belongs to it: a branch there falls through to what follows the code.
            if (inside >= 0 && inside <= codeLength) {
                want = mask(site.address() + inside);
            } else if (!hasSource) {
                throw mismatch(i, "the native code reaches 0x" + Long.toHexString(want)
                        + " outside itself but has no source address to relocate from");
            }
            if (got != want) {
                throw mismatch(i, "reaches 0x" + Long.toHexString(got) + ", the native code reaches 0x"
                        + Long.toHexString(want));
            }
        }

        private long mask(long address) {
            return site.isa() == Isa.X86_32 ? address & 0xFFFF_FFFFL : address;
        }

        String text(int i) {
            return decoder.format(bytes, base + offset(i), length(i), d.address(i), Syntax.INTEL).orElse("?");
        }

        private String name(int reg) {
            return io.github.pvpatch.arch.Register.ofEncoding(reg).nameIn(site.isa());
        }

        PatchBug mismatch(int i, String why) {
            if (i >= count()) {
                return bug(why + ", found the end of the site");
            }
            return bug(why + ", found '" + text(i) + "' at +" + offset(i));
        }

        PatchBug bug(String why) {
            return bug(ClobberSet.none(), why);
        }

        PatchBug bug(ClobberSet registers, String why) {
            String what = violation == Violation.ORIGINAL_MISMATCH ? "unpatched" : "patched";
            return PatchBug.of(violation, site, 0, 0, registers, what + " bytes " + hex() + ": " + why);
        }

        private String hex() {
            return java.util.HexFormat.ofDelimiter(" ").formatHex(bytes, base, base + size).toLowerCase(Locale.ROOT);
        }
    }
}
