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
    void decodeSmallRefusesBadRangesAndArrays() {
        byte[] code = new byte[8];
        long[] out = new long[ZydisNative.SMALL_MAX * ZydisNative.SMALL_STRIDE];
        for (int offset : BAD) {
            for (int length : BAD) {
                boolean inside = offset >= 0 && length >= 0 && (long) offset + length <= code.length;
                int status = ZydisNative.decodeSmall(64, code, offset, length, 0, out);
                assertTrue(inside ? status >= 0 : status == -2, offset + "+" + length + " -> " + status);
            }
        }
        byte[] big = new byte[ZydisNative.SMALL_MAX + 1];
        assertEquals(-2, ZydisNative.decodeSmall(64, big, 0, big.length, 0, new long[big.length * 3]), "too long");
        assertEquals(-2, ZydisNative.decodeSmall(64, null, 0, 1, 0, out));
        assertEquals(-2, ZydisNative.decodeSmall(64, code, 0, 8, 0, null));
        assertEquals(-2, ZydisNative.decodeSmall(64, code, 0, 8, 0, new long[8 * ZydisNative.SMALL_STRIDE - 1]),
                "room for fewer entries than bytes");
        assertEquals(-2, ZydisNative.decodeSmall(16, code, 0, 8, 0, out));
        assertEquals(ZydisNative.SMALL_MAX / 2, ZydisNative.decodeSmall(32, big, 1, ZydisNative.SMALL_MAX, 0, out),
                "64 zero bytes are 32 'add [eax], al'");
    }

    @Test
    void decodeSmallPairRefusesBadRangesAndArrays() {
        byte[] code = new byte[8];
        long[] out = new long[2 * ZydisNative.SMALL_MAX * ZydisNative.SMALL_STRIDE];
        for (int offset : BAD) {
            for (int length : BAD) {
                boolean inside = offset >= 0 && length >= 0 && (long) offset + length <= code.length;
                int first = ZydisNative.decodeSmallPair(64, code, offset, length, 0, code, 0, 8, 0, out);
                int second = ZydisNative.decodeSmallPair(64, code, 0, 8, 0, code, offset, length, 0, out);
                assertTrue(inside ? first >= 0 : first == -2, offset + "+" + length + " -> " + first);
                assertTrue(inside ? second >= 0 : second == -2, offset + "+" + length + " -> " + second);
            }
        }
        byte[] big = new byte[ZydisNative.SMALL_MAX + 1];
        assertEquals(-2, ZydisNative.decodeSmallPair(64, code, 0, 8, 0, big, 0, big.length, 0, out), "too long");
        assertEquals(-2, ZydisNative.decodeSmallPair(64, code, 0, 8, 0, null, 0, 1, 0, out));
        assertEquals(-2, ZydisNative.decodeSmallPair(64, code, 0, 8, 0, code, 0, 8, 0, null));
        assertEquals(-2, ZydisNative.decodeSmallPair(64, code, 0, 8, 0, code, 0, 8, 0,
                new long[16 * ZydisNative.SMALL_STRIDE - 1]), "room for fewer entries than bytes");
        assertEquals(-2, ZydisNative.decodeSmallPair(16, code, 0, 8, 0, code, 0, 8, 0, out));
        // Eight zero bytes are four 'add [rax], al'; two of them, then four.
        assertEquals(2 | 4 << 16, ZydisNative.decodeSmallPair(64, code, 0, 4, 0, code, 0, 8, 0, out));
    }

    /** The packed small sweep and the pinning batch sweep give the same entries, invalid bytes included. */
    @Test
    void decodeSmallAgreesWithDecodeAll() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(10);
        long[] out = new long[ZydisNative.SMALL_MAX * ZydisNative.SMALL_STRIDE];
        int n = ZydisNative.SMALL_MAX;
        int invalid = 0;
        for (int round = 0; round < 3000; round++) {
            byte[] code = new byte[rnd.nextInt(1, ZydisNative.SMALL_MAX + 1) + 2];
            rnd.nextBytes(code);
            int mode = rnd.nextBoolean() ? 64 : 32;
            int offset = rnd.nextInt(3);
            int length = rnd.nextInt(code.length - offset + 1);
            long address = mode == 64 ? rnd.nextLong() : rnd.nextLong() & 0xFFFF_FFFFL;
            int[] offsets = new int[n];
            byte[] lengths = new byte[n];
            short[] mnemonics = new short[n];
            byte[] flags = new byte[n];
            long[] targets = new long[n];
            long[] mem = new long[n];
            short[] written = new short[n];
            int all = ZydisNative.decodeAll(mode, code, offset, length, address, 0, offsets, lengths, mnemonics, flags,
                    targets, mem, written);
            int small = ZydisNative.decodeSmall(mode, code, offset, length, address, out);
            String at = "round=" + round + " mode=" + mode;
            assertEquals(all, small, at);
            for (int i = 0; i < all; i++) {
                long w = out[i * ZydisNative.SMALL_STRIDE];
                assertEquals(offsets[i], (int) (w & 0xFFFF), at);
                assertEquals(lengths[i], (byte) (w >>> 16), at);
                assertEquals(flags[i], (byte) (w >>> 24), at);
                assertEquals(written[i], (short) (w >>> 32), at);
                assertEquals(mnemonics[i], (short) (w >>> 48), at);
                assertEquals(targets[i], out[i * ZydisNative.SMALL_STRIDE + 1], at);
                assertEquals(mem[i], out[i * ZydisNative.SMALL_STRIDE + 2], at);
                invalid += (flags[i] & ZydisNative.F_VALID) == 0 ? 1 : 0;
            }
        }
        assertTrue(invalid > 100, "random bytes gave only " + invalid + " invalid entries");
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
