package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import static io.github.pvpatch.testing.Hex.bytes;
import static io.github.pvpatch.testing.Hex.le32;
import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Native code with relative fields, copied into sites: the kernel's {@code __apply_relocation} rules. */
class RelocationTest {
    private static final long TABLE64 = 0xffffffff82000000L;
    private static final long SITE64 = 0xffffffff81000000L;
    private static final long SOURCE64 = 0xffffffff81800000L;

    private static PatchPlan inline(PatchSite site, long table, Op.Native op) {
        return PatcherTest.patchOne(site, table, op, PatchOptions.defaults());
    }

    private static PatchSite site64(int len) {
        return PatchSite.of(Isa.X86_64, SITE64, len, 3, ClobberSet.linuxAny(Isa.X86_64));
    }

    @Test
    void ripRelativeOperandKeepsItsTarget() {
        // mov rax, [rip+0x100] living at SOURCE64 reads SOURCE64+7+0x100.
        Op.Native op = Op.nativeCodeAt(SOURCE64, bytes("48 8b 05 00 01 00 00"), ClobberSet.of(Register.RAX),
                List.of(Relocation.of(3, 4, 7)));
        long target = SOURCE64 + 7 + 0x100;
        String want = "48 8b 05 " + le32(target - (SITE64 + 7)) + " 90";   // then a 1-byte NOP: site is 8
        assertEquals(want, of(inline(site64(8), TABLE64, op).patchedBytes(0)));
    }

    @Test
    void relativeCallAndJumpOutsideAreReaimedAndInsideOnesMoveWithTheCode() {
        // jmp +0 (eb 00, to the next instruction: inside), call rel32 to SOURCE64+0x1000 (outside).
        Op.Native op = Op.nativeCodeAt(SOURCE64, bytes("eb 00 e8 f9 0f 00 00"), ClobberSet.callerSaved(Isa.X86_64),
                List.of(Relocation.of(1, 1, 2), Relocation.of(3, 4, 7)));
        String want = "eb 00 e8 " + le32(SOURCE64 + 0x1000 - (SITE64 + 7));
        assertEquals(want, of(inline(site64(7), TABLE64, op).patchedBytes(0)));
    }

    @Test
    void aFieldThatCannotReachFromTheSiteIsABug() {
        // rel8 jump 0x10 past the code: from the site it would need a 32-bit displacement.
        Op.Native shortJump = Op.nativeCodeAt(SOURCE64, bytes("eb 10"), ClobberSet.none(),
                List.of(Relocation.of(1, 1, 2)));
        PatchBug bug = PatcherTest.bug(site64(6), TABLE64, shortJump);
        assertEquals(Violation.TARGET_OUT_OF_REACH, bug.violation());
        assertEquals(SOURCE64 + 0x12 - (SITE64 + 2), bug.needed());
        assertEquals(127, bug.available());
        // A RIP-relative operand 3 GiB away (one byte past the code's end: its end itself is inside).
        Op.Native far = Op.nativeCodeAt(SITE64 - 0xC000_0000L, bytes("48 8b 05 01 00 00 00"),
                ClobberSet.of(Register.RAX), List.of(Relocation.of(3, 4, 7)));
        PatchBug farBug = PatcherTest.bug(site64(7), TABLE64, far);
        assertEquals(Violation.TARGET_OUT_OF_REACH, farBug.violation());
        assertEquals(Integer.MIN_VALUE, farBug.available());
        assertTrue(farBug.getMessage().contains("rel32 field at +3"), farBug.getMessage());
    }

    @Test
    void aBranchToTheEndOfTheCodeStaysAtTheEndOfTheCopy() {
        // xor eax,eax; test edi,edi; jz end; inc rax; end: -- the kernel's need_reloc counts the
        // end as inside [src, src+len], so the jz keeps its displacement (74 03, not re-aimed).
        byte[] code = bytes("31 c0 85 ff 74 03 48 ff c0");
        Op.Native op = Op.nativeCodeAt(0xffffffff81100040L, code, ClobberSet.of(Register.RAX),
                List.of(Relocation.of(5, 1, 6)));
        assertEquals("31 c0 85 ff 74 03 48 ff c0 90", of(inline(site64(10), TABLE64, op).patchedBytes(0)));
        // A source far beyond rel8 reach of the site: still inlined, not TARGET_OUT_OF_REACH.
        Op.Native far = Op.nativeCodeAt(SOURCE64, code, ClobberSet.of(Register.RAX), List.of(Relocation.of(5, 1, 6)));
        assertEquals("31 c0 85 ff 74 03 48 ff c0 90", of(inline(site64(10), TABLE64, far).patchedBytes(0)));
        // One byte further is outside: re-aimed, and out of rel8 reach from so far away.
        Op.Native past = Op.nativeCodeAt(SOURCE64, bytes("31 c0 85 ff 74 04 48 ff c0"), ClobberSet.of(Register.RAX),
                List.of(Relocation.of(5, 1, 6)));
        assertEquals(Violation.TARGET_OUT_OF_REACH, PatcherTest.bug(site64(10), TABLE64, past).violation());
        // A jump back to the start moves with the code too.
        Op.Native loop = Op.nativeCodeAt(SOURCE64, bytes("d1 e8 75 fc"), ClobberSet.of(Register.RAX),
                List.of(Relocation.of(3, 1, 4)));
        String patched = of(inline(site64(6), TABLE64, loop).patchedBytes(0));
        assertTrue(patched.startsWith("d1 e8 75 fc "), patched);
    }

    @Test
    void aBranchToTheEndOfTheCodeStaysAtTheEndOfTheCopyOnI386() {
        long site = 0xc1000000L;
        // xor eax,eax; test edi,edi; jz end (rel32); inc eax; end:
        byte[] code = bytes("31 c0 85 ff 0f 84 02 00 00 00 ff c0");
        PatchSite s = PatchSite.of(Isa.X86_32, site, 12, 1, ClobberSet.linuxAny(Isa.X86_32));
        Op.Native op = Op.nativeCodeAt(0xc1100040L, code, ClobberSet.of(Register.EAX), List.of(Relocation.of(6, 4, 10)));
        assertEquals("31 c0 85 ff 0f 84 02 00 00 00 ff c0", of(inline(s, 0xc0400000L, op).patchedBytes(0)));
        // The same with rel8 from far away: inlined unchanged.
        Op.Native rel8 = Op.nativeCodeAt(0xc1100040L, bytes("31 c0 85 ff 74 02 ff c0"), ClobberSet.of(Register.EAX),
                List.of(Relocation.of(5, 1, 6)));
        assertEquals("31 c0 85 ff 74 02 ff c0", of(inline(PatchSite.of(Isa.X86_32, site, 8, 1,
                ClobberSet.linuxAny(Isa.X86_32)), 0xc0400000L, rel8).patchedBytes(0)));
    }

    @Test
    void i386Rel32WrapsAroundTheAddressSpace() {
        long site = 0xc1000000L;
        PatchSite s = PatchSite.of(Isa.X86_32, site, 6, 1, ClobberSet.linuxAny(Isa.X86_32));
        // call rel32 from code at 0x1000 to 0x10 (wrapping below zero from the site's view is fine).
        Op.Native op = Op.nativeCodeAt(0x1000L, bytes("e8 0b f0 ff ff"), ClobberSet.callerSaved(Isa.X86_32),
                List.of(Relocation.of(1, 4, 5)));
        assertEquals("e8 " + le32(0x10 - (site + 5)) + " 90", of(inline(s, 0xc0400000L, op).patchedBytes(0)));
    }

    @Test
    void codeWithoutASourceIsCopiedAsIs() {
        Op.Native op = Op.nativeCode(bytes("48 8b 05 00 01 00 00"), ClobberSet.of(Register.RAX));
        assertEquals("48 8b 05 00 01 00 00", of(inline(site64(7), TABLE64, op).patchedBytes(0)));
        assertTrue(op.sourceAddress().isEmpty());
        assertTrue(op.relocations().isEmpty());
    }

    @Test
    void relocationsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> Relocation.of(0, 3, 3));
        assertThrows(IllegalArgumentException.class, () -> Relocation.of(-1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Relocation.of(2, 4, 5));
        assertThrows(IllegalArgumentException.class, () -> Relocation.of(0, 1, 17));
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> Op.nativeCodeAt(0, bytes("eb 00"), ClobberSet.none(), List.of(Relocation.of(1, 4, 5))));
        assertTrue(outside.getMessage().contains("outside the native code"), outside.getMessage());
        IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class,
                () -> Op.nativeCodeAt(0, bytes("e8 00 00 00 00"), ClobberSet.none(),
                        List.of(Relocation.of(1, 4, 5), Relocation.of(2, 1, 5))));
        assertTrue(overlap.getMessage().contains("overlaps"), overlap.getMessage());
        Op.Native a = Op.nativeCodeAt(5, bytes("eb 00"), ClobberSet.none(), List.of(Relocation.of(1, 1, 2)));
        assertEquals(a, Op.nativeCodeAt(5, bytes("eb 00"), ClobberSet.none(), List.of(Relocation.of(1, 1, 2))));
        assertEquals(a.hashCode(), Op.nativeCodeAt(5, bytes("eb 00"), ClobberSet.none(),
                List.of(Relocation.of(1, 1, 2))).hashCode());
        assertTrue(!a.equals(Op.nativeCode(bytes("eb 00"), ClobberSet.none())));
        assertTrue(a.toString().contains("at=0x5 relocations=1"), a.toString());
    }
}
