package io.github.pvpatch.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Copies of the few bytes of a site, which are most of a patch pass's work: two to four
 * overlapping 8-, 4- or 2-byte moves through little-endian views, which the JIT turns into single
 * unaligned loads and stores, as C's {@code memcpy} of a small size does; {@code arraycopy}
 * beyond 32 bytes.
 */
public final class Bytes {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class,
            ByteOrder.LITTLE_ENDIAN);

    private Bytes() {
    }

    /**
     * Copies {@code length} bytes; the ranges must not overlap.
     *
     * @param src the source
     * @param from the first source index
     * @param dst the destination
     * @param to the first destination index
     * @param length how many bytes
     */
    public static void copy(byte[] src, int from, byte[] dst, int to, int length) {
        // A head and a tail move that overlap in the middle, as C's memcpy does for small sizes,
        // with no loop. The dispatch is kept small, and each size class in a method of its own, so
        // that the JIT inlines the lot into a loop that calls it (a method over 325 bytes of
        // bytecode it does not inline, and a call per copy costs more than the copy).
        if (length >= 8) {
            if (length <= 16) {
                copy8To16(src, from, dst, to, length);
            } else {
                copyOver16(src, from, dst, to, length);
            }
        } else if (length >= 4) {
            copy4To7(src, from, dst, to, length);
        } else {
            copyUnder4(src, from, dst, to, length);
        }
    }

    private static void copy8To16(byte[] src, int from, byte[] dst, int to, int length) {
        long a = (long) LONG.get(src, from);
        long b = (long) LONG.get(src, from + length - 8);
        LONG.set(dst, to, a);
        LONG.set(dst, to + length - 8, b);
    }

    private static void copy4To7(byte[] src, int from, byte[] dst, int to, int length) {
        int a = (int) INT.get(src, from);
        int b = (int) INT.get(src, from + length - 4);
        INT.set(dst, to, a);
        INT.set(dst, to + length - 4, b);
    }

    private static void copyUnder4(byte[] src, int from, byte[] dst, int to, int length) {
        if (length >= 2) {
            short a = (short) SHORT.get(src, from);
            short b = (short) SHORT.get(src, from + length - 2);
            SHORT.set(dst, to, a);
            SHORT.set(dst, to + length - 2, b);
        } else if (length == 1) {
            dst[to] = src[from];
        }
    }

    private static void copyOver16(byte[] src, int from, byte[] dst, int to, int length) {
        if (length > 32) {
            System.arraycopy(src, from, dst, to, length);
            return;
        }
        long a = (long) LONG.get(src, from);
        long b = (long) LONG.get(src, from + 8);
        long c = (long) LONG.get(src, from + length - 16);
        long d = (long) LONG.get(src, from + length - 8);
        LONG.set(dst, to, a);
        LONG.set(dst, to + 8, b);
        LONG.set(dst, to + length - 16, c);
        LONG.set(dst, to + length - 8, d);
    }

    /**
     * Copies 16 bytes as two 8-byte moves: for a caller that copies a shorter run this way,
     * whose destination has room past it and whose source has the bytes to read.
     *
     * @param src the source
     * @param from the first source index
     * @param dst the destination
     * @param to the first destination index
     */
    public static void copy16(byte[] src, int from, byte[] dst, int to) {
        long a = (long) LONG.get(src, from);
        long b = (long) LONG.get(src, from + 8);
        LONG.set(dst, to, a);
        LONG.set(dst, to + 8, b);
    }

    /**
     * Reads a little-endian 64-bit value.
     *
     * @param src the source
     * @param at the first index
     * @return the value
     */
    public static long getLong(byte[] src, int at) {
        return (long) LONG.get(src, at);
    }

    /**
     * Writes a little-endian 64-bit value.
     *
     * @param dst the destination
     * @param at the first index
     * @param value the value
     */
    public static void putLong(byte[] dst, int at, long value) {
        LONG.set(dst, at, value);
    }

    /**
     * Writes a little-endian 32-bit value.
     *
     * @param dst the destination
     * @param at the first index
     * @param value the value
     */
    public static void putInt(byte[] dst, int at, int value) {
        INT.set(dst, at, value);
    }
}
