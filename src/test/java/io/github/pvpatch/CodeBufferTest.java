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
}
