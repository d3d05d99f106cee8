package io.github.pvpatch.zydis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The shim checks its arguments again, behind the Java checks: called directly with ranges
 * outside the arrays, missing or mismatched arrays or an unknown mode, it refuses instead of
 * touching memory it was not given.
 */
class ZydisNativeTest {
    private static final int[] BAD = {-1, 0, 1, 8, 9, Integer.MAX_VALUE, Integer.MIN_VALUE};

    @Test
    void decodeOneRefusesEveryRangeOutsideItsArray() {
        byte[] code = {(byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0x90, 0, 0, 0, 0};
        long[] out = new long[ZydisNative.OUT_SIZE];
        for (int offset : BAD) {
            for (int length : BAD) {
                boolean inside = offset >= 0 && length >= 0 && (long) offset + length <= code.length;
                int status = ZydisNative.decodeOne(64, code, offset, length, 0, out);
                assertTrue(inside ? status == 0 || status == -1 : status == -2, offset + "+" + length + " -> " + status);
            }
        }
        assertEquals(-2, ZydisNative.decodeOne(64, null, 0, 0, 0, out));
        assertEquals(-2, ZydisNative.decodeOne(64, code, 0, 1, 0, null));
        assertEquals(-2, ZydisNative.decodeOne(64, code, 0, 1, 0, new long[ZydisNative.OUT_SIZE - 1]));
        assertEquals(-2, ZydisNative.decodeOne(16, code, 0, 1, 0, out));
        assertEquals(0, ZydisNative.decodeOne(32, code, 0, 1, 0, out));
    }

    @Test
    void decodeAllRefusesBadRangesAndArrays() {
        byte[] code = new byte[8];
        int n = 8;
        for (int offset : BAD) {
            for (int length : BAD) {
                boolean inside = offset >= 0 && length >= 0 && (long) offset + length <= code.length;
                int status = ZydisNative.decodeAll(64, code, offset, length, 0, 0, new int[n], new byte[n],
                        new short[n], new byte[n], new long[n], new long[n], new short[n]);
                assertTrue(inside ? status >= 0 : status == -2, offset + "+" + length + " -> " + status);
            }
        }
        // Arrays of different lengths, a null array, a first entry beyond the capacity, a bad mode.
        assertEquals(-2, ZydisNative.decodeAll(64, code, 0, 8, 0, 0, new int[n], new byte[n - 1], new short[n],
                new byte[n], new long[n], new long[n], new short[n]));
        assertEquals(-2, ZydisNative.decodeAll(64, code, 0, 8, 0, 0, new int[n], new byte[n], new short[n],
                new byte[n], null, new long[n], new short[n]));
        assertEquals(-2, ZydisNative.decodeAll(64, code, 0, 8, 0, n + 1, new int[n], new byte[n], new short[n],
                new byte[n], new long[n], new long[n], new short[n]));
        assertEquals(-2, ZydisNative.decodeAll(64, code, 0, 8, 0, -1, new int[n], new byte[n], new short[n],
                new byte[n], new long[n], new long[n], new short[n]));
        assertEquals(-2, ZydisNative.decodeAll(0, code, 0, 8, 0, 0, new int[n], new byte[n], new short[n],
                new byte[n], new long[n], new long[n], new short[n]));
        // Capacity is respected: eight zero bytes are four "add [rax], al"; room for two stops at two.
        assertEquals(2, ZydisNative.decodeAll(64, code, 0, 8, 0, 0, new int[2], new byte[2], new short[2],
                new byte[2], new long[2], new long[2], new short[2]));
        assertEquals(2, ZydisNative.decodeAll(64, code, 0, 8, 0, 2, new int[2], new byte[2], new short[2],
                new byte[2], new long[2], new long[2], new short[2]), "a full buffer decodes nothing more");
    }

    @Test
    void formatAndMnemonicsRefuseBadArguments() {
        byte[] code = {(byte) 0x90};
        assertNull(ZydisNative.format(64, 0, code, 1, 1, 0));
        assertNull(ZydisNative.format(64, 0, code, -1, 1, 0));
        assertNull(ZydisNative.format(64, 0, null, 0, 1, 0));
        assertNull(ZydisNative.format(7, 0, code, 0, 1, 0));
        assertEquals("nop", ZydisNative.format(64, 1, code, 0, 1, 0));
        assertNull(ZydisNative.mnemonicName(-1));
        assertNull(ZydisNative.mnemonicName(ZydisNative.mnemonicCount()));
        assertEquals("nop", Zydis.Mnemonics.name(ZydisDecoder.of(MachineMode.X86_64)
                .decode(code, 0, 1, 0).orElseThrow().mnemonicId()));
        assertEquals("invalid", Zydis.Mnemonics.name(-5));
    }
}
