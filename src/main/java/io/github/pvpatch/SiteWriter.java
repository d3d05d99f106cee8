package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.x86.Encodings;
import io.github.pvpatch.x86.IndirectForm;
import io.github.pvpatch.x86.NopTable;
import java.util.Objects;

/**
 * Where a {@link Patcher} writes the new bytes of one site. A planner hands one to
 * {@link Patcher#patch(PatchSite, Op, SiteWriter)} and takes the bytes back when it returns; it is
 * valid only during that call and is reused for the next site, so it allocates nothing per site.
 *
 * <p>Writes go forward from position 0 (the site's first byte). Whatever the patcher leaves
 * unwritten at the end is filled with NOPs from the plan's {@link NopTable}. Writing past the end
 * of the site throws a {@link PatchBug} with {@link Violation#CODE_TOO_LONG}: nothing outside the
 * site can be written. Branches are encoded for the address they will have in the site, and a
 * target out of {@code rel32} reach throws {@link Violation#TARGET_OUT_OF_REACH}.
 *
 * <p>The site's current bytes are readable through {@link #originalByte(int)}, for patchers that
 * keep part of them (such as the in-place indirect-to-direct conversion).
 */
public final class SiteWriter {
    /** Where the site's new bytes go: the planner's array, from {@link #outBase} on. */
    private byte[] buf;
    private int outBase;
    /** The site as an object: given, or made on first {@link #site()} call (a table pass gives primitives). */
    private PatchSite site;
    private Isa isa;
    private long siteAddress;
    private int length;
    private int type;
    private SiteKind kind;
    private int clobbers;
    private int callOffset;
    private int stackArguments;
    private byte[] original;
    private int originalOffset;
    private NopTable nops;
    private int pos;
    /**
     * What the patcher did beyond writing bytes of its own, for the engine's template cache: a
     * site's bytes are a template for its shape only when it read neither the original bytes nor
     * the address, relocated no native field, and wrote at most one branch.
     */
    private boolean readOriginal;
    private boolean usedAddress;
    private boolean relocated;
    private int branches;
    private int branchAt;
    private long branchTarget;

    SiteWriter() {
    }

    /**
     * {@return a writer for {@code site} over a scratch array}, for unit-testing a custom
     * {@link Patcher} without a plan: hand it to {@code patcher.patch(site, op, writer)}, then
     * read the site's new bytes with {@link #bytes()}.
     *
     * <pre>{@code
     * SiteWriter w = SiteWriter.scratch(site, form.encode(site), NopTable.P6);
     * Strategy s = myPatcher.patch(site, op, w);
     * byte[] patched = w.bytes();
     * }</pre>
     *
     * @param site the site to write
     * @param original the site's current bytes, exactly {@code site.length()} of them (copied)
     * @param nops the NOP table for padding
     * @throws IllegalArgumentException if {@code original} is not the site's length, or the NOP
     *     table does not support the site's ISA
     */
    public static SiteWriter scratch(PatchSite site, byte[] original, NopTable nops) {
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(nops, "nops");
        if (Objects.requireNonNull(original, "original").length != site.length()) {
            throw new IllegalArgumentException(original.length + " original bytes given for " + site);
        }
        if (!nops.supports(site.isa())) {
            throw new IllegalArgumentException("nops=" + nops + " are not NOPs on isa=" + site.isa().displayName());
        }
        SiteWriter w = new SiteWriter();
        w.reset(site, original.clone(), 0, new byte[site.length()], 0, nops);
        return w;
    }

    /**
     * {@return a copy of the site's bytes as they stand: what was written, then NOP padding to the
     * site's end}, as a planner would take them when the patcher returns
     */
    public byte[] bytes() {
        byte[] out = new byte[length];
        System.arraycopy(buf, outBase, out, 0, pos);
        nops.fill(out, pos, length - pos, isa);
        return out;
    }

    /**
     * Makes {@code given} the site written: a patcher may hand another patcher a changed site (a
     * decorator narrowing the clobbers, say), and the strategies then obey it. The bytes written
     * stay where they are, so the given site must be at the same address, of the same length and
     * ISA.
     *
     * @throws IllegalArgumentException if {@code given} is another stretch of code
     */
    void patchAs(PatchSite given) {
        if (given == site) {
            return;
        }
        if (given.isa() != isa || given.address() != siteAddress || given.length() != length) {
            throw new IllegalArgumentException(given + " is not the site this writer writes (site=0x"
                    + Long.toHexString(siteAddress) + " len=" + length + " isa=" + isa.displayName() + ")");
        }
        this.site = given;
        this.type = given.type();
        this.kind = given.kind();
        this.clobbers = given.clobbers().bits();
        this.callOffset = given.callOffsetOrMinusOne();
        this.stackArguments = given.stackArguments();
    }

    void reset(PatchSite site, byte[] original, int originalOffset, byte[] out, int outOffset, NopTable nops) {
        reset(site.isa(), site.address(), site.length(), site.type(), site.kind(), site.clobbers().bits(),
                site.callOffsetOrMinusOne(), site.stackArguments(), original, originalOffset, out, outOffset, nops);
        this.site = site;
    }

    /** Resets for a site given as fields, allocating nothing; {@link #site()} makes the object if asked. */
    void reset(Isa isa, long address, int length, int type, SiteKind kind, int clobbers, int callOffset,
            int stackArguments, byte[] original, int originalOffset, byte[] out, int outOffset, NopTable nops) {
        this.buf = out;
        this.outBase = outOffset;
        this.site = null;
        this.isa = isa;
        this.siteAddress = address;
        this.length = length;
        this.type = type;
        this.kind = kind;
        this.clobbers = clobbers;
        this.callOffset = callOffset;
        this.stackArguments = stackArguments;
        this.original = original;
        this.originalOffset = originalOffset;
        this.nops = nops;
        this.pos = 0;
        this.readOriginal = false;
        this.usedAddress = false;
        this.relocated = false;
        this.branches = 0;
        this.branchAt = -1;
        this.branchTarget = 0;
    }

    /** Gives the site object the fields came from, so {@link #site()} returns that very object. */
    void useSite(PatchSite given) {
        this.site = given;
    }

    /** {@return whether the bytes just written are a template for every site of this shape} */
    boolean isTemplate() {
        return !readOriginal && !usedAddress && !relocated && branches <= 1;
    }

    /** {@return where the one branch was written, or -1} */
    int branchAt() {
        return branchAt;
    }

    /** {@return the one branch's target} */
    long branchTarget() {
        return branchTarget;
    }

    /** Pads the rest of the site with NOPs: its new bytes are then complete in the output array. */
    void finish() {
        nops.fill(buf, outBase + pos, length - pos, isa);
    }

    /** {@return the site being written} A pass over a {@link SiteTable} makes it on first call. */
    public PatchSite site() {
        if (site == null) {
            // One object, not one per field set: a verified table pass makes this for every site.
            site = PatchSite.ofFields(isa, siteAddress, length, type, kind, ClobberSet.ofBits(clobbers), callOffset,
                    stackArguments);
        }
        return site;
    }

    /**
     * {@return the site's instruction set} (Its other fields are the {@code site} argument of
     * {@link Patcher#patch}; the built-in strategies read them here without making an object.)
     */
    public Isa isa() {
        return isa;
    }

    /** {@return the site's length in bytes} */
    int siteLength() {
        return length;
    }

    /** {@return the site's op type} */
    int siteType() {
        return type;
    }

    /** {@return whether the site calls or jumps} */
    SiteKind siteKind() {
        return kind;
    }

    /** {@return the site's clobbers, as {@link ClobberSet#bits()}} */
    int siteClobberBits() {
        return clobbers;
    }

    /** {@return where the site's call starts, or -1 when the site does not record it} */
    int siteCallOffset() {
        return callOffset;
    }

    /** {@return how many of the op's arguments are on the stack} */
    int siteStackArguments() {
        return stackArguments;
    }

    /** {@return the NOP table used for padding} */
    public NopTable nops() {
        return nops;
    }

    /** {@return how many bytes have been written} */
    public int position() {
        return pos;
    }

    /** {@return how many bytes are left before the end of the site} */
    public int remaining() {
        return length - pos;
    }

    /** {@return the address of the next byte to write} */
    public long address() {
        usedAddress = true;
        return at();
    }

    private long at() {
        return siteAddress + pos;
    }

    /**
     * {@return the site's current byte at {@code index}, 0 to 255}
     *
     * @param index 0 to {@code site().length() - 1}
     */
    public int originalByte(int index) {
        readOriginal = true;
        return original[originalOffset + Objects.checkIndex(index, length)] & 0xFF;
    }

    /**
     * {@return the indirect call or jump form of the site's kind found in the site's current bytes
     * at {@code index}, or {@code null} when there is none}
     *
     * @param index where to look, 0 to {@code site().length() - 1}
     */
    public IndirectForm originalIndirectAt(int index) {
        Objects.checkIndex(index, length);
        readOriginal = true;
        return IndirectForm.find(isa, kind, original, originalOffset + index, originalOffset + length);
    }

    /**
     * {@return whether the site's current bytes at {@code index} are exactly the
     * {@linkplain #nops() NOP table}'s entry of {@code length} bytes}
     *
     * @param index where to look
     * @param length the entry's length; 0 always matches
     */
    public boolean originalIsNop(int index, int length) {
        readOriginal = true;
        return index >= 0 && length >= 0 && index + length <= this.length
                && nops.isEntryAt(length, isa, original, originalOffset + index);
    }

    /**
     * Writes one byte.
     *
     * @param value 0 to 255 (higher bits ignored)
     * @return this writer
     * @throws PatchBug {@link Violation#CODE_TOO_LONG} if the site is full
     */
    public SiteWriter put(int value) {
        ensure(1);
        buf[outBase + pos++] = (byte) value;
        return this;
    }

    /**
     * Writes a native sequence. When it {@linkplain Op.Native#sourceAddress() knows where it
     * lives}, its {@linkplain Op.Native#relocations() relative fields} that point outside it are
     * re-aimed at the same targets from the site.
     *
     * @param code the op's code
     * @return this writer
     * @throws PatchBug {@link Violation#CODE_TOO_LONG} if it does not fit, or
     *     {@link Violation#TARGET_OUT_OF_REACH} if a relative field cannot reach its target from here
     */
    public SiteWriter putNative(Op.Native code) {
        ensure(code.length());
        code.copyTo(buf, outBase + pos);
        for (Relocation r : code.relocationArray()) {
            relocated = true;
            relocate(code, r);
        }
        pos += code.length();
        return this;
    }

    /**
     * Re-aims one relative field of native code just copied to {@code pos}, as the kernel's
     * {@code __apply_relocation} does: a target inside the sequence, its end included (a branch
     * to the byte just past the code, the kernel's {@code need_reloc} range {@code [src, src+len]}),
     * moves with it; any other keeps its absolute address, and a displacement that no longer fits
     * its field is a BUG.
     */
    private void relocate(Op.Native code, Relocation r) {
        long source = code.sourceAddressOrZero();
        int field = outBase + pos + r.fieldOffset();
        long disp = readSigned(field, r.fieldSize());
        long target = source + r.instructionEnd() + disp;
        if (isa == Isa.X86_32) {
            target &= 0xFFFF_FFFFL;
        }
        long offsetInCode = target - source;
        if (isa == Isa.X86_32) {
            offsetInCode &= 0xFFFF_FFFFL;
        }
        if (offsetInCode >= 0 && offsetInCode <= code.length()) {
            return;
        }
        long newDisp = target - (at() + r.instructionEnd());
        if (isa == Isa.X86_32) {
            newDisp = (int) newDisp;
        }
        long max = (1L << (8 * r.fieldSize() - 1)) - 1;
        // A 32-bit field reaches the whole x86-32 address space, where addresses wrap.
        boolean fits = isa == Isa.X86_32 && r.fieldSize() == 4 || (newDisp >= -max - 1 && newDisp <= max);
        if (!fits) {
            throw PatchBug.of(Violation.TARGET_OUT_OF_REACH, site(), newDisp, newDisp < 0 ? -max - 1 : max,
                    "native code's rel" + 8 * r.fieldSize() + " field at +" + r.fieldOffset() + " cannot reach target=0x"
                            + Long.toHexString(target) + " from the site");
        }
        for (int i = 0; i < r.fieldSize(); i++) {
            buf[field + i] = (byte) (newDisp >>> (8 * i));
        }
    }

    private long readSigned(int at, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (buf[at + i] & 0xFF);
        }
        int shift = 64 - 8 * size;
        return v << shift >> shift;
    }

    /**
     * Copies the site's current bytes {@code [from, to)} to the same number of bytes here.
     *
     * @param from the first index
     * @param to the index past the last
     * @return this writer
     * @throws IndexOutOfBoundsException if the range is outside the site
     */
    public SiteWriter putOriginal(int from, int to) {
        Objects.checkFromToIndex(from, to, length);
        readOriginal = true;
        ensure(to - from);
        System.arraycopy(original, originalOffset + from, buf, outBase + pos, to - from);
        pos += to - from;
        return this;
    }

    /**
     * Writes {@code count} bytes of NOPs.
     *
     * @param count how many bytes
     * @return this writer
     */
    public SiteWriter putNops(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count=" + count + " is negative");
        }
        ensure(count);
        nops.fill(buf, outBase + pos, count, isa);
        pos += count;
        return this;
    }

    /**
     * Writes {@code call rel32} to {@code target}.
     *
     * @param target the callee
     * @return this writer
     * @throws PatchBug {@link Violation#TARGET_OUT_OF_REACH} or {@link Violation#CODE_TOO_LONG}
     */
    public SiteWriter putCall(long target) {
        return putBranch(Encodings.CALL_REL32, target);
    }

    /**
     * Writes {@code jmp rel32} to {@code target}.
     *
     * @param target the destination
     * @return this writer
     * @throws PatchBug {@link Violation#TARGET_OUT_OF_REACH} or {@link Violation#CODE_TOO_LONG}
     */
    public SiteWriter putJump(long target) {
        return putBranch(Encodings.JMP_REL32, target);
    }

    /**
     * Writes the pushes that save {@code registers} (see {@link Encodings#putSaves}).
     *
     * @param registers the registers to save
     * @return this writer
     */
    public SiteWriter putSaves(ClobberSet registers) {
        registers.requireIn(isa);
        ensure(Encodings.savesLength(isa, registers.bits()));
        pos = Encodings.putSaves(buf, outBase + pos, isa, registers.bits()) - outBase;
        return this;
    }

    /**
     * Writes the pops that undo {@link #putSaves(ClobberSet)}.
     *
     * @param registers the registers saved
     * @return this writer
     */
    public SiteWriter putRestores(ClobberSet registers) {
        registers.requireIn(isa);
        ensure(Encodings.savesLength(isa, registers.bits()));
        pos = Encodings.putRestores(buf, outBase + pos, isa, registers.bits()) - outBase;
        return this;
    }

    /** {@code call}/{@code jmp rel32}: reach and room checked once, the five bytes written in place. */
    private SiteWriter putBranch(int opcode, long target) {
        requireReach(target);
        ensure(Encodings.BRANCH_REL32_LENGTH);
        branches++;
        branchAt = pos;
        branchTarget = target;
        int at = outBase + pos;
        int disp = (int) Encodings.rel32Displacement(at(), target);
        buf[at] = (byte) opcode;
        buf[at + 1] = (byte) disp;
        buf[at + 2] = (byte) (disp >>> 8);
        buf[at + 3] = (byte) (disp >>> 16);
        buf[at + 4] = (byte) (disp >>> 24);
        pos += Encodings.BRANCH_REL32_LENGTH;
        return this;
    }

    private void requireReach(long target) {
        if (!Encodings.reachesRel32(isa, at(), target)) {
            throw outOfReach(target);
        }
    }

    private PatchBug outOfReach(long target) {
        long at = at();
        long disp = Encodings.rel32Displacement(at, target);
        return PatchBug.of(Violation.TARGET_OUT_OF_REACH, site(), disp, disp < 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE,
                "rel32 at 0x" + Long.toHexString(at) + " cannot reach target=0x" + Long.toHexString(target));
    }


    private void ensure(int n) {
        if (n > length - pos) {
            throw tooLong(n);
        }
    }

    private PatchBug tooLong(int n) {
        return PatchBug.of(Violation.CODE_TOO_LONG, site(), (long) pos + n, length, "the patch does not fit in the site");
    }
}
