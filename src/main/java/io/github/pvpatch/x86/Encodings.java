package io.github.pvpatch.x86;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import java.util.List;
import java.util.Objects;

/**
 * The byte-level emitters every patcher shares: {@code call}/{@code jmp rel32}, {@code push} and
 * {@code pop} of general-purpose registers, the order in which saves are pushed, and the reach
 * of {@code rel32}. All emitters write into a caller's array at an explicit offset, return the
 * offset just past what they wrote, and allocate nothing.
 *
 * <pre>{@code
 * byte[] b = new byte[5];
 * Encodings.putCallRel32(b, 0, Isa.X86_64, 0x1000, 0x2000);   // E8 FB 0F 00 00
 * }</pre>
 */
public final class Encodings {
    /** {@code call rel32} opcode. */
    public static final int CALL_REL32 = 0xE8;
    /** {@code jmp rel32} opcode. */
    public static final int JMP_REL32 = 0xE9;
    /** {@code push r32/r64}: this plus the register's low three encoding bits. */
    public static final int PUSH_REG = 0x50;
    /** {@code pop r32/r64}: this plus the register's low three encoding bits. */
    public static final int POP_REG = 0x58;
    /** The REX prefix with only B set: selects r8-r15 for {@code push}/{@code pop}. */
    public static final int REX_B = 0x41;
    /** Length of {@code call rel32} and {@code jmp rel32}. */
    public static final int BRANCH_REL32_LENGTH = 5;
    /** Length of the shortest indirect call through memory on either ISA ({@code FF 15 imm32}). */
    public static final int MIN_INDIRECT_LENGTH = 6;

    private static final int PUSH = PUSH_REG;
    private static final int POP = POP_REG;

    /**
     * The kernel's {@code PV_SAVE_REGS} push order, extended with the callee-saved registers a
     * generic target might also clobber. 32-bit: eax, edi, ecx, edx; 64-bit: rax, rcx, rdx, rsi,
     * rdi, r8&ndash;r11.
     */
    private static final Register[] ORDER_32 = {
        Register.EAX, Register.EDI, Register.ECX, Register.EDX, Register.EBX, Register.EBP, Register.ESI,
    };
    private static final Register[] ORDER_64 = {
        Register.RAX, Register.RCX, Register.RDX, Register.RSI, Register.RDI, Register.R8, Register.R9,
        Register.R10, Register.R11, Register.RBX, Register.RBP, Register.R12, Register.R13, Register.R14,
        Register.R15,
    };

    private Encodings() {
    }

    /**
     * {@return whether {@code call}/{@code jmp rel32} at {@code instructionAddress} can reach
     * {@code target}} On x86-32 every 32-bit target can (the displacement wraps modulo
     * 2<sup>32</sup>); on x86-64 the target must be within a signed 32-bit distance of the next
     * instruction.
     *
     * @param isa the instruction set
     * @param instructionAddress where the branch starts
     * @param target where it goes
     */
    public static boolean reachesRel32(Isa isa, long instructionAddress, long target) {
        if (isa == Isa.X86_32) {
            return isa.isAddress(target) && isa.isAddress(instructionAddress);
        }
        long disp = target - (instructionAddress + BRANCH_REL32_LENGTH);
        return disp == (int) disp;
    }

    /**
     * {@return the displacement a {@code rel32} branch at {@code instructionAddress} would need,
     * before truncation to 32 bits}
     *
     * @param instructionAddress where the branch starts
     * @param target where it goes
     */
    public static long rel32Displacement(long instructionAddress, long target) {
        return target - (instructionAddress + BRANCH_REL32_LENGTH);
    }

    /**
     * Writes {@code call rel32}.
     *
     * @param dst where to write
     * @param offset the first index
     * @param isa the instruction set
     * @param instructionAddress where the call will sit
     * @param target the callee
     * @return {@code offset + 5}
     * @throws IllegalArgumentException if the target is out of reach
     */
    public static int putCallRel32(byte[] dst, int offset, Isa isa, long instructionAddress, long target) {
        return putBranch(dst, offset, CALL_REL32, isa, instructionAddress, target);
    }

    /**
     * Writes {@code jmp rel32}.
     *
     * @param dst where to write
     * @param offset the first index
     * @param isa the instruction set
     * @param instructionAddress where the jump will sit
     * @param target the destination
     * @return {@code offset + 5}
     * @throws IllegalArgumentException if the target is out of reach
     */
    public static int putJmpRel32(byte[] dst, int offset, Isa isa, long instructionAddress, long target) {
        return putBranch(dst, offset, JMP_REL32, isa, instructionAddress, target);
    }

    private static int putBranch(byte[] dst, int offset, int opcode, Isa isa, long at, long target) {
        Objects.checkFromIndexSize(offset, BRANCH_REL32_LENGTH, dst.length);
        if (!reachesRel32(isa, at, target)) {
            throw new IllegalArgumentException("rel32 at=0x" + Long.toHexString(at) + " cannot reach target=0x"
                    + Long.toHexString(target) + " on isa=" + isa.displayName());
        }
        dst[offset] = (byte) opcode;
        putInt32(dst, offset + 1, (int) rel32Displacement(at, target));
        return offset + BRANCH_REL32_LENGTH;
    }

    /**
     * {@return the length of {@code push r} or {@code pop r}: 1, or 2 with REX.B for r8&ndash;r15}
     *
     * @param register the register
     */
    public static int pushLength(Register register) {
        return register.needsRex() ? 2 : 1;
    }

    /**
     * Writes {@code push r} ({@code 50+r}, with {@code 41} before it for r8&ndash;r15).
     *
     * @param dst where to write
     * @param offset the first index
     * @param register the register
     * @return the offset past the instruction
     */
    public static int putPush(byte[] dst, int offset, Register register) {
        return putPushPop(dst, offset, PUSH, register);
    }

    /**
     * Writes {@code pop r} ({@code 58+r}, with {@code 41} before it for r8&ndash;r15).
     *
     * @param dst where to write
     * @param offset the first index
     * @param register the register
     * @return the offset past the instruction
     */
    public static int putPop(byte[] dst, int offset, Register register) {
        return putPushPop(dst, offset, POP, register);
    }

    private static int putPushPop(byte[] dst, int offset, int base, Register r) {
        int n = pushLength(r);
        Objects.checkFromIndexSize(offset, n, dst.length);
        if (n == 2) {
            dst[offset++] = (byte) REX_B;
        }
        dst[offset] = (byte) (base + (r.encoding() & 7));
        return offset + 1;
    }

    /**
     * {@return the order in which saves are pushed on {@code isa}}: the kernel's
     * {@code PV_SAVE_REGS} order (x86-32 eax, edi, ecx, edx; x86-64 rax, rcx, rdx, rsi, rdi,
     * r8&ndash;r11), then the remaining registers by encoding. Restores pop in reverse.
     *
     * @param isa the instruction set
     */
    public static List<Register> saveOrder(Isa isa) {
        return List.of(isa == Isa.X86_32 ? ORDER_32 : ORDER_64);
    }

    /**
     * {@return the bytes of the pushes that save {@code saves} on {@code isa}, on one side of the
     * call} On x86-64 an odd number of saves gets one more push of the last register, so the stack
     * stays 16-byte aligned at the call; the matching extra pop restores the same value.
     *
     * @param isa the instruction set
     * @param saves the registers to save, as {@link ClobberSet#bits()}
     */
    public static int savesLength(Isa isa, int saves) {
        int n = 0;
        Register last = null;
        for (Register r : isa == Isa.X86_32 ? ORDER_32 : ORDER_64) {
            if ((saves & (1 << r.encoding())) != 0) {
                n += pushLength(r);
                last = r;
            }
        }
        if (needsAlignmentPush(isa, saves)) {
            n += pushLength(last);
        }
        return n;
    }

    /**
     * Writes the pushes that save {@code saves}, in {@link #saveOrder(Isa)}, with the alignment
     * push described at {@link #savesLength(Isa, int)}.
     *
     * @param dst where to write
     * @param offset the first index
     * @param isa the instruction set
     * @param saves the registers to save, as {@link ClobberSet#bits()}
     * @return the offset past the pushes
     */
    public static int putSaves(byte[] dst, int offset, Isa isa, int saves) {
        Register last = null;
        for (Register r : isa == Isa.X86_32 ? ORDER_32 : ORDER_64) {
            if ((saves & (1 << r.encoding())) != 0) {
                offset = putPush(dst, offset, r);
                last = r;
            }
        }
        if (needsAlignmentPush(isa, saves)) {
            offset = putPush(dst, offset, last);
        }
        return offset;
    }

    /**
     * Writes the pops that undo {@link #putSaves}, in reverse order.
     *
     * @param dst where to write
     * @param offset the first index
     * @param isa the instruction set
     * @param saves the registers saved, as {@link ClobberSet#bits()}
     * @return the offset past the pops
     */
    public static int putRestores(byte[] dst, int offset, Isa isa, int saves) {
        Register[] order = isa == Isa.X86_32 ? ORDER_32 : ORDER_64;
        boolean align = needsAlignmentPush(isa, saves);
        for (int i = order.length - 1; i >= 0; i--) {
            Register r = order[i];
            if ((saves & (1 << r.encoding())) != 0) {
                if (align) {
                    offset = putPop(dst, offset, r);
                    align = false;
                }
                offset = putPop(dst, offset, r);
            }
        }
        return offset;
    }

    /**
     * {@return whether saving {@code saves} on {@code isa} takes the extra alignment push}
     *
     * @param isa the instruction set
     * @param saves the registers saved, as {@link ClobberSet#bits()}
     */
    public static boolean needsAlignmentPush(Isa isa, int saves) {
        return isa == Isa.X86_64 && (Integer.bitCount(saves) & 1) != 0;
    }

    /**
     * Writes a little-endian 32-bit value.
     *
     * @param dst where to write
     * @param offset the first index
     * @param value the value
     */
    public static void putInt32(byte[] dst, int offset, int value) {
        Objects.checkFromIndexSize(offset, 4, dst.length);
        dst[offset] = (byte) value;
        dst[offset + 1] = (byte) (value >>> 8);
        dst[offset + 2] = (byte) (value >>> 16);
        dst[offset + 3] = (byte) (value >>> 24);
    }

    /**
     * {@return the little-endian 32-bit value at {@code src[offset]}}
     *
     * @param src the bytes
     * @param offset the first index
     */
    public static int getInt32(byte[] src, int offset) {
        Objects.checkFromIndexSize(offset, 4, src.length);
        return (src[offset] & 0xFF) | (src[offset + 1] & 0xFF) << 8 | (src[offset + 2] & 0xFF) << 16
                | (src[offset + 3] & 0xFF) << 24;
    }
}
