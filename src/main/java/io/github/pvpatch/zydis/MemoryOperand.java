package io.github.pvpatch.zydis;

import java.util.OptionalLong;

/**
 * The explicit memory operand of an instruction. Registers are numbered by their
 * general-purpose encoding (0 = rax/eax &hellip; 15 = r15), with {@link #NONE} for none,
 * {@link #IP} for rip/eip, and {@link #OTHER} for any other register (a segment or vector one).
 *
 * @param base the base register
 * @param index the index register
 * @param scale the index scale (0, 1, 2, 4 or 8)
 * @param displacement the signed displacement
 * @param absoluteAddress the address the operand names, when it does not depend on a register
 *     value: RIP-relative ({@code call *disp(%rip)}) or absolute ({@code call *abs32})
 */
public record MemoryOperand(int base, int index, int scale, long displacement, OptionalLong absoluteAddress) {
    /** No register. */
    public static final int NONE = -1;
    /** The instruction pointer. */
    public static final int IP = 16;
    /** A register that is not general-purpose. */
    public static final int OTHER = 17;

    /** {@return whether the operand is relative to the instruction pointer} */
    public boolean isRipRelative() {
        return base == IP;
    }
}
