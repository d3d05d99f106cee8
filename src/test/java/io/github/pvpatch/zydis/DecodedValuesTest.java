package io.github.pvpatch.zydis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** {@link Instruction} and {@link MemoryOperand} are values: equal when every part is. */
class DecodedValuesTest {
    private static final ZydisDecoder D64 = ZydisDecoder.of(MachineMode.X86_64);

    private static Instruction decode(String hex, long address) {
        byte[] b = HexFormat.ofDelimiter(" ").parseHex(hex);
        return D64.decode(b, 0, b.length, address).orElseThrow();
    }

    @Test
    void decodingTheSameBytesTwiceGivesEqualValues() {
        Instruction a = decode("ff 15 00 01 00 00", 0x1000);   // call *0x100(%rip)
        Instruction b = decode("ff 15 00 01 00 00", 0x1000);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a.memory(), b.memory());
        assertEquals(a.memory().orElseThrow().hashCode(), b.memory().orElseThrow().hashCode());
        assertEquals(0x1106L, a.memory().orElseThrow().absoluteAddress().getAsLong());
        assertTrue(a.memory().orElseThrow().isRipRelative());
        assertTrue(a.toString().startsWith("Instruction[address=4096, length=6, "), a.toString());
        assertTrue(a.memory().orElseThrow().toString().startsWith("MemoryOperand[base=16, "), a.memory().toString());
        // Another address: another instruction, and another absolute address for its operand.
        Instruction moved = decode("ff 15 00 01 00 00", 0x2000);
        assertNotEquals(a, moved);
        assertNotEquals(a.memory(), moved.memory());
        assertNotEquals(a, decode("ff 15 00 02 00 00", 0x1000));
        assertNotEquals(a, "ff 15 00 01 00 00");
    }
}
