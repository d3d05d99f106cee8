package io.github.pvpatch.x86;

import static io.github.pvpatch.testing.Hex.bytes;
import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.arch.Isa;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NopTableTest {

    @ParameterizedTest(name = "{0} {1} bytes on {2}")
    @CsvSource({
        // Intel SDM recommended NOPs
        "P6, 1, X86_64, 90",
        "P6, 2, X86_64, 66 90",
        "P6, 3, X86_64, 0f 1f 00",
        "P6, 4, X86_64, 0f 1f 40 00",
        "P6, 5, X86_64, 0f 1f 44 00 00",
        "P6, 6, X86_64, 66 0f 1f 44 00 00",
        "P6, 7, X86_64, 0f 1f 80 00 00 00 00",
        "P6, 8, X86_64, 0f 1f 84 00 00 00 00 00",
        "P6, 9, X86_64, 66 0f 1f 84 00 00 00 00 00",
        "P6, 10, X86_64, 66 66 0f 1f 84 00 00 00 00 00",
        "P6, 11, X86_64, 66 66 66 0f 1f 84 00 00 00 00 00",
        "P6, 8, X86_32, 0f 1f 84 00 00 00 00 00",
        // the kernel's K8 table: 5..8 are two instructions
        "K8, 3, X86_64, 66 66 90",
        "K8, 5, X86_64, 66 66 90 | 66 90",
        "K8, 8, X86_32, 66 66 66 90 | 66 66 66 90",
        // K7 and GENERIC, i386 only
        "K7, 2, X86_32, 8b c0",
        "K7, 7, X86_32, 8d 04 05 00 00 00 00",
        "K7, 8, X86_32, 8d 04 05 00 00 00 00 | 90",
        "GENERIC, 2, X86_32, 89 f6",
        "GENERIC, 4, X86_32, 8d 74 26 00",
        "GENERIC, 5, X86_32, 90 | 8d 74 26 00",
        "GENERIC, 6, X86_32, 8d b6 00 00 00 00",
        "GENERIC, 8, X86_32, 90 | 8d b4 26 00 00 00 00",
    })
    void entryHasTheDocumentedBytes(NopTable table, int length, Isa isa, String hex) {
        assertEquals(of(bytes(hex)), of(table.nop(length, isa)));
    }

    @Test
    void longGapsAreFilledLargestFirst() {
        byte[] b = new byte[15];
        NopTable.P6.fill(b, 1, 13, Isa.X86_32);
        // 13 bytes on i386: NOP8 then NOP5, as the kernel's add_nops does.
        assertEquals("00 0f 1f 84 00 00 00 00 00 0f 1f 44 00 00 00", of(b));
        byte[] c = new byte[13];
        NopTable.P6.fill(c, 0, 13, Isa.X86_64);
        assertEquals("66 66 66 0f 1f 84 00 00 00 00 00 66 90", of(c));
        assertEquals(2, NopTable.P6.entriesFor(13, Isa.X86_64));
        assertEquals(2, NopTable.P6.entriesFor(13, Isa.X86_32));
        assertEquals(0, NopTable.P6.entriesFor(0, Isa.X86_32));
    }

    @Test
    void p6LongFormsAreX86_64Only() {
        assertEquals(11, NopTable.P6.maxLength(Isa.X86_64));
        assertEquals(8, NopTable.P6.maxLength(Isa.X86_32));
        assertEquals(8, NopTable.K8.maxLength(Isa.X86_64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NopTable.P6.nop(9, Isa.X86_32));
        assertTrue(e.getMessage().contains("length=9"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NopTable.P6.nop(0, Isa.X86_64));
    }

    @Test
    void i386OnlyTablesRefuseX86_64BecauseTheyWriteRegisters() {
        assertFalse(NopTable.K7.supports(Isa.X86_64));
        assertFalse(NopTable.GENERIC.supports(Isa.X86_64));
        assertTrue(NopTable.K8.supports(Isa.X86_64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NopTable.GENERIC.fill(new byte[4], 0, 4, Isa.X86_64));
        assertTrue(e.getMessage().contains("nops=GENERIC"), e.getMessage());
    }

    @Test
    void fillChecksItsRange() {
        assertThrows(IndexOutOfBoundsException.class, () -> NopTable.P6.fill(new byte[4], 2, 3, Isa.X86_64));
        assertThrows(IndexOutOfBoundsException.class, () -> NopTable.P6.fill(new byte[4], -1, 1, Isa.X86_64));
    }

    @Test
    void entriesCanBeRecognised() {
        byte[] b = {0, 0x66, (byte) 0x90, 0};
        assertTrue(NopTable.P6.isEntryAt(2, Isa.X86_64, b, 1));
        assertTrue(NopTable.P6.isEntryAt(0, Isa.X86_64, b, 4));
        assertFalse(NopTable.P6.isEntryAt(1, Isa.X86_64, b, 1));
        assertFalse(NopTable.P6.isEntryAt(2, Isa.X86_64, b, 3));
        assertFalse(NopTable.P6.isEntryAt(9, Isa.X86_32, new byte[9], 0));
        assertFalse(NopTable.P6.isEntryAt(1, Isa.X86_64, b, -1));
    }

    @Test
    void nopReturnsACopy() {
        byte[] a = NopTable.P6.nop(1, Isa.X86_64);
        a[0] = 0;
        assertEquals("90", of(NopTable.P6.nop(1, Isa.X86_64)));
    }
}
