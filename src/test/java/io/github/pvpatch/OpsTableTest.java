package io.github.pvpatch;

import io.github.pvpatch.arch.Register;
import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OpsTableTest {

    @Test
    void holdsOpsByType() {
        Op cli = Op.nativeCode("fa", ClobberSet.none());
        OpsTable t = OpsTable.builder().put(0, cli).put(5, Op.nop()).build();
        assertEquals(Optional.of(cli), t.op(0));
        assertEquals(Optional.empty(), t.op(1));
        assertEquals(Optional.empty(), t.op(-1));
        assertEquals(Optional.empty(), t.op(99));
        assertArrayEquals(new int[] {0, 5}, t.types());
        assertEquals(2, t.size());
        assertEquals(t, OpsTable.of(Map.of(0, cli, 5, Op.nop())));
        assertEquals(t.hashCode(), OpsTable.of(Map.of(0, cli, 5, Op.nop())).hashCode());
        assertEquals("OpsTable{0=native[fa] clobbers=[], 5=Nop[]}", t.toString());
    }

    @Test
    void isImmutable() {
        OpsTable t = OpsTable.builder().put(1, Op.nop()).build();
        OpsTable u = t.with(2, Op.jump(0x1000));
        assertEquals(1, t.size());
        assertEquals(2, u.size());
        assertEquals(t, u.without(2));
        assertEquals(OpsTable.empty(), t.without(1));
        assertNotEquals(t, u);
    }

    @Test
    void refusesBadTypes() {
        assertThrows(IllegalArgumentException.class, () -> OpsTable.builder().put(-1, Op.nop()));
        assertThrows(IllegalArgumentException.class, () -> OpsTable.builder().put(0x10000, Op.nop()));
        assertThrows(NullPointerException.class, () -> OpsTable.builder().put(0, null));
    }

    @Test
    void opsAreValues() {
        Op.Native n = Op.nativeCode(new byte[] {(byte) 0x9c, 0x58}, ClobberSet.of(Register.RAX));
        assertEquals(n, Op.nativeCode("9c 58", ClobberSet.of(Register.RAX)));
        assertEquals(n.hashCode(), Op.nativeCode("9c58", ClobberSet.of(Register.RAX)).hashCode());
        assertNotEquals(n, Op.nativeCode("9c 58", ClobberSet.none()));
        byte[] copy = n.code();
        copy[0] = 0;
        assertEquals("9c 58", of(n.code()));
        assertEquals(0x58, n.byteAt(1));
        assertThrows(IndexOutOfBoundsException.class, () -> n.byteAt(2));
        assertThrows(IndexOutOfBoundsException.class, () -> n.copyTo(new byte[2], 1));
        assertThrows(IllegalArgumentException.class, () -> Op.nativeCode(new byte[256], ClobberSet.none()));
        assertThrows(IllegalArgumentException.class, () -> Op.nativeCode("zz", ClobberSet.none()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Op.call(0x1000, ClobberSet.of(Register.RCX), true));
        assertTrue(e.getMessage().contains("returnsValue"), e.getMessage());
        assertEquals("call 0x1000 clobbers=[rax] returns", Op.call(0x1000, ClobberSet.of(Register.RAX), true).toString());
        assertEquals("jmp 0x20", Op.jump(0x20).toString());
        assertTrue(Op.jump(0x20).clobbers().isEmpty());
        assertTrue(Op.nop().clobbers().isEmpty());
    }
}
