package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class PatchSiteTest {
    private static final ClobberSet EAX = ClobberSet.of(Register.EAX);

    @Test
    void describesItselfInKeyValueForm() {
        PatchSite site = PatchSite.of(Isa.X86_32, 0xc1024745L, 10, 7, EAX).withCallOffset(2);
        assertEquals("site=0xc1024745 len=10 type=7 clobbers=[eax] callOffset=2", site.toString());
        assertEquals("site=0xc1024745 len=10 type=7 kind=jump clobbers=[eax] stackArgs=1",
                site.withoutCallOffset().withKind(SiteKind.JUMP).withStackArguments(1).toString());
        assertEquals(OptionalInt.of(2), site.callOffset());
        assertEquals(0xc102474fL, site.addressAfter());
    }

    @Test
    void structuralRulesThrowIllegalArgument() {
        assertThrows(IllegalArgumentException.class, () -> PatchSite.of(Isa.X86_32, 0x1000, 0, 0, EAX));
        assertThrows(IllegalArgumentException.class, () -> PatchSite.of(Isa.X86_32, 0x1000, 256, 0, EAX));
        assertThrows(IllegalArgumentException.class, () -> PatchSite.of(Isa.X86_32, 0x1000, 6, -1, EAX));
        assertThrows(IllegalArgumentException.class, () -> PatchSite.of(Isa.X86_32, 0x1000, 6, 0x10000, EAX));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PatchSite.of(Isa.X86_32, 0xFFFF_FFFCL, 6, 0, EAX));
        assertTrue(e.getMessage().contains("x86-32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PatchSite.of(Isa.X86_64, -4L, 6, 0, EAX));
        assertThrows(IllegalArgumentException.class,
                () -> PatchSite.of(Isa.X86_32, 0x1000, 6, 0, ClobberSet.of(Register.R8)));
        PatchSite ok = PatchSite.of(Isa.X86_32, 0x1000, 6, 0, EAX);
        assertThrows(IllegalArgumentException.class, () -> ok.withCallOffset(6));
        assertThrows(IllegalArgumentException.class, () -> ok.withCallOffset(-1));
        assertThrows(IllegalArgumentException.class, () -> ok.withStackArguments(-1));
        assertThrows(IllegalArgumentException.class, () -> ok.withStackArguments(256));
        assertThrows(IllegalArgumentException.class, () -> ok.withAddress(0x1_0000_0000L));
        assertThrows(NullPointerException.class, () -> PatchSite.of(null, 0, 6, 0, EAX));
        assertThrows(NullPointerException.class, () -> ok.withKind(null));
    }

    @Test
    void kernelAddressesAreUnsigned() {
        PatchSite s = PatchSite.of(Isa.X86_64, 0xffffffff81000000L, 6, 0, EAX);
        assertEquals("site=0xffffffff81000000 len=6 type=0 clobbers=[rax]", s.toString());
    }

    @Test
    void equality() {
        PatchSite a = PatchSite.of(Isa.X86_64, 0x1000, 6, 3, EAX);
        assertEquals(a, PatchSite.of(Isa.X86_64, 0x1000, 6, 3, EAX));
        assertEquals(a.hashCode(), PatchSite.of(Isa.X86_64, 0x1000, 6, 3, EAX).hashCode());
        assertNotEquals(a, a.withCallOffset(0));
        assertNotEquals(a, a.withClobbers(ClobberSet.none()));
        assertNotEquals(a, a.withAddress(0x2000));
        assertNotEquals(a, PatchSite.of(Isa.X86_32, 0x1000, 6, 3, EAX));
        assertNotEquals(a, "site");
    }
}
