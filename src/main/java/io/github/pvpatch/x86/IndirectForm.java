package io.github.pvpatch.x86;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.SiteKind;
import java.util.Objects;

/**
 * The encodings of an indirect call or jump through an ops-table slot that real code uses at
 * patch sites.
 *
 * <table>
 *   <caption>Forms</caption>
 *   <tr><th>form</th><th>bytes</th><th>ISA</th><th>operand</th></tr>
 *   <tr><td>{@link #CALL_ABS32}</td><td>{@code FF 15 abs32}</td><td>x86-32</td><td>slot address</td></tr>
 *   <tr><td>{@link #CALL_CS_ABS32}</td><td>{@code 2E FF 15 abs32}</td><td>x86-32</td><td>slot address (assembly sites)</td></tr>
 *   <tr><td>{@link #CALL_RIP32}</td><td>{@code FF 15 disp32}</td><td>x86-64</td><td>slot &minus; next instruction</td></tr>
 *   <tr><td>{@link #CALL_SIB_ABS32}</td><td>{@code FF 14 25 abs32}</td><td>x86-64</td><td>sign-extended slot address</td></tr>
 *   <tr><td>{@link #JMP_ABS32}</td><td>{@code FF 25 abs32}</td><td>x86-32</td><td>slot address</td></tr>
 *   <tr><td>{@link #JMP_CS_ABS32}</td><td>{@code 2E FF 25 abs32}</td><td>x86-32</td><td>slot address</td></tr>
 *   <tr><td>{@link #JMP_RIP32}</td><td>{@code FF 25 disp32}</td><td>x86-64</td><td>slot &minus; next instruction</td></tr>
 *   <tr><td>{@link #JMP_SIB_ABS32}</td><td>{@code FF 24 25 abs32}</td><td>x86-64</td><td>sign-extended slot address</td></tr>
 * </table>
 *
 * <pre>{@code
 * byte[] b = new byte[6];
 * IndirectForm.CALL_RIP32.encode(b, 0, 0x1000, 0x3008);   // FF 15 02 20 00 00
 * IndirectForm.CALL_RIP32.slotAddress(b, 0, 0x1000);      // 0x3008
 * }</pre>
 */
public enum IndirectForm {
    /** i386 {@code call *abs32}. */
    CALL_ABS32(Isa.X86_32, SiteKind.CALL, false, 0xFF, 0x15),
    /** i386 {@code call *%cs:abs32}, the form of 2.6.2x assembly sites. */
    CALL_CS_ABS32(Isa.X86_32, SiteKind.CALL, false, 0x2E, 0xFF, 0x15),
    /** x86-64 {@code call *disp32(%rip)}, the form of kernels from about v5.18 on. */
    CALL_RIP32(Isa.X86_64, SiteKind.CALL, true, 0xFF, 0x15),
    /** x86-64 {@code call *abs32} through a SIB byte, the form of older x86-64 kernels. */
    CALL_SIB_ABS32(Isa.X86_64, SiteKind.CALL, false, 0xFF, 0x14, 0x25),
    /** i386 {@code jmp *abs32}. */
    JMP_ABS32(Isa.X86_32, SiteKind.JUMP, false, 0xFF, 0x25),
    /** i386 {@code jmp *%cs:abs32} ({@code INTERRUPT_RETURN} of 2.6.21). */
    JMP_CS_ABS32(Isa.X86_32, SiteKind.JUMP, false, 0x2E, 0xFF, 0x25),
    /** x86-64 {@code jmp *disp32(%rip)}. */
    JMP_RIP32(Isa.X86_64, SiteKind.JUMP, true, 0xFF, 0x25),
    /** x86-64 {@code jmp *abs32} through a SIB byte. */
    JMP_SIB_ABS32(Isa.X86_64, SiteKind.JUMP, false, 0xFF, 0x24, 0x25);

    private static final IndirectForm[] VALUES = values();

    private final Isa isa;
    private final SiteKind kind;
    private final boolean ripRelative;
    private final byte[] opcode;

    IndirectForm(Isa isa, SiteKind kind, boolean ripRelative, int... opcode) {
        this.isa = isa;
        this.kind = kind;
        this.ripRelative = ripRelative;
        this.opcode = new byte[opcode.length];
        for (int i = 0; i < opcode.length; i++) {
            this.opcode[i] = (byte) opcode[i];
        }
    }

    /** {@return the form the current kernel uses for {@code kind} sites on {@code isa}}
     *
     * @param isa the instruction set
     * @param kind call or jump
     */
    public static IndirectForm standard(Isa isa, SiteKind kind) {
        if (Objects.requireNonNull(isa, "isa") == Isa.X86_32) {
            return Objects.requireNonNull(kind, "kind") == SiteKind.CALL ? CALL_ABS32 : JMP_ABS32;
        }
        return Objects.requireNonNull(kind, "kind") == SiteKind.CALL ? CALL_RIP32 : JMP_RIP32;
    }

    /** {@return the instruction set the form belongs to} */
    public Isa isa() {
        return isa;
    }

    /** {@return whether it is a call or a jump} */
    public SiteKind kind() {
        return kind;
    }

    /** {@return whether the operand is relative to the next instruction} */
    public boolean isRipRelative() {
        return ripRelative;
    }

    /** {@return the instruction's length in bytes: 6 or 7} */
    public int length() {
        return opcode.length + 4;
    }

    /**
     * {@return whether this form can point at {@code slotAddress} from an instruction at
     * {@code instructionAddress}}
     *
     * @param instructionAddress where the instruction starts
     * @param slotAddress the slot's address
     */
    public boolean canEncode(long instructionAddress, long slotAddress) {
        if (ripRelative) {
            long disp = slotAddress - (instructionAddress + length());
            return disp == (int) disp;
        }
        return isa == Isa.X86_32 ? isa.isAddress(slotAddress) : slotAddress == (int) slotAddress;
    }

    /**
     * Writes the instruction.
     *
     * @param dst where to write
     * @param offset the first index written
     * @param instructionAddress where the instruction will sit
     * @param slotAddress the slot it reads the target from
     * @throws IllegalArgumentException if the slot cannot be reached in this form
     * @throws IndexOutOfBoundsException if the instruction does not fit in {@code dst}
     */
    public void encode(byte[] dst, int offset, long instructionAddress, long slotAddress) {
        Objects.checkFromIndexSize(offset, length(), dst.length);
        if (!canEncode(instructionAddress, slotAddress)) {
            throw new IllegalArgumentException("form=" + this + " at=0x" + Long.toHexString(instructionAddress)
                    + " cannot reach slot=0x" + Long.toHexString(slotAddress));
        }
        System.arraycopy(opcode, 0, dst, offset, opcode.length);
        long operand = ripRelative ? slotAddress - (instructionAddress + length()) : slotAddress;
        Encodings.putInt32(dst, offset + opcode.length, (int) operand);
    }

    /**
     * {@return whether {@code src[offset ..]} starts with this form's opcode bytes and has room
     * for its operand}
     *
     * @param src the code
     * @param offset where the instruction would start
     * @param limit the index just past the last byte that may be read
     */
    public boolean matches(byte[] src, int offset, int limit) {
        if (offset < 0 || limit > src.length || limit - offset < length()) {
            return false;
        }
        for (int i = 0; i < opcode.length; i++) {
            if (src[offset + i] != opcode[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@return the slot address an instruction of this form reads its target from}
     *
     * @param src the code
     * @param offset where the instruction starts
     * @param instructionAddress the instruction's address
     * @throws IllegalArgumentException if the bytes are not this form
     */
    public long slotAddress(byte[] src, int offset, long instructionAddress) {
        if (!matches(src, offset, src.length)) {
            throw new IllegalArgumentException("bytes at offset=" + offset + " are not form=" + this);
        }
        int operand = Encodings.getInt32(src, offset + opcode.length);
        if (ripRelative) {
            return instructionAddress + length() + operand;
        }
        return isa == Isa.X86_32 ? operand & 0xFFFF_FFFFL : operand;
    }

    /**
     * {@return the form of {@code isa} and {@code kind} found at {@code src[offset]}, or
     * {@code null} when none matches} Allocation-free, for scanning code.
     *
     * @param isa the instruction set
     * @param kind call or jump
     * @param src the code
     * @param offset where to look
     * @param limit the index just past the last byte that may be read
     */
    public static IndirectForm find(Isa isa, SiteKind kind, byte[] src, int offset, int limit) {
        for (IndirectForm f : VALUES) {
            if (f.isa == isa && f.kind == kind && f.matches(src, offset, limit)) {
                return f;
            }
        }
        return null;
    }
}
