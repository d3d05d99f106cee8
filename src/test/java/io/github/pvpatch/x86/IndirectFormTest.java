package io.github.pvpatch.x86;

import static io.github.pvpatch.testing.Hex.bytes;
import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.SiteKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class IndirectFormTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // form, instruction address, slot, bytes
        "CALL_ABS32,     0xc1000000, 0xc0400010, ff 15 10 00 40 c0",
        "CALL_CS_ABS32,  0xc1000000, 0xc0400010, 2e ff 15 10 00 40 c0",
        "JMP_ABS32,      0xc1000000, 0xc0400010, ff 25 10 00 40 c0",
        "JMP_CS_ABS32,   0xc1000000, 0xc0400010, 2e ff 25 10 00 40 c0",
        // RIP-relative: slot - (address + 6) = 0x3008 - 0x1006 = 0x2002
        "CALL_RIP32,     0x1000,     0x3008,     ff 15 02 20 00 00",
        "JMP_RIP32,      0x1000,     0x3008,     ff 25 02 20 00 00",
        // SIB absolute, sign-extended: kernel-space slot 0xffffffff82000010
        "CALL_SIB_ABS32, 0x1000,     0xffffffff82000010, ff 14 25 10 00 00 82",
        "JMP_SIB_ABS32,  0x1000,     0xffffffff82000010, ff 24 25 10 00 00 82",
    })
    void encodesAndDecodesTheSlot(IndirectForm form, String at, String slot, String hex) {
        long address = Long.parseUnsignedLong(at.substring(2), 16);
        long slotAddress = Long.parseUnsignedLong(slot.substring(2), 16);
        byte[] b = new byte[form.length()];
        form.encode(b, 0, address, slotAddress);
        assertEquals(of(bytes(hex)), of(b));
        assertTrue(form.matches(b, 0, b.length));
        assertEquals(slotAddress, form.slotAddress(b, 0, address));
        assertEquals(form, IndirectForm.find(form.isa(), form.kind(), b, 0, b.length));
    }

    @ParameterizedTest
    @EnumSource(IndirectForm.class)
    void refusesSlotsItCannotEncode(IndirectForm form) {
        long far = form.isa() == Isa.X86_32 ? 0x1_0000_0000L : 0x7000_0000_0000L;
        assertFalse(form.canEncode(0x1000, far));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> form.encode(new byte[8], 0, 0x1000, far));
        assertTrue(e.getMessage().contains("cannot reach"), e.getMessage());
    }

    @Test
    void matchNeedsTheWholeInstructionInsideTheLimit() {
        byte[] b = bytes("ff 15 00 00 00 00");
        assertFalse(IndirectForm.CALL_RIP32.matches(b, 0, 5));
        assertFalse(IndirectForm.CALL_RIP32.matches(b, -1, 6));
        assertNull(IndirectForm.find(Isa.X86_64, SiteKind.JUMP, b, 0, 6));
        assertNull(IndirectForm.find(Isa.X86_64, SiteKind.CALL, b, 1, 6));
        assertThrows(IllegalArgumentException.class, () -> IndirectForm.CALL_SIB_ABS32.slotAddress(b, 0, 0));
    }

    @Test
    void standardFormsAreTheCurrentKernels() {
        assertEquals(IndirectForm.CALL_ABS32, IndirectForm.standard(Isa.X86_32, SiteKind.CALL));
        assertEquals(IndirectForm.JMP_RIP32, IndirectForm.standard(Isa.X86_64, SiteKind.JUMP));
        assertEquals(6, IndirectForm.CALL_RIP32.length());
        assertEquals(7, IndirectForm.CALL_SIB_ABS32.length());
        assertTrue(IndirectForm.JMP_RIP32.isRipRelative());
    }
}
