package io.github.pvpatch.x86;

import io.github.pvpatch.arch.Isa;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A table of NOP encodings, one per length, used to pad what a patcher writes up to the end of
 * the site. Gaps longer than the table's longest entry are filled largest-first, as the kernel's
 * {@code add_nops} does (13 bytes with {@link #P6} on x86-32: an 8-byte NOP, then a 5-byte one).
 *
 * <p>{@link #P6} is the default: the Intel SDM's recommended multi-byte NOPs ({@code 0F 1F /0}),
 * 1&ndash;8 bytes on both ISAs, and 9&ndash;11 bytes on x86-64 by adding {@code 66} prefixes in
 * front of the 8-byte form. The others are the kernel's tables for CPUs before P6 NOPs:
 * {@link #K8} ({@code 66}-prefixed {@code 90}s, any ISA), and {@link #K7} and {@link #GENERIC}
 * ({@code mov}/{@code lea} forms), which are x86-32 only: in 64-bit mode their 32-bit register
 * writes zero the upper halves, so they are not NOPs there.
 *
 * <pre>{@code
 * byte[] code = new byte[13];
 * NopTable.P6.fill(code, 0, 13, Isa.X86_32);   // 0F 1F 84 00 00 00 00 00 | 0F 1F 44 00 00
 * }</pre>
 */
public enum NopTable {
    /** Intel's recommended NOPs (the default). */
    P6(true,
            "90", "6690", "0f1f00", "0f1f4000", "0f1f440000", "660f1f440000", "0f1f8000000000",
            "0f1f840000000000", "660f1f840000000000", "66660f1f840000000000", "6666660f1f840000000000"),
    /** The kernel's K8 table: operand-size-prefixed {@code 90}s, two instructions from 5 bytes on. */
    K8(true,
            "90", "6690", "666690", "66666690", "6666906690", "666690666690", "66666690666690",
            "6666669066666690"),
    /** The kernel's K7 table (x86-32 only). */
    K7(false,
            "90", "8bc0", "8d0420", "8d442000", "8d44200090", "8d8000000000", "8d040500000000",
            "8d04050000000090"),
    /** The kernel's generic i386 table (x86-32 only). */
    GENERIC(false,
            "90", "89f6", "8d7600", "8d742600", "908d742600", "8db600000000", "8db42600000000",
            "908db42600000000");

    /** The P6 entries above this length are x86-64 only. */
    private static final int P6_MAX_32 = 8;

    private final boolean supports64;
    private final byte[][] byLength;

    NopTable(boolean supports64, String... hex) {
        this.supports64 = supports64;
        this.byLength = new byte[hex.length + 1][];
        byLength[0] = new byte[0];
        for (int i = 0; i < hex.length; i++) {
            byLength[i + 1] = HexFormat.of().parseHex(hex[i]);
        }
    }

    /**
     * {@return whether every entry is a NOP on {@code isa}}
     *
     * @param isa the instruction set
     */
    public boolean supports(Isa isa) {
        return Objects.requireNonNull(isa, "isa") == Isa.X86_32 || supports64;
    }

    /**
     * {@return the length of the longest single entry usable on {@code isa}}
     *
     * @param isa the instruction set
     */
    public int maxLength(Isa isa) {
        requireSupports(isa);
        return this == P6 && isa == Isa.X86_32 ? P6_MAX_32 : byLength.length - 1;
    }

    /**
     * {@return a copy of the entry of exactly {@code length} bytes}
     *
     * @param length 1 to {@link #maxLength(Isa)}
     * @param isa the instruction set
     * @throws IllegalArgumentException if the table has no such entry on {@code isa}
     */
    public byte[] nop(int length, Isa isa) {
        if (length < 1 || length > maxLength(isa)) {
            throw new IllegalArgumentException("nop length=" + length + " is outside 1.." + maxLength(isa)
                    + " for table=" + this + " isa=" + isa.displayName());
        }
        return byLength[length].clone();
    }

    /**
     * Fills {@code dst[offset .. offset+length)} with NOPs, the longest entries first. Allocates
     * nothing.
     *
     * @param dst where to write
     * @param offset the first index
     * @param length how many bytes, 0 or more
     * @param isa the instruction set
     * @throws IndexOutOfBoundsException if the range is outside {@code dst}
     * @throws IllegalArgumentException if the table does not support {@code isa}
     */
    public void fill(byte[] dst, int offset, int length, Isa isa) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        int max = maxLength(isa);
        int at = offset;
        int left = length;
        while (left > 0) {
            int n = Math.min(left, max);
            byte[] nop = byLength[n];
            // A loop: the few bytes of a NOP copy faster than a call to arraycopy.
            for (int i = 0; i < n; i++) {
                dst[at + i] = nop[i];
            }
            at += n;
            left -= n;
        }
    }

    /**
     * {@return whether {@code src[offset .. offset+length)} is exactly this table's entry of
     * {@code length} bytes} A length of 0 always matches. Allocation-free.
     *
     * @param length the entry's length, 0 to {@link #maxLength(Isa)}
     * @param isa the instruction set
     * @param src the code
     * @param offset where the entry would start
     */
    public boolean isEntryAt(int length, Isa isa, byte[] src, int offset) {
        if (length < 0 || length > maxLength(isa) || offset < 0 || offset > src.length - length) {
            return false;
        }
        byte[] entry = byLength[length];
        for (int i = 0; i < length; i++) {
            if (src[offset + i] != entry[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@return how many table entries {@link #fill} uses for {@code length} bytes}
     *
     * @param length how many bytes
     * @param isa the instruction set
     */
    public int entriesFor(int length, Isa isa) {
        int max = maxLength(isa);
        return (length + max - 1) / max;
    }

    private void requireSupports(Isa isa) {
        if (!supports(isa)) {
            throw new IllegalArgumentException("nops=" + this + " are not NOPs on isa=" + isa.displayName()
                    + " (32-bit register writes zero the upper half)");
        }
    }
}
