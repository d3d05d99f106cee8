package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.x86.IndirectForm;
import io.github.pvpatch.x86.NopTable;
import org.junit.jupiter.api.Test;

class UnpatchedFormTest {
    private static final ClobberSet EAX = ClobberSet.of(Register.EAX);

    @Test
    void slotsAreSpacedByThePointerSize() {
        assertEquals(0xc0400000L + 7 * 4, UnpatchedForm.of(Isa.X86_32, 0xc0400000L).slotAddress(7));
        assertEquals(0x1000 + 7 * 8, UnpatchedForm.of(Isa.X86_64, 0x1000).slotAddress(7));
    }

    @Test
    void savesAreTheSlotClobbersTheSiteKeeps() {
        UnpatchedForm f = UnpatchedForm.of(Isa.X86_32, 0x1000);
        assertEquals(ClobberSet.of(Register.ECX, Register.EDX), f.saves(SiteKind.CALL, EAX));
        assertEquals(ClobberSet.none(), f.saves(SiteKind.JUMP, EAX));
        assertEquals(10, f.minimumLength(SiteKind.CALL, EAX));
        assertEquals(6, f.minimumLength(SiteKind.JUMP, EAX));
        assertEquals(ClobberSet.none(), f.withSlotClobbers(EAX).saves(SiteKind.CALL, EAX));
        assertEquals(EAX, f.withSlotClobbers(EAX).slotClobbers());
    }

    @Test
    void paddingFollowsTheCode() {
        UnpatchedForm f = UnpatchedForm.of(Isa.X86_32, 0xc0400000L);
        PatchSite s = f.site(0xc1000000L, 1, SiteKind.CALL, ClobberSet.linuxAny(Isa.X86_32), 3);
        assertEquals(9, s.length());
        assertEquals(0, s.callOffset().getAsInt());
        assertEquals("ff 15 04 00 40 c0 0f 1f 00", of(f.encode(s)));
        byte[] k8 = new byte[11];
        f.encode(s, NopTable.K8, k8, 1);
        assertEquals("00 ff 15 04 00 40 c0 66 66 90 00", of(k8));
    }

    @Test
    void refusesSitesItCannotEncode() {
        UnpatchedForm f = UnpatchedForm.of(Isa.X86_32, 0xc0400000L);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> f.encode(PatchSite.of(Isa.X86_32, 0x1000, 9, 0, EAX)));
        assertTrue(e.getMessage().contains("shorter than its unpatched code, 10 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> f.encode(PatchSite.of(Isa.X86_64, 0x1000, 30, 0, EAX)));
        assertThrows(IllegalArgumentException.class,
                () -> f.encode(PatchSite.of(Isa.X86_32, 0x1000, 10, 0, EAX).withCallOffset(0)));
        e = assertThrows(IllegalArgumentException.class,
                () -> f.encode(PatchSite.of(Isa.X86_32, 0x1000, 10, 0, EAX).withStackArguments(1)));
        assertTrue(e.getMessage().contains("stack arguments"), e.getMessage());
        UnpatchedForm far = UnpatchedForm.of(Isa.X86_64, 0x7000_0000_0000L);
        assertThrows(IllegalArgumentException.class,
                () -> far.encode(PatchSite.of(Isa.X86_64, 0x1000, 6, 0, ClobberSet.linuxAny(Isa.X86_64))));
        assertThrows(IllegalArgumentException.class, () -> f.site(0x1000, 0, SiteKind.CALL, EAX, -1));
        assertThrows(IllegalArgumentException.class, () -> UnpatchedForm.of(Isa.X86_32, 0x1_0000_0000L));
        assertThrows(IllegalArgumentException.class,
                () -> f.withForms(IndirectForm.CALL_RIP32, IndirectForm.JMP_ABS32));
        assertThrows(IllegalArgumentException.class,
                () -> f.withForms(IndirectForm.JMP_ABS32, IndirectForm.JMP_ABS32));
        assertThrows(IllegalArgumentException.class, () -> f.withSlotClobbers(ClobberSet.of(Register.R8)));
    }

    @Test
    void describesItself() {
        String s = UnpatchedForm.of(Isa.X86_64, 0x1000).toString();
        assertTrue(s.contains("CALL_RIP32") && s.contains("table=0x1000"), s);
        assertEquals(IndirectForm.JMP_ABS32, UnpatchedForm.of(Isa.X86_32, 0).form(SiteKind.JUMP));
        assertEquals(Isa.X86_32, UnpatchedForm.of(Isa.X86_32, 0).isa());
        assertEquals(0x20, UnpatchedForm.of(Isa.X86_32, 0x20).tableAddress());
        assertEquals(IndirectForm.CALL_ABS32, UnpatchedForm.of(Isa.X86_32, 0).callForm());
        assertEquals(IndirectForm.JMP_RIP32, UnpatchedForm.of(Isa.X86_64, 0).jumpForm());
    }
}
