package io.github.pvpatch.arch;

/**
 * The instruction set a patch site is written in: 32-bit x86 (i386) or x86-64.
 *
 * <p>The ISA decides the pointer size (and so the ops-table slot stride), which general-purpose
 * registers exist, which of them a plain C call clobbers, and whether a {@code rel32} branch can
 * reach any target (it can on x86-32, where addresses wrap modulo 2<sup>32</sup>; on x86-64 the
 * target must lie within &plusmn;2 GiB of the next instruction).
 *
 * <pre>{@code
 * Isa isa = Isa.X86_64;
 * isa.pointerSize();        // 8
 * isa.registerCount();      // 16
 * }</pre>
 */
public enum Isa {
    /** 32-bit x86 (i386): eight registers, 4-byte pointers. */
    X86_32(4, 8, 0xFFFF_FFFFL),
    /** x86-64 (AMD64): sixteen registers, 8-byte pointers. */
    X86_64(8, 16, -1L);

    private final int pointerSize;
    private final int registerCount;
    private final long addressMask;

    Isa(int pointerSize, int registerCount, long addressMask) {
        this.pointerSize = pointerSize;
        this.registerCount = registerCount;
        this.addressMask = addressMask;
    }

    /** {@return the size of a pointer, and so of one ops-table slot, in bytes} */
    public int pointerSize() {
        return pointerSize;
    }

    /** {@return how many general-purpose registers this ISA has (8 or 16)} */
    public int registerCount() {
        return registerCount;
    }

    /**
     * {@return whether {@code address} is an address of this ISA} On x86-32 that is
     * {@code 0 .. 0xFFFFFFFF}; on x86-64 every 64-bit value is (read as unsigned).
     *
     * @param address the address to test
     */
    public boolean isAddress(long address) {
        return (address & ~addressMask) == 0;
    }

    /**
     * {@return whether {@code length} bytes starting at {@code address} stay inside this ISA's
     * address space without wrapping}
     *
     * @param address the first address
     * @param length the number of bytes, not negative
     */
    public boolean isRange(long address, long length) {
        if (length < 0 || !isAddress(address)) {
            return false;
        }
        if (length == 0) {
            return true;
        }
        long last = address + (length - 1);
        // Unsigned compare: the range must not wrap past the top of the address space.
        return isAddress(last) && Long.compareUnsigned(last, address) >= 0;
    }

    /** {@return the lower-case name used in messages: {@code x86-32} or {@code x86-64}} */
    public String displayName() {
        return this == X86_32 ? "x86-32" : "x86-64";
    }
}
