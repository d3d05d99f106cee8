package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClobberSetTest {

    @Test
    void standardSets() {
        assertEquals("[eax,ecx,edx]", ClobberSet.callerSaved(Isa.X86_32).toString(Isa.X86_32));
        assertEquals("[rax,rcx,rdx,rsi,rdi,r8,r9,r10,r11]", ClobberSet.callerSaved(Isa.X86_64).toString());
        assertEquals(7, ClobberSet.all(Isa.X86_32).size());
        assertEquals(15, ClobberSet.all(Isa.X86_64).size());
        assertFalse(ClobberSet.all(Isa.X86_64).contains(Register.RSP));
        assertTrue(ClobberSet.none().isEmpty());
        assertSame(ClobberSet.none(), ClobberSet.of());
    }

    @Test
    void setAlgebra() {
        ClobberSet site = ClobberSet.of(Register.EAX);
        ClobberSet call = ClobberSet.callerSaved(Isa.X86_32);
        assertEquals(ClobberSet.of(Register.ECX, Register.EDX), call.minus(site));
        assertEquals(call, site.union(call));
        assertTrue(call.containsAll(site));
        assertFalse(site.containsAll(call));
        assertEquals(List.of(Register.RAX, Register.RCX, Register.RDX), call.registers());
        assertEquals(ClobberSet.of(Register.RCX, Register.RCX), ClobberSet.ofBits(2));
        assertEquals(ClobberSet.of(Register.EAX).hashCode(), ClobberSet.ofBits(1).hashCode());
    }

    @Test
    void theStackPointerIsNeverClobbered() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClobberSet.of(Register.ESP));
        assertTrue(e.getMessage().contains("stack pointer"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClobberSet.ofBits(0x1_0000));
        assertThrows(NullPointerException.class, () -> ClobberSet.of((Register) null));
    }

    @Test
    void linuxMasksOfEveryEra() {
        // 2.6.21 i386: EAX 1, ECX 2, EDX 4, ANY 7.
        assertEquals(ClobberSet.callerSaved(Isa.X86_32), ClobberSet.fromLinuxMask(0x7, Isa.X86_32));
        // unified x86: EDI 8, CLBR_ANY = 0xf on 32-bit.
        assertEquals(ClobberSet.of(Register.EAX, Register.ECX, Register.EDX, Register.EDI),
                ClobberSet.fromLinuxMask(0xF, Isa.X86_32));
        assertEquals(ClobberSet.linuxAny(Isa.X86_32), ClobberSet.fromLinuxMask(0xF, Isa.X86_32));
        // x86-64: RSI 0x10 .. R11 0x100; CLBR_ANY = 0x1ff; CLBR_RET_REG = rax = 0x1; callee-save = 0x1fe.
        assertEquals(ClobberSet.callerSaved(Isa.X86_64), ClobberSet.fromLinuxMask(0x1FF, Isa.X86_64));
        assertEquals(ClobberSet.of(Register.R10, Register.R11), ClobberSet.fromLinuxMask(0x180, Isa.X86_64));
        assertEquals(0x1FE, ClobberSet.callerSaved(Isa.X86_64).minus(ClobberSet.of(Register.RAX)).toLinuxMask(Isa.X86_64));
        assertEquals(0x5, ClobberSet.of(Register.EAX, Register.EDX).toLinuxMask(Isa.X86_32));
        for (int mask = 0; mask <= 0x1FF; mask++) {
            assertEquals(mask, ClobberSet.fromLinuxMask(mask, Isa.X86_64).toLinuxMask(Isa.X86_64));
        }
    }

    @Test
    void linuxMasksRefuseBitsTheKernelNeverHad() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClobberSet.fromLinuxMask(0x10, Isa.X86_32));
        assertTrue(e.getMessage().contains("mask=0x10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClobberSet.fromLinuxMask(0x200, Isa.X86_64));
        e = assertThrows(IllegalArgumentException.class, () -> ClobberSet.of(Register.RBX).toLinuxMask(Isa.X86_64));
        assertTrue(e.getMessage().contains("register=rbx"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClobberSet.of(Register.ESI).toLinuxMask(Isa.X86_32));
        assertThrows(IllegalArgumentException.class, () -> ClobberSet.of(Register.R8).toLinuxMask(Isa.X86_32));
    }

    @Test
    void registersOfTheOtherIsa() {
        assertFalse(ClobberSet.of(Register.R8).isIn(Isa.X86_32));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClobberSet.of(Register.R8).requireIn(Isa.X86_32));
        assertTrue(e.getMessage().contains("x86-32"), e.getMessage());
    }

    @Test
    void registerNames() {
        assertSame(Register.RAX, Register.EAX);
        assertEquals("edi", Register.RDI.nameIn(Isa.X86_32));
        assertEquals("r9", Register.R9.nameIn(Isa.X86_64));
        assertThrows(IllegalArgumentException.class, () -> Register.R9.nameIn(Isa.X86_32));
        assertEquals(Register.R15, Register.ofEncoding(15));
        assertThrows(IllegalArgumentException.class, () -> Register.ofEncoding(16));
        assertTrue(Register.R8.needsRex());
        assertEquals(8, Isa.X86_64.pointerSize());
        assertTrue(Isa.X86_32.isRange(0xFFFF_FFF0L, 16));
        assertFalse(Isa.X86_32.isRange(0xFFFF_FFF0L, 17));
        assertTrue(Isa.X86_64.isRange(-16L, 16));
        assertFalse(Isa.X86_64.isRange(-16L, 17));
        assertFalse(Isa.X86_64.isRange(0, -1));
    }
}
