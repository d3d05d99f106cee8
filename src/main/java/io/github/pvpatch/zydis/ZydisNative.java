package io.github.pvpatch.zydis;

/**
 * The JNI entry points of the shim. Every caller checks offsets and lengths before calling; the
 * shim checks them again and returns a negative count or {@code null} instead of touching memory
 * outside what it was given.
 */
final class ZydisNative {
    /** Indexes into the {@code long[]} that {@link #decodeOne} fills. */
    static final int OUT_LENGTH = 0;
    static final int OUT_MNEMONIC = 1;
    static final int OUT_FLAGS = 2;
    static final int OUT_BRANCH_TARGET = 3;
    static final int OUT_MEM_BASE = 4;
    static final int OUT_MEM_INDEX = 5;
    static final int OUT_MEM_SCALE = 6;
    static final int OUT_MEM_DISP = 7;
    static final int OUT_MEM_ADDRESS = 8;
    static final int OUT_WRITTEN = 9;
    static final int OUT_READ = 10;
    static final int OUT_DISP_OFFSET = 11;
    static final int OUT_IMM_OFFSET = 12;
    static final int OUT_IMM_SIZE = 13;
    static final int OUT_SIZE = 14;

    /** Flag bits of {@link #decodeOne} and {@link #decodeAll}. */
    static final int F_VALID = 0x01;
    static final int F_BRANCH = 0x02;
    static final int F_MEMORY = 0x04;
    static final int F_MEM_ADDRESS = 0x08;
    static final int F_RIP_RELATIVE = 0x10;
    static final int F_FAR = 0x20;

    static {
        // Whoever reaches a native method first loads the shim; a failure surfaces as
        // UnsatisfiedLinkError here, and as ZydisUnavailableException through the public API.
        NativeLoader.failure();
    }

    private ZydisNative() {
    }

    /** {@return 0 and {@code out} filled, -1 for bytes that are no instruction, -2 for bad arguments} */
    static native int decodeOne(int mode, byte[] code, int offset, int length, long address, long[] out);

    /**
     * Decodes into the arrays from entry {@code first} on, until the bytes or the arrays (all of
     * one length, the capacity) run out; entry offsets are relative to {@code offset}.
     *
     * @return the new entry count, or a negative number for bad arguments
     */
    static native int decodeAll(int mode, byte[] code, int offset, int length, long address, int first, int[] offsets,
            byte[] lengths, short[] mnemonics, byte[] flags, long[] targets, long[] memAddresses, short[] written);

    /** The most bytes {@link #decodeSmall} takes, and the longs each of its entries fills. */
    static final int SMALL_MAX = 64;
    static final int SMALL_STRIDE = 3;

    /**
     * Decodes as {@link #decodeAll}, for at most {@link #SMALL_MAX} bytes, without pinning: the
     * entries come back packed in {@code out}, {@link #SMALL_STRIDE} longs each (word 0: offset
     * bits 0-15, length 16-23, flags 24-31, written registers 32-47, mnemonic 48-63; word 1: the
     * branch target; word 2: the memory address).
     *
     * @return the entry count, or a negative number for bad arguments
     */
    static native int decodeSmall(int mode, byte[] code, int offset, int length, long address, long[] out);

    /**
     * Two {@link #decodeSmall} sweeps in one call, the second's entries after the first's in
     * {@code out}.
     *
     * @return {@code count1 | count2 << 16}, or a negative number for bad arguments
     */
    static native int decodeSmallPair(int mode, byte[] code, int offset, int length, long address, byte[] code2,
            int offset2, int length2, long address2, long[] out);

    /** {@return the instruction as text, or null when the bytes are no instruction} */
    static native String format(int mode, int att, byte[] code, int offset, int length, long address);

    /** {@return Zydis' name of a mnemonic, or null} */
    static native String mnemonicName(int id);

    /** {@return how many mnemonics Zydis knows} */
    static native int mnemonicCount();

    /** {@return Zydis' version, packed as major.minor.patch.build in 16-bit fields} */
    static native long version();
}
