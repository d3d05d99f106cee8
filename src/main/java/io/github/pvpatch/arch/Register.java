package io.github.pvpatch.arch;

import java.util.Objects;

/**
 * A general-purpose x86 register, named by its 64-bit name and numbered by its encoding
 * (0&ndash;15, the value in ModRM/REX fields and in {@code push r}/{@code pop r} opcodes).
 *
 * <p>The eight registers that exist on both ISAs have 32-bit aliases ({@link #EAX} is
 * {@link #RAX}, and so on), so i386 code reads naturally. {@link #R8} to {@link #R15} exist only
 * on x86-64. {@link #nameIn(Isa)} gives the name an assembler listing would use.
 *
 * <pre>{@code
 * Register.EAX == Register.RAX;          // true: one register, two names
 * Register.RDI.nameIn(Isa.X86_32);       // "edi"
 * Register.R9.isIn(Isa.X86_32);          // false
 * }</pre>
 */
public enum Register {
    /** Accumulator; the C return register on both ISAs. */
    RAX,
    /** Counter. */
    RCX,
    /** Data; the high half of 64-bit results on i386. */
    RDX,
    /** Base; callee-saved. */
    RBX,
    /** Stack pointer; never in a clobber set. */
    RSP,
    /** Frame pointer; callee-saved. */
    RBP,
    /** Source index; caller-saved on x86-64 (SysV), callee-saved on i386. */
    RSI,
    /** Destination index; caller-saved on x86-64 (SysV), callee-saved on i386. */
    RDI,
    /** r8, x86-64 only. */
    R8,
    /** r9, x86-64 only. */
    R9,
    /** r10, x86-64 only. */
    R10,
    /** r11, x86-64 only. */
    R11,
    /** r12, x86-64 only, callee-saved. */
    R12,
    /** r13, x86-64 only, callee-saved. */
    R13,
    /** r14, x86-64 only, callee-saved. */
    R14,
    /** r15, x86-64 only, callee-saved. */
    R15;

    /** The i386 name of {@link #RAX}. */
    public static final Register EAX = RAX;
    /** The i386 name of {@link #RCX}. */
    public static final Register ECX = RCX;
    /** The i386 name of {@link #RDX}. */
    public static final Register EDX = RDX;
    /** The i386 name of {@link #RBX}. */
    public static final Register EBX = RBX;
    /** The i386 name of {@link #RSP}. */
    public static final Register ESP = RSP;
    /** The i386 name of {@link #RBP}. */
    public static final Register EBP = RBP;
    /** The i386 name of {@link #RSI}. */
    public static final Register ESI = RSI;
    /** The i386 name of {@link #RDI}. */
    public static final Register EDI = RDI;

    private static final Register[] BY_ENCODING = values();
    private static final String[] NAMES_32 = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

    /** {@return the register's encoding, 0 to 15} */
    public int encoding() {
        return ordinal();
    }

    /** {@return whether encoding it needs a REX.B prefix (r8&ndash;r15)} */
    public boolean needsRex() {
        return ordinal() >= 8;
    }

    /**
     * {@return whether this register exists on {@code isa}}
     *
     * @param isa the instruction set
     */
    public boolean isIn(Isa isa) {
        return ordinal() < Objects.requireNonNull(isa, "isa").registerCount();
    }

    /**
     * {@return the register's assembler name on {@code isa}, such as {@code "eax"} or {@code "r10"}}
     *
     * @param isa the instruction set
     * @throws IllegalArgumentException if the register does not exist on {@code isa}
     */
    public String nameIn(Isa isa) {
        if (!isIn(isa)) {
            throw new IllegalArgumentException("register=" + name().toLowerCase(java.util.Locale.ROOT)
                    + " does not exist on isa=" + isa.displayName());
        }
        return isa == Isa.X86_32 ? NAMES_32[ordinal()] : name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * {@return the register with this encoding}
     *
     * @param encoding 0 to 15
     * @throws IllegalArgumentException if {@code encoding} is outside 0&ndash;15
     */
    public static Register ofEncoding(int encoding) {
        if (encoding < 0 || encoding >= BY_ENCODING.length) {
            throw new IllegalArgumentException("encoding=" + encoding + " is not a register encoding (0..15)");
        }
        return BY_ENCODING[encoding];
    }
}
