package io.github.pvpatch;

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
    private final byte[] buf = new byte[PatchSite.MAX_LENGTH];
    private PatchSite site;
    private byte[] original;
    private int originalOffset;
    private NopTable nops;
    private int pos;

    SiteWriter() {
    }

    void reset(PatchSite site, byte[] original, int originalOffset, NopTable nops) {
        this.site = site;
        this.original = original;
        this.originalOffset = originalOffset;
        this.nops = nops;
        this.pos = 0;
    }

    /** Pads to the end with NOPs and copies the site's bytes to {@code dst}. */
    void finishTo(byte[] dst, int offset) {
        int len = site.length();
        nops.fill(buf, pos, len - pos, site.isa());
        System.arraycopy(buf, 0, dst, offset, len);
    }

    /** {@return the site being written} */
    public PatchSite site() {
        return site;
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
        return site.length() - pos;
    }

    /** {@return the address of the next byte to write} */
    public long address() {
        return site.address() + pos;
    }

    /**
     * {@return the site's current byte at {@code index}, 0 to 255}
     *
     * @param index 0 to {@code site().length() - 1}
     */
    public int originalByte(int index) {
        return original[originalOffset + Objects.checkIndex(index, site.length())] & 0xFF;
    }

    /**
     * {@return the indirect call or jump form of the site's kind found in the site's current bytes
     * at {@code index}, or {@code null} when there is none}
     *
     * @param index where to look, 0 to {@code site().length() - 1}
     */
    public IndirectForm originalIndirectAt(int index) {
        Objects.checkIndex(index, site.length());
        return IndirectForm.find(site.isa(), site.kind(), original, originalOffset + index,
                originalOffset + site.length());
    }

    /**
     * {@return whether the site's current bytes at {@code index} are exactly the
     * {@linkplain #nops() NOP table}'s entry of {@code length} bytes}
     *
     * @param index where to look
     * @param length the entry's length; 0 always matches
     */
    public boolean originalIsNop(int index, int length) {
        return index >= 0 && length >= 0 && index + length <= site.length()
                && nops.isEntryAt(length, site.isa(), original, originalOffset + index);
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
        buf[pos++] = (byte) value;
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
        code.copyTo(buf, pos);
        for (Relocation r : code.relocationArray()) {
            relocate(code, r);
        }
        pos += code.length();
        return this;
    }

    /**
     * Re-aims one relative field of native code just copied to {@code pos}, as the kernel's
     * {@code __apply_relocation} does: a target inside the sequence moves with it; any other keeps
     * its absolute address, and a displacement that no longer fits its field is a BUG.
     */
    private void relocate(Op.Native code, Relocation r) {
        Isa isa = site.isa();
        long source = code.sourceAddressOrZero();
        int field = pos + r.fieldOffset();
        long disp = readSigned(field, r.fieldSize());
        long target = source + r.instructionEnd() + disp;
        if (isa == Isa.X86_32) {
            target &= 0xFFFF_FFFFL;
        }
        long offsetInCode = target - source;
        if (isa == Isa.X86_32) {
            offsetInCode &= 0xFFFF_FFFFL;
        }
        if (offsetInCode >= 0 && offsetInCode < code.length()) {
            return;
        }
        long newDisp = target - (address() + r.instructionEnd());
        if (isa == Isa.X86_32) {
            newDisp = (int) newDisp;
        }
        long max = (1L << (8 * r.fieldSize() - 1)) - 1;
        // A 32-bit field reaches the whole x86-32 address space, where addresses wrap.
        boolean fits = isa == Isa.X86_32 && r.fieldSize() == 4 || (newDisp >= -max - 1 && newDisp <= max);
        if (!fits) {
            throw PatchBug.of(Violation.TARGET_OUT_OF_REACH, site, newDisp, newDisp < 0 ? -max - 1 : max,
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
        Objects.checkFromToIndex(from, to, site.length());
        ensure(to - from);
        System.arraycopy(original, originalOffset + from, buf, pos, to - from);
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
        nops.fill(buf, pos, count, site.isa());
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
        requireReach(target);
        ensure(Encodings.BRANCH_REL32_LENGTH);
        pos = Encodings.putCallRel32(buf, pos, site.isa(), address(), target);
        return this;
    }

    /**
     * Writes {@code jmp rel32} to {@code target}.
     *
     * @param target the destination
     * @return this writer
     * @throws PatchBug {@link Violation#TARGET_OUT_OF_REACH} or {@link Violation#CODE_TOO_LONG}
     */
    public SiteWriter putJump(long target) {
        requireReach(target);
        ensure(Encodings.BRANCH_REL32_LENGTH);
        pos = Encodings.putJmpRel32(buf, pos, site.isa(), address(), target);
        return this;
    }

    /**
     * Writes the pushes that save {@code registers} (see {@link Encodings#putSaves}).
     *
     * @param registers the registers to save
     * @return this writer
     */
    public SiteWriter putSaves(ClobberSet registers) {
        registers.requireIn(site.isa());
        ensure(Encodings.savesLength(site.isa(), registers.bits()));
        pos = Encodings.putSaves(buf, pos, site.isa(), registers.bits());
        return this;
    }

    /**
     * Writes the pops that undo {@link #putSaves(ClobberSet)}.
     *
     * @param registers the registers saved
     * @return this writer
     */
    public SiteWriter putRestores(ClobberSet registers) {
        registers.requireIn(site.isa());
        ensure(Encodings.savesLength(site.isa(), registers.bits()));
        pos = Encodings.putRestores(buf, pos, site.isa(), registers.bits());
        return this;
    }

    private void requireReach(long target) {
        long at = address();
        if (!Encodings.reachesRel32(site.isa(), at, target)) {
            long disp = Encodings.rel32Displacement(at, target);
            throw PatchBug.of(Violation.TARGET_OUT_OF_REACH, site, disp,
                    disp < 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE,
                    "rel32 at 0x" + Long.toHexString(at) + " cannot reach target=0x" + Long.toHexString(target));
        }
    }

    private void ensure(int n) {
        if (n > site.length() - pos) {
            throw PatchBug.of(Violation.CODE_TOO_LONG, site, (long) pos + n, site.length(),
                    "the patch does not fit in the site");
        }
    }
}
