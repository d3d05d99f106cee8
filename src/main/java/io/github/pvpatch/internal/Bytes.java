package io.github.pvpatch.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Copies of the few bytes of a site, which are most of a patch pass's work: in 8-, 4-, 2- and
 * 1-byte moves through little-endian views, which the JIT turns into single unaligned loads and
 * stores, as C's {@code memcpy} of a small size does; {@code arraycopy} beyond 32 bytes.
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
        if (length > 32) {
            System.arraycopy(src, from, dst, to, length);
            return;
        }
        int n = length;
        while (n >= 8) {
            LONG.set(dst, to, (long) LONG.get(src, from));
            from += 8;
            to += 8;
            n -= 8;
        }
        if (n >= 4) {
            INT.set(dst, to, (int) INT.get(src, from));
            from += 4;
            to += 4;
            n -= 4;
        }
        if (n >= 2) {
            SHORT.set(dst, to, (short) SHORT.get(src, from));
            from += 2;
            to += 2;
            n -= 2;
        }
        if (n == 1) {
            dst[to] = src[from];
        }
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
