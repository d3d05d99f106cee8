package io.github.pvpatch.zydis;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * The explicit memory operand of an instruction. Registers are numbered by their
 * general-purpose encoding (0 = rax/eax &hellip; 15 = r15), with {@link #NONE} for none,
 * {@link #IP} for rip/eip, and {@link #OTHER} for any other register (a segment or vector one).
 *
 * <p>An immutable value made by the decoder; it has no public constructor.
 */
public final class MemoryOperand {
    /** No register. */
    public static final int NONE = -1;
    /** The instruction pointer. */
    public static final int IP = 16;
    /** A register that is not general-purpose. */
    public static final int OTHER = 17;

    private final int base;
    private final int index;
    private final int scale;
    private final long displacement;
    private final OptionalLong absoluteAddress;

    /**
     * An operand as decoded.
     */
    MemoryOperand(int base, int index, int scale, long displacement, OptionalLong absoluteAddress) {
        this.base = base;
        this.index = index;
        this.scale = scale;
        this.displacement = displacement;
        this.absoluteAddress = Objects.requireNonNull(absoluteAddress, "absoluteAddress");
    }

    /** {@return the base register} */
    public int base() {
        return base;
    }

    /** {@return the index register} */
    public int index() {
        return index;
    }

    /** {@return the index scale (0, 1, 2, 4 or 8)} */
    public int scale() {
        return scale;
    }

    /** {@return the signed displacement} */
    public long displacement() {
        return displacement;
    }

    /**
     * {@return the address the operand names, when it does not depend on a register value: RIP-relative ({@code call
     * *disp(%rip)}) or absolute ({@code call *abs32})}
     */
    public OptionalLong absoluteAddress() {
        return absoluteAddress;
    }

    /** {@return whether the operand is relative to the instruction pointer} */
    public boolean isRipRelative() {
        return base == IP;
    }

    /**
     * {@return whether {@code o} is a MemoryOperand with equal components}
     *
     * @param o the other object
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MemoryOperand)) {
            return false;
        }
        MemoryOperand that = (MemoryOperand) o;
        return base == that.base
                && index == that.index
                && scale == that.scale
                && displacement == that.displacement
                && absoluteAddress.equals(that.absoluteAddress);
    }

    /** {@return a hash of the components} */
    @Override
    public int hashCode() {
        return Objects.hash(base, index, scale, displacement, absoluteAddress);
    }

    /** {@return the components, as {@code MemoryOperand[base=..., ...]}} */
    @Override
    public String toString() {
        return "MemoryOperand[base=" + base + ", index=" + index + ", scale=" + scale + ", displacement=" + displacement
                + ", absoluteAddress=" + absoluteAddress + "]";
    }
}
