package io.github.pvpatch.x86;

import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EncodingsTest {

    @Test
    void callAndJumpRel32AreMeasuredFromTheNextInstruction() {
        byte[] b = new byte[5];
        assertEquals(5, Encodings.putCallRel32(b, 0, Isa.X86_64, 0x1000, 0x2000));
        assertEquals("e8 fb 0f 00 00", of(b));              // 0x2000 - 0x1005
        Encodings.putJmpRel32(b, 0, Isa.X86_64, 0x2000, 0x1000);
        assertEquals("e9 fb ef ff ff", of(b));              // 0x1000 - 0x2005 = -0x1005
    }

    @Test
    void x86_64Rel32ReachIsPlusMinusTwoGiBFromTheNextInstruction() {
        long at = 0x1_0000_0000L;
        long next = at + 5;
        assertTrue(Encodings.reachesRel32(Isa.X86_64, at, next + Integer.MAX_VALUE));
        assertFalse(Encodings.reachesRel32(Isa.X86_64, at, next + Integer.MAX_VALUE + 1L));
        assertTrue(Encodings.reachesRel32(Isa.X86_64, at, next + Integer.MIN_VALUE));
        assertFalse(Encodings.reachesRel32(Isa.X86_64, at, next + Integer.MIN_VALUE - 1L));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Encodings.putCallRel32(new byte[5], 0, Isa.X86_64, at, next + Integer.MAX_VALUE + 1L));
        assertTrue(e.getMessage().contains("cannot reach"), e.getMessage());
    }

    @Test
    void x86_32Rel32WrapsSoEvery32BitTargetIsReachable() {
        assertTrue(Encodings.reachesRel32(Isa.X86_32, 0xFFFF_FFF0L, 0x10));
        byte[] b = new byte[5];
        Encodings.putCallRel32(b, 0, Isa.X86_32, 0xFFFF_FFF0L, 0x10);
        assertEquals("e8 1b 00 00 00", of(b));              // 0x10 - 0xfffffff5 mod 2^32
        assertFalse(Encodings.reachesRel32(Isa.X86_32, 0x1000, 0x1_0000_0000L));
        assertFalse(Encodings.reachesRel32(Isa.X86_32, 0x1000, -1L));
    }

    @Test
    void pushAndPopUseRexBForHighRegisters() {
        byte[] b = new byte[32];
        int at = 0;
        for (Register r : new Register[] {Register.RAX, Register.RDI, Register.R8, Register.R15}) {
            at = Encodings.putPush(b, at, r);
        }
        for (Register r : new Register[] {Register.RAX, Register.RDI, Register.R8, Register.R15}) {
            at = Encodings.putPop(b, at, r);
        }
        assertEquals("50 57 41 50 41 57 58 5f 41 58 41 5f", of(b, 0, at));
        assertEquals(1, Encodings.pushLength(Register.RBP));
        assertEquals(2, Encodings.pushLength(Register.R9));
    }

    @Test
    void savesFollowTheKernelsPushOrderAndRestoreInReverse() {
        // PV_SAVE_REGS on i386: eax, edi, ecx, edx.
        int saves32 = ClobberSet.of(Register.EDX, Register.ECX, Register.EDI, Register.EAX).bits();
        byte[] b = new byte[64];
        int at = Encodings.putSaves(b, 0, Isa.X86_32, saves32);
        at = Encodings.putRestores(b, at, Isa.X86_32, saves32);
        assertEquals("50 57 51 52 5a 59 5f 58", of(b, 0, at));
        assertEquals(4, Encodings.savesLength(Isa.X86_32, saves32));

        // x86-64, the callee-save thunk's set: rcx rdx rsi rdi r8-r11 (even: no alignment push).
        int thunk = ClobberSet.callerSaved(Isa.X86_64).minus(ClobberSet.of(Register.RAX)).bits();
        at = Encodings.putSaves(b, 0, Isa.X86_64, thunk);
        at = Encodings.putRestores(b, at, Isa.X86_64, thunk);
        assertEquals("51 52 56 57 41 50 41 51 41 52 41 53 41 5b 41 5a 41 59 41 58 5f 5e 5a 59", of(b, 0, at));
    }

    @Test
    void anOddNumberOfSavesOnX86_64PushesTheLastOneTwiceToKeepAlignment() {
        byte[] b = new byte[16];
        int one = ClobberSet.of(Register.RCX).bits();
        assertTrue(Encodings.needsAlignmentPush(Isa.X86_64, one));
        assertFalse(Encodings.needsAlignmentPush(Isa.X86_32, one));
        int at = Encodings.putSaves(b, 0, Isa.X86_64, one);
        at = Encodings.putRestores(b, at, Isa.X86_64, one);
        assertEquals("51 51 59 59", of(b, 0, at));
        int three = ClobberSet.of(Register.RDX, Register.R11, Register.RAX).bits();
        at = Encodings.putSaves(b, 0, Isa.X86_64, three);
        assertEquals(Encodings.savesLength(Isa.X86_64, three), at);
        at = Encodings.putRestores(b, at, Isa.X86_64, three);
        assertEquals("50 52 41 53 41 53 41 5b 41 5b 5a 58", of(b, 0, at));
        assertEquals(0, Encodings.savesLength(Isa.X86_64, 0));
    }

    @Test
    void saveOrderListsEveryRegisterButTheStackPointer() {
        assertEquals(7, Encodings.saveOrder(Isa.X86_32).size());
        assertEquals(15, Encodings.saveOrder(Isa.X86_64).size());
        assertFalse(Encodings.saveOrder(Isa.X86_64).contains(Register.RSP));
        assertEquals(Arrays.asList(Register.EAX, Register.EDI, Register.ECX, Register.EDX),
                Encodings.saveOrder(Isa.X86_32).subList(0, 4));
    }

    @Test
    void int32IsLittleEndianAndBoundsChecked() {
        byte[] b = new byte[6];
        Encodings.putInt32(b, 1, 0x12345678);
        assertEquals("00 78 56 34 12 00", of(b));
        assertEquals(0x12345678, Encodings.getInt32(b, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> Encodings.putInt32(b, 3, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> Encodings.getInt32(b, 3));
    }
}
