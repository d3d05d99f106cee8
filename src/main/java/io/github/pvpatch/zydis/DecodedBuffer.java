package io.github.pvpatch.zydis;

import java.util.Arrays;
import java.util.Objects;

/**
 * The result of {@link ZydisDecoder#decodeAll}: one entry per instruction, in primitive arrays so
 * that a whole buffer crosses JNI once and reading it allocates nothing. Reusable: pass it back to
 * {@code decodeAll} and it is refilled, growing only when a buffer holds more instructions than
 * any before. Not thread-safe.
 *
 * <pre>{@code
 * DecodedBuffer out = decoder.decodeAll(text, 0, text.length, 0xffffffff81000000L);
 * for (int i = 0; i < out.count(); i++) {
 *     if (out.hasBranchTarget(i)) {
 *         System.out.printf("%x: %s -> %x%n", out.address(i), out.mnemonic(i), out.branchTarget(i));
 *     }
 * }
 * }</pre>
 */
public final class DecodedBuffer {
    int[] offsets = new int[0];
    byte[] lengths = new byte[0];
    short[] mnemonics = new short[0];
    byte[] flags = new byte[0];
    long[] targets = new long[0];
    long[] memAddresses = new long[0];
    short[] written = new short[0];
    /** Where a small decode lands before it is unpacked into the arrays above; made on first use. */
    long[] packed;
    private int count;
    private long address;

    /** An empty buffer; it grows on first use. */
    public DecodedBuffer() {
    }

    /** {@return the number of entries the arrays hold} */
    int capacity() {
        return offsets.length;
    }

    /** Makes room for at least {@code n} entries, keeping those already there. */
    void ensureCapacity(int n) {
        if (offsets.length < n) {
            int cap = (int) Math.min(Integer.MAX_VALUE - 8L, Math.max(n, 2L * offsets.length));
            offsets = Arrays.copyOf(offsets, cap);
            lengths = Arrays.copyOf(lengths, cap);
            mnemonics = Arrays.copyOf(mnemonics, cap);
            flags = Arrays.copyOf(flags, cap);
            targets = Arrays.copyOf(targets, cap);
            memAddresses = Arrays.copyOf(memAddresses, cap);
            written = Arrays.copyOf(written, cap);
        }
    }

    void set(int count, long address) {
        this.count = count;
        this.address = address;
    }

    /** {@return the number of entries} */
    public int count() {
        return count;
    }

    /**
     * {@return where entry {@code i} starts, relative to the first byte decoded}
     *
     * @param i the entry
     */
    public int offset(int i) {
        return offsets[Objects.checkIndex(i, count)];
    }

    /**
     * {@return the address of entry {@code i}}
     *
     * @param i the entry
     */
    public long address(int i) {
        return address + offset(i);
    }

    /**
     * {@return the length of entry {@code i}: the instruction's, or 1 for an invalid byte}
     *
     * @param i the entry
     */
    public int length(int i) {
        return lengths[Objects.checkIndex(i, count)];
    }

    /**
     * {@return whether entry {@code i} is an instruction, not an undecodable byte}
     *
     * @param i the entry
     */
    public boolean isValid(int i) {
        return (flags[Objects.checkIndex(i, count)] & ZydisNative.F_VALID) != 0;
    }

    /**
     * {@return the mnemonic of entry {@code i}, {@code "invalid"} for an undecodable byte}
     *
     * @param i the entry
     */
    public String mnemonic(int i) {
        return isValid(i) ? Zydis.Mnemonics.name(mnemonics[i]) : "invalid";
    }

    /**
     * {@return Zydis' mnemonic number of entry {@code i}}
     *
     * @param i the entry
     */
    public int mnemonicId(int i) {
        return mnemonics[Objects.checkIndex(i, count)];
    }

    /**
     * {@return whether entry {@code i} is a relative branch with a known target}
     *
     * @param i the entry
     */
    public boolean hasBranchTarget(int i) {
        return (flags[Objects.checkIndex(i, count)] & ZydisNative.F_BRANCH) != 0;
    }

    /**
     * {@return the absolute target of entry {@code i}'s relative branch (0 when it has none)}
     *
     * @param i the entry
     */
    public long branchTarget(int i) {
        return targets[Objects.checkIndex(i, count)];
    }

    /**
     * {@return whether entry {@code i} is a far branch ({@code call far}, {@code jmp far},
     * {@code retf}, {@code iret}): one that loads a code segment too}
     *
     * @param i the entry
     */
    public boolean isFarBranch(int i) {
        return (flags[Objects.checkIndex(i, count)] & ZydisNative.F_FAR) != 0;
    }

    /**
     * {@return whether entry {@code i}'s memory operand has a known absolute address}
     *
     * @param i the entry
     */
    public boolean hasMemoryAddress(int i) {
        return (flags[Objects.checkIndex(i, count)] & ZydisNative.F_MEM_ADDRESS) != 0;
    }

    /**
     * {@return whether entry {@code i}'s memory operand is relative to the instruction pointer}
     *
     * @param i the entry
     */
    public boolean isRipRelative(int i) {
        return (flags[Objects.checkIndex(i, count)] & ZydisNative.F_RIP_RELATIVE) != 0;
    }

    /**
     * {@return the absolute address of entry {@code i}'s memory operand (0 when unknown)}
     *
     * @param i the entry
     */
    public long memoryAddress(int i) {
        return memAddresses[Objects.checkIndex(i, count)];
    }

    /**
     * {@return the general-purpose registers entry {@code i} writes, bit <i>n</i> for encoding <i>n</i>}
     *
     * @param i the entry
     */
    public int registersWritten(int i) {
        return written[Objects.checkIndex(i, count)] & 0xFFFF;
    }
}
