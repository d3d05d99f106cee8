package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * An immutable set of general-purpose registers that some code may destroy.
 *
 * <p>A site's clobber set is what the code around the site lets the patched code destroy; an
 * op's clobber set is what its implementation destroys. Patching is legal when the code written
 * into a site destroys only registers in the site's set, or saves the rest itself. The stack
 * pointer is never part of a clobber set.
 *
 * <p>Internally a set is a 16-bit mask with bit <i>n</i> for the register of encoding <i>n</i>
 * ({@link #bits()}), so set operations cost one machine instruction and allocate nothing on the
 * patcher's hot path, which works on the masks directly. The Linux kernel's {@code CLBR_*} masks
 * use a different bit order; {@link #fromLinuxMask(int, Isa)} and {@link #toLinuxMask(Isa)}
 * convert.
 *
 * <pre>{@code
 * ClobberSet site = ClobberSet.of(Register.EAX);                 // CLBR_EAX
 * ClobberSet call = ClobberSet.callerSaved(Isa.X86_32);          // eax, ecx, edx
 * call.minus(site);                                              // {ecx, edx}: must be saved
 * ClobberSet.fromLinuxMask(0x1ff, Isa.X86_64).equals(ClobberSet.linuxAny(Isa.X86_64)); // true
 * }</pre>
 */
public final class ClobberSet {
    private static final int SP_BIT = 1 << Register.RSP.encoding();
    private static final int ALL_BITS = 0xFFFF & ~SP_BIT;
    private static final int ALL_32 = 0xFF & ~SP_BIT;

    /** Kernel CLBR_* bit for each register encoding; 0 where the kernel had none. */
    private static final int[] LINUX_BIT = new int[16];

    static {
        LINUX_BIT[Register.RAX.encoding()] = 0x1;
        LINUX_BIT[Register.RCX.encoding()] = 0x2;
        LINUX_BIT[Register.RDX.encoding()] = 0x4;
        LINUX_BIT[Register.RDI.encoding()] = 0x8;
        LINUX_BIT[Register.RSI.encoding()] = 0x10;
        LINUX_BIT[Register.R8.encoding()] = 0x20;
        LINUX_BIT[Register.R9.encoding()] = 0x40;
        LINUX_BIT[Register.R10.encoding()] = 0x80;
        LINUX_BIT[Register.R11.encoding()] = 0x100;
    }

    private static final ClobberSet NONE = new ClobberSet(0);

    /**
     * Every set, made on first use, so the patcher's hot path never allocates one. A race makes
     * at most a duplicate of an immutable object, which is harmless.
     */
    private static final ClobberSet[] CACHE = new ClobberSet[1 << 16];

    private final short bits;

    private ClobberSet(int bits) {
        this.bits = (short) bits;
    }

    /** {@return the empty set: code that destroys no register ({@code CLBR_NONE})} */
    public static ClobberSet none() {
        return NONE;
    }

    /**
     * {@return a set of the given registers}
     *
     * @param registers the registers; duplicates are allowed
     * @throws IllegalArgumentException if {@link Register#RSP} is among them
     */
    public static ClobberSet of(Register... registers) {
        Objects.requireNonNull(registers, "registers");
        int b = 0;
        for (Register r : registers) {
            b |= 1 << Objects.requireNonNull(r, "registers[i]").encoding();
        }
        return ofBits(b);
    }

    /**
     * {@return the set whose bit <i>n</i> stands for the register of encoding <i>n</i>}
     *
     * @param bits a 16-bit mask
     * @throws IllegalArgumentException if {@code bits} has bits above 15 or the stack pointer's bit
     */
    public static ClobberSet ofBits(int bits) {
        if ((bits & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("bits=0x" + Integer.toHexString(bits) + " has bits above register 15");
        }
        if ((bits & SP_BIT) != 0) {
            throw new IllegalArgumentException("bits=0x" + Integer.toHexString(bits)
                    + " names the stack pointer, which no code may clobber");
        }
        if (bits == 0) {
            return NONE;
        }
        ClobberSet set = CACHE[bits];
        if (set == null) {
            set = new ClobberSet(bits);
            CACHE[bits] = set;
        }
        return set;
    }

    /**
     * {@return every general-purpose register of {@code isa} except the stack pointer}
     *
     * @param isa the instruction set
     */
    public static ClobberSet all(Isa isa) {
        return ofBits(Objects.requireNonNull(isa, "isa") == Isa.X86_32 ? ALL_32 : ALL_BITS);
    }

    /**
     * {@return the registers a plain C call may destroy on {@code isa}} On x86-32 (the kernel's
     * regparm(3) convention and the System V i386 ABI alike) eax, ecx and edx; on x86-64 (System V)
     * rax, rcx, rdx, rsi, rdi and r8&ndash;r11.
     *
     * @param isa the instruction set
     */
    public static ClobberSet callerSaved(Isa isa) {
        return Objects.requireNonNull(isa, "isa") == Isa.X86_32
                ? of(Register.EAX, Register.ECX, Register.EDX)
                : of(Register.RAX, Register.RCX, Register.RDX, Register.RSI, Register.RDI,
                        Register.R8, Register.R9, Register.R10, Register.R11);
    }

    /**
     * {@return the kernel's {@code CLBR_ANY} for {@code isa}: eax, ecx, edx and edi on x86-32
     * (mask 0xf), and rax, rcx, rdx, rsi, rdi, r8&ndash;r11 on x86-64 (mask 0x1ff)}
     *
     * @param isa the instruction set
     */
    public static ClobberSet linuxAny(Isa isa) {
        return fromLinuxMask(Objects.requireNonNull(isa, "isa") == Isa.X86_32 ? 0xF : 0x1FF, isa);
    }

    /**
     * {@return the set a Linux {@code CLBR_*} mask stands for} The bit values are those of every
     * kernel era that had them: EAX 0x1, ECX 0x2, EDX 0x4 (2.6.21 i386 stopped there), then EDI
     * 0x8, and on x86-64 RSI 0x10, R8 0x20, R9 0x40, R10 0x80, R11 0x100.
     *
     * @param mask the kernel's mask, as found in a {@code .parainstructions} record
     * @param isa the instruction set the record belongs to
     * @throws IllegalArgumentException if the mask has a bit the kernel never defined for {@code isa}
     */
    public static ClobberSet fromLinuxMask(int mask, Isa isa) {
        Objects.requireNonNull(isa, "isa");
        int valid = isa == Isa.X86_32 ? 0xF : 0x1FF;
        if ((mask & ~valid) != 0) {
            throw new IllegalArgumentException("mask=0x" + Integer.toHexString(mask) + " has bits outside 0x"
                    + Integer.toHexString(valid) + ", the kernel's CLBR_ANY on isa=" + isa.displayName());
        }
        int b = 0;
        for (int enc = 0; enc < 16; enc++) {
            if ((mask & LINUX_BIT[enc]) != 0) {
                b |= 1 << enc;
            }
        }
        return ofBits(b);
    }

    /**
     * {@return this set as a Linux {@code CLBR_*} mask}
     *
     * @param isa the instruction set the mask is for
     * @throws IllegalArgumentException if the set holds a register the kernel had no bit for on
     *     {@code isa} (for example ebx, rbp, r12&ndash;r15, or esi on x86-32)
     */
    public int toLinuxMask(Isa isa) {
        Objects.requireNonNull(isa, "isa");
        requireIn(isa);
        int mask = 0;
        for (int enc = 0; enc < 16; enc++) {
            if ((bits & (1 << enc)) != 0) {
                int bit = LINUX_BIT[enc];
                if (bit == 0 || (isa == Isa.X86_32 && bit > 0x8)) {
                    throw new IllegalArgumentException("register=" + Register.ofEncoding(enc).nameIn(isa)
                            + " has no CLBR_* bit on isa=" + isa.displayName());
                }
                mask |= bit;
            }
        }
        return mask;
    }

    /** {@return the set as a mask, bit <i>n</i> for the register of encoding <i>n</i>} */
    public int bits() {
        return bits & 0xFFFF;
    }

    /**
     * {@return whether {@code register} is in the set}
     *
     * @param register the register
     */
    public boolean contains(Register register) {
        return (bits() & (1 << register.encoding())) != 0;
    }

    /**
     * {@return whether every register of {@code other} is in this set}
     *
     * @param other the other set
     */
    public boolean containsAll(ClobberSet other) {
        return (other.bits() & ~bits()) == 0;
    }

    /**
     * {@return the registers of either set}
     *
     * @param other the other set
     */
    public ClobberSet union(ClobberSet other) {
        return ofBits(bits() | other.bits());
    }

    /**
     * {@return the registers of this set that are not in {@code other}} For an op's clobbers and
     * a site's, {@code op.minus(site)} is what a patcher must save around the op's code, or refuse
     * the site for.
     *
     * @param other the set to take away
     */
    public ClobberSet minus(ClobberSet other) {
        return ofBits(bits() & ~other.bits());
    }

    /** {@return whether the set is empty} */
    public boolean isEmpty() {
        return bits == 0;
    }

    /** {@return the number of registers in the set} */
    public int size() {
        return Integer.bitCount(bits());
    }

    /**
     * {@return whether every register of the set exists on {@code isa}}
     *
     * @param isa the instruction set
     */
    public boolean isIn(Isa isa) {
        return (bits() & ~(isa == Isa.X86_32 ? ALL_32 : ALL_BITS)) == 0;
    }

    /**
     * Checks that every register of the set exists on {@code isa}.
     *
     * @param isa the instruction set
     * @return this set
     * @throws IllegalArgumentException if a register is x86-64 only and {@code isa} is x86-32
     */
    public ClobberSet requireIn(Isa isa) {
        if (!isIn(isa)) {
            throw new IllegalArgumentException("clobbers=" + this + " name registers that do not exist on isa="
                    + isa.displayName());
        }
        return this;
    }

    /** {@return the registers in encoding order, as an unmodifiable list} */
    public List<Register> registers() {
        List<Register> list = new ArrayList<>(size());
        for (int enc = 0; enc < 16; enc++) {
            if ((bits() & (1 << enc)) != 0) {
                list.add(Register.ofEncoding(enc));
            }
        }
        return Collections.unmodifiableList(list);
    }

    /**
     * {@return the set written with {@code isa}'s register names, such as {@code [eax,ecx]}}
     *
     * @param isa the instruction set whose names to use
     */
    public String toString(Isa isa) {
        StringJoiner j = new StringJoiner(",", "[", "]");
        for (Register r : registers()) {
            j.add(r.isIn(isa) ? r.nameIn(isa) : r.name().toLowerCase(java.util.Locale.ROOT));
        }
        return j.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClobberSet && ((ClobberSet) o).bits == bits;
    }

    @Override
    public int hashCode() {
        return bits;
    }

    /** {@return the set with 64-bit register names, such as {@code [rax,rcx]}} */
    @Override
    public String toString() {
        return toString(Isa.X86_64);
    }
}
