package io.github.pvpatch.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CpuFeaturesTest {
    @Test
    void theKernelsNumbering() {
        assertEquals(117, CpuFeatures.ALWAYS);
        assertEquals(272, CpuFeatures.XENPV);
        assertEquals(276, CpuFeatures.PVUNLOCK);
        assertEquals(277, CpuFeatures.VCPUPREEMPT);
    }

    @Test
    void theDefaultIsBareMetalWithAlwaysSet() {
        CpuFeatures d = CpuFeatures.defaults();
        assertArrayEquals(new int[] {CpuFeatures.ALWAYS}, d.bits());
        assertFalse(d.isParavirtualized());
        assertEquals(d, CpuFeatures.of());
        assertEquals(d, CpuFeatures.parse(""));
        assertEquals("{ALWAYS}", d.toString());
    }

    @Test
    void namesAndNumbersParse() {
        CpuFeatures kvm = CpuFeatures.parse("pvunlock, VCPUPREEMPT");
        assertEquals(CpuFeatures.of(CpuFeatures.PVUNLOCK, CpuFeatures.VCPUPREEMPT), kvm);
        assertTrue(kvm.has(CpuFeatures.PVUNLOCK) && kvm.has(CpuFeatures.ALWAYS) && !kvm.has(CpuFeatures.XENPV));
        assertTrue(kvm.isParavirtualized());
        assertEquals(CpuFeatures.of(CpuFeatures.XENPV), CpuFeatures.parse("272"));
        assertEquals(CpuFeatures.of(CpuFeatures.XENPV), CpuFeatures.parse("0x110"));
        assertEquals(CpuFeatures.of(CpuFeatures.XENPV), CpuFeatures.parse("X86_FEATURE_XENPV"));
        assertEquals("{ALWAYS, XENPV, 300}", CpuFeatures.parse("XENPV,300").toString());
        assertEquals(CpuFeatures.defaults().with(5), CpuFeatures.of(5));
        assertNotEquals(CpuFeatures.defaults(), CpuFeatures.of(5));
        assertFalse(CpuFeatures.defaults().has(-1));
        assertFalse(CpuFeatures.defaults().has(1 << 20));
    }

    @Test
    void badItemsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuFeatures.parse("XENPV,KVM"));
        assertTrue(e.getMessage().contains("'KVM' is neither a name"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CpuFeatures.parse("2000")).getMessage()
                .contains("outside 0..1023"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CpuFeatures.parse("XENPV,,PVUNLOCK"))
                .getMessage().contains("empty item"));
        assertThrows(IllegalArgumentException.class, () -> CpuFeatures.of(-1));
    }
}
