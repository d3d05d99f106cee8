package io.github.pvpatch;

import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class CodeBufferTest {

    @Test
    void arrayViewReadsAtAddresses() {
        byte[] a = {1, 2, 3, 4, 5, 6};
        CodeBuffer c = CodeBuffer.wrap(a, 1, 4, 0x1000);
        assertEquals(0x1000, c.baseAddress());
        assertEquals(0x1004, c.endAddress());
        assertEquals(4, c.size());
        assertEquals("03 04", of(c.read(0x1001, 2)));
        assertEquals(5, c.byteAt(0x1003));
        assertTrue(c.contains(0x1000, 4));
        assertTrue(c.contains(0x1004, 0));
        assertFalse(c.contains(0x1001, 4));
        assertFalse(c.contains(0xFFF, 1));
        assertFalse(c.contains(0x1000, Long.MAX_VALUE));
        assertEquals(3, c.bytesFrom(0x1001));
        assertEquals(0, c.bytesFrom(0x0FFF));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> c.read(0x1003, 2));
        assertTrue(e.getMessage().contains("buffer=[0x1000,0x1004)"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> CodeBuffer.wrap(a, 4, 3, 0));
    }

    @Test
    void byteBufferViewsStartAtThePosition() {
        ByteBuffer direct = ByteBuffer.allocateDirect(8);
        direct.put(2, (byte) 7).position(2);
        CodeBuffer c = CodeBuffer.wrap(direct, 0x2000);
        assertEquals(6, c.size());
        assertEquals(7, c.byteAt(0x2000));
        assertTrue(c.isWritable());
        c.write(0x2001, new byte[] {9}, 0, 1);
        assertEquals(9, direct.get(3));
        assertTrue(c.equalsAt(0x2000, new byte[] {7, 9}, 0, 2));
        assertFalse(c.equalsAt(0x2000, new byte[] {7, 8}, 0, 2));
        assertEquals(2, direct.position(), "the caller's position is not used");

        ByteBuffer heap = ByteBuffer.wrap(new byte[] {1, 2, 3});
        heap.position(1);
        assertEquals("02 03", of(CodeBuffer.wrap(heap, 0).read(0, 2)));
        CodeBuffer ro = CodeBuffer.wrap(heap.asReadOnlyBuffer(), 0);
        assertFalse(ro.isWritable());
        assertEquals("02", of(ro.read(0, 1)));
    }

    @Test
    void refusesRangesThatWrapTheAddressSpace() {
        assertThrows(IllegalArgumentException.class, () -> CodeBuffer.wrap(new byte[16], -8L));
        assertEquals(-16L, CodeBuffer.wrap(new byte[16], -16L).baseAddress());
    }

    @Test
    void everyEntryPointRefusesBadRangesWithTheDocumentedException() {
        byte[] a = new byte[8];
        for (CodeBuffer c : new CodeBuffer[] {CodeBuffer.wrap(a, 0x1000), CodeBuffer.wrap(ByteBuffer.allocateDirect(8), 0x1000),
                CodeBuffer.wrap(ByteBuffer.wrap(a).asReadOnlyBuffer(), 0x1000)}) {
            // A negative length is an index out of bounds, never NegativeArraySizeException.
            IndexOutOfBoundsException neg = assertThrows(IndexOutOfBoundsException.class, () -> c.read(0x1000, -1));
            assertTrue(neg.getMessage().contains("length=-1"), neg.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> c.read(0x1000, Integer.MIN_VALUE));
            assertThrows(IndexOutOfBoundsException.class, () -> c.read(0x1009, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> c.read(0x0FFF, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> c.read(0x1000, new byte[4], 0, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> c.read(0x1000, new byte[4], -1, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> c.read(0x1000, new byte[4], 2, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> c.read(0x1006, new byte[4], 0, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> c.byteAt(0x1008));
            assertThrows(IndexOutOfBoundsException.class, () -> c.byteAt(Long.MIN_VALUE));
            assertFalse(c.contains(0x1000, -1));
            assertEquals(0, c.read(0x1008, 0).length, "an empty read at the end is in bounds");
        }
        assertThrows(IndexOutOfBoundsException.class, () -> CodeBuffer.wrap(a, -1, 2, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> CodeBuffer.wrap(a, 0, -1, 0));
        assertThrows(NullPointerException.class, () -> CodeBuffer.wrap((byte[]) null, 0));
        assertThrows(NullPointerException.class, () -> CodeBuffer.wrap((ByteBuffer) null, 0));
    }

    @Test
    void manyThreadsMayReadOneBufferAtOnce() throws Exception {
        // The view keeps no position of its own: concurrent reads of a direct buffer all see the bytes.
        ByteBuffer direct = ByteBuffer.allocateDirect(4096);
        for (int i = 0; i < 4096; i++) {
            direct.put(i, (byte) i);
        }
        CodeBuffer c = CodeBuffer.wrap(direct, 0x10000);
        java.util.concurrent.atomic.AtomicInteger wrong = new java.util.concurrent.atomic.AtomicInteger();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            int seed = t;
            threads[t] = new Thread(() -> {
                for (int k = 0; k < 20_000; k++) {
                    int off = (k * 31 + seed * 977) & 4095;
                    int len = Math.min(16, 4096 - off);
                    byte[] b = c.read(0x10000 + off, len);
                    for (int i = 0; i < len; i++) {
                        if (b[i] != (byte) (off + i)) {
                            wrong.incrementAndGet();
                        }
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(0, wrong.get());
        assertEquals(0, direct.position());
    }
}
