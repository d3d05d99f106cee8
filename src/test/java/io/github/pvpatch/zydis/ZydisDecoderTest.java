package io.github.pvpatch.zydis;

import static io.github.pvpatch.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Golden decodes of the encodings pvpatch emits and reads, in both modes. The Intel and AT&amp;T
 * text is what {@code ZydisDisasm} 4.0 prints for the same bytes.
 */
class ZydisDecoderTest {
    private static final ZydisDecoder D32 = ZydisDecoder.of(MachineMode.X86_32);
    private static final ZydisDecoder D64 = ZydisDecoder.of(MachineMode.X86_64);

    private static Instruction decode(ZydisDecoder d, String hex, long address) {
        byte[] b = bytes(hex);
        return d.decode(b, 0, b.length, address).orElseThrow();
    }

    @Test
    void versionIsTheOneDebianShips() {
        assertTrue(Zydis.isAvailable());
        assertTrue(Zydis.unavailability().isEmpty());
        assertTrue(Zydis.version().startsWith("4."), Zydis.version());
    }

    @ParameterizedTest(name = "{0}-bit {1}: {4}")
    @CsvSource(delimiter = '|', value = {
        // mode | bytes | length | mnemonic | Intel | AT&T
        "64 | ff 15 02 20 00 00 | 6 | call | call [0x0000000000003008] | call *0x0000000000003008",
        "64 | ff 14 25 10 00 00 82 | 7 | call | call [0xFFFFFFFF82000010] | call *0xFFFFFFFF82000010",
        "64 | ff 25 02 20 00 00 | 6 | jmp | jmp [0x0000000000003008] | jmp *0x0000000000003008",
        "64 | e8 fb 0f 00 00 | 5 | call | call 0x0000000000002000 | call 0x0000000000002000",
        "64 | e9 fb 0f 00 00 | 5 | jmp | jmp 0x0000000000002000 | jmp 0x0000000000002000",
        "64 | 41 50 | 2 | push | push r8 | push %r8",
        "64 | 41 5f | 2 | pop | pop r15 | pop %r15",
        "64 | 9c | 1 | pushfq | pushfq | pushfq",
        "64 | 48 89 f8 | 3 | mov | mov rax, rdi | mov %rdi, %rax",
        "64 | 0f 20 d8 | 3 | mov | mov rax, cr3 | mov %cr3, %rax",
        "64 | 0f 22 df | 3 | mov | mov cr3, rdi | mov %rdi, %cr3",
        "64 | 0f 01 f8 | 3 | swapgs | swapgs | swapgs",
        "64 | 66 66 66 0f 1f 84 00 00 00 00 00 | 11 | nop | nop [rax+rax*1], ax | nop %ax, (%rax,%rax,1)",
        "32 | ff 15 10 00 40 c0 | 6 | call | call [0xC0400010] | call *0xC0400010",
        "32 | 2e ff 15 10 00 40 c0 | 7 | call | call cs:[0xC0400010] | call %cs:*0xC0400010",
        "32 | 8d b4 26 00 00 00 00 | 7 | lea | lea esi, [esi] | lea (%esi), %esi",
        "32 | fa | 1 | cli | cli | cli",
        "32 | cf | 1 | iretd | iretd | iretd",
    })
    void goldenDecodes(int mode, String hex, int length, String mnemonic, String intel, String att) {
        ZydisDecoder d = mode == 64 ? D64 : D32;
        byte[] b = bytes(hex);
        Instruction insn = d.decode(b, 0, b.length, 0x1000).orElseThrow();
        assertEquals(length, insn.length());
        assertEquals(mnemonic, insn.mnemonic());
        assertEquals(0x1000 + length, insn.addressAfter());
        assertEquals(Optional.of(intel), d.format(b, 0, b.length, 0x1000, Syntax.INTEL));
        assertEquals(Optional.of(att), d.format(b, 0, b.length, 0x1000, Syntax.ATT));
    }

    @Test
    void ripRelativeCallNamesItsSlot() {
        Instruction call = decode(D64, "ff 15 02 20 00 00", 0x1000);
        MemoryOperand m = call.memory().orElseThrow();
        assertTrue(m.isRipRelative());
        assertEquals(MemoryOperand.IP, m.base());
        assertEquals(MemoryOperand.NONE, m.index());
        assertEquals(0x2002, m.displacement());
        assertEquals(OptionalLong.of(0x3008), m.absoluteAddress());
        assertEquals(OptionalInt.of(2), call.displacementOffset());
        assertEquals(OptionalLong.empty(), call.branchTarget());
        // A call writes the stack pointer (its return address) and nothing else general-purpose.
        assertEquals(1 << 4, call.registersWritten());
    }

    @Test
    void absoluteSlotsAreSignExtendedOnX8664AndUnsignedOnI386() {
        assertEquals(OptionalLong.of(0xFFFFFFFF82000010L),
                decode(D64, "ff 14 25 10 00 00 82", 0).memory().orElseThrow().absoluteAddress());
        assertEquals(OptionalLong.of(0xC0400010L),
                decode(D32, "ff 15 10 00 40 c0", 0).memory().orElseThrow().absoluteAddress());
        assertFalse(decode(D32, "ff 15 10 00 40 c0", 0).memory().orElseThrow().isRipRelative());
    }

    @Test
    void relativeBranchesHaveTargetsAndRelocatableImmediates() {
        Instruction call = decode(D64, "e8 fb 0f 00 00", 0xffffffff81000000L);
        assertEquals(OptionalLong.of(0xffffffff81001000L), call.branchTarget());
        assertEquals(OptionalInt.of(1), call.relativeImmediateOffset());
        assertEquals(32, call.relativeImmediateBits());
        Instruction shortJump = decode(D32, "eb fe", 0xc1000000L);
        assertEquals(OptionalLong.of(0xc1000000L), shortJump.branchTarget());
        assertEquals(8, shortJump.relativeImmediateBits());
        // i386 targets wrap at 4 GiB, both ways (objdump found Zydis sign-extending the second).
        assertEquals(OptionalLong.of(0x0L), decode(D32, "e8 fb ff ff ff", 0).branchTarget());
        assertEquals(OptionalLong.of(0x904000ccL), decode(D32, "e8 fb ff ff 8f", 0x4000ccL).branchTarget());
    }

    @Test
    void registersWrittenIncludeImplicitOnes() {
        assertEquals(0b1111, decode(D64, "0f a2", 0).registersWritten());             // cpuid: eax..ebx
        assertEquals(1 | 1 << 4, decode(D64, "58", 0).registersWritten());           // pop rax: rax, rsp
        assertEquals(1 << 4, decode(D64, "57", 0).registersWritten());               // push rdi: rsp
        assertEquals(1 << 7, decode(D64, "57", 0).registersRead() & 0xFF & ~(1 << 4)); // reads rdi
        assertEquals(1, decode(D64, "48 89 f8", 0).registersWritten());              // mov rax, rdi
        assertEquals(0, decode(D64, "0f 1f 44 00 00", 0).registersWritten());        // a NOP writes nothing
        assertTrue(decode(D64, "0f 1f 44 00 00", 0).isNop());
        assertTrue(decode(D64, "90", 0).isNop());
        assertFalse(decode(D64, "fa", 0).isNop());
    }

    @Test
    void farBranchesAreMarked() {
        assertTrue(decode(D32, "ff 2d 00 10 40 c0", 0).farBranch());     // jmp far [abs]
        assertTrue(decode(D32, "ff 1d 00 10 40 c0", 0).farBranch());     // call far [abs]
        assertFalse(decode(D32, "ff 25 00 10 40 c0", 0).farBranch());
        byte[] b = bytes("ff 25 00 10 40 c0 ff 2d 00 10 40 c0");
        DecodedBuffer out = D32.decodeAll(b, 0, b.length, 0);
        assertFalse(out.isFarBranch(0));
        assertTrue(out.isFarBranch(1));
    }

    @Test
    void bytesThatAreNoInstructionGiveEmptyNotAnException() {
        byte[] b = bytes("0f 0b 0f ff ff ff");  // ud2 is an instruction; 0f ff is not
        assertEquals("ud2", D64.decode(b, 0, 2, 0).orElseThrow().mnemonic());
        assertEquals(Optional.empty(), D64.decode(b, 2, 2, 0));
        assertEquals(Optional.empty(), D64.format(b, 2, 2, 0, Syntax.INTEL));
        // A truncated instruction is not an instruction either.
        assertEquals(Optional.empty(), D64.decode(bytes("ff 15 02 20"), 0, 4, 0));
        assertEquals(Optional.empty(), D64.decode(b, 0, 0, 0));
        // Instructions that exist only in one mode.
        assertEquals(Optional.empty(), D64.decode(bytes("60"), 0, 1, 0));            // pusha
        assertEquals("pushad", D32.decode(bytes("60"), 0, 1, 0).orElseThrow().mnemonic());
    }

    @Test
    void rangesAreCheckedBeforeTheNativeCall() {
        byte[] b = new byte[4];
        assertThrows(IndexOutOfBoundsException.class, () -> D64.decode(b, -1, 2, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> D64.decode(b, 3, 2, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> D64.decode(b, 0, Integer.MAX_VALUE, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> D64.decodeAll(b, 2, 3, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> D64.format(b, 5, 0, 0, Syntax.ATT));
        assertThrows(NullPointerException.class, () -> D64.decode(null, 0, 0, 0));
        assertThrows(NullPointerException.class, () -> D64.format(b, 0, 1, 0, null));
        assertThrows(NullPointerException.class, () -> ZydisDecoder.of(null));
    }

    @Test
    void decodeAllSweepsLinearlyAndMarksInvalidBytes() {
        // push rcx; push rdx; call *slot(%rip); pop rdx; pop rcx; two push es (invalid in 64-bit); int3.
        byte[] b = bytes("51 52 ff 15 02 20 00 00 5a 59 06 06 cc");
        DecodedBuffer out = D64.decodeAll(b, 0, b.length, 0x1000);
        assertEquals(8, out.count());
        int[] lengths = {1, 1, 6, 1, 1, 1, 1, 1};
        String[] mnemonics = {"push", "push", "call", "pop", "pop", "invalid", "invalid", "int3"};
        int at = 0;
        for (int i = 0; i < out.count(); i++) {
            assertEquals(at, out.offset(i));
            assertEquals(0x1000 + at, out.address(i));
            assertEquals(lengths[i], out.length(i), "entry " + i);
            assertEquals(mnemonics[i], out.mnemonic(i), "entry " + i);
            at += lengths[i];
        }
        assertFalse(out.isValid(5));
        assertEquals(0, out.mnemonicId(5));
        assertTrue(out.hasMemoryAddress(2));
        assertEquals(0x1000 + 2 + 6 + 0x2002, out.memoryAddress(2));
        assertFalse(out.hasBranchTarget(2));
        assertEquals(1 << 1 | 1 << 4, out.registersWritten(4));
        assertThrows(IndexOutOfBoundsException.class, () -> out.offset(8));
    }

    @Test
    void decodeAllGrowsAndReusesItsBuffer() {
        // 10,000 one-byte instructions: more than the first guess of capacity (length / 3 + 16).
        byte[] pushes = new byte[10_000];
        java.util.Arrays.fill(pushes, (byte) 0x50);
        DecodedBuffer out = new DecodedBuffer();
        assertSame(out, D32.decodeAll(pushes, 0, pushes.length, 0x8000, out));
        assertEquals(10_000, out.count());
        assertEquals(9_999, out.offset(9_999));
        assertEquals(0x8000 + 9_999, out.address(9_999));
        int capacity = out.capacity();
        byte[] call = bytes("e8 00 00 00 00");
        D32.decodeAll(call, 0, call.length, 0x100, out);
        assertEquals(1, out.count());
        assertEquals(0x105, out.branchTarget(0));
        assertTrue(out.hasBranchTarget(0));
        assertEquals(capacity, out.capacity(), "a smaller buffer reuses the arrays");
        D32.decodeAll(call, 0, 0, 0x100, out);
        assertEquals(0, out.count());
    }

    /** The pair form gives what two single calls give, on short ranges (one native call) and long ones. */
    @Test
    void decodeAllOfTwoRangesEqualsTwoCalls() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        DecodedBuffer a = new DecodedBuffer();
        DecodedBuffer b = new DecodedBuffer();
        DecodedBuffer a1 = new DecodedBuffer();
        DecodedBuffer b1 = new DecodedBuffer();
        for (int round = 0; round < 2000; round++) {
            ZydisDecoder d = rnd.nextBoolean() ? D64 : D32;
            byte[] x = new byte[rnd.nextInt(1, 90)];
            byte[] y = new byte[rnd.nextInt(1, 90)];
            rnd.nextBytes(x);
            rnd.nextBytes(y);
            int xo = rnd.nextInt(x.length);
            int yo = rnd.nextInt(y.length);
            int xl = rnd.nextInt(x.length - xo + 1);
            int yl = rnd.nextInt(y.length - yo + 1);
            long xa = rnd.nextLong() & 0xFFFF_FFFFL;
            long ya = rnd.nextLong() & 0xFFFF_FFFFL;
            d.decodeAll(x, xo, xl, xa, a, y, yo, yl, ya, b);
            d.decodeAll(x, xo, xl, xa, a1);
            d.decodeAll(y, yo, yl, ya, b1);
            assertSameEntries(a1, a, "round " + round + " first");
            assertSameEntries(b1, b, "round " + round + " second");
        }
        byte[] nop = {(byte) 0x90};
        assertThrows(IllegalArgumentException.class, () -> D64.decodeAll(nop, 0, 1, 0, a, nop, 0, 1, 0, a));
        assertThrows(IndexOutOfBoundsException.class, () -> D64.decodeAll(nop, 0, 2, 0, a, nop, 0, 1, 0, b));
        assertThrows(IndexOutOfBoundsException.class, () -> D64.decodeAll(nop, 0, 1, 0, a, nop, 1, 1, 0, b));
    }

    private static void assertSameEntries(DecodedBuffer want, DecodedBuffer got, String where) {
        assertEquals(want.count(), got.count(), where);
        for (int i = 0; i < want.count(); i++) {
            assertEquals(want.address(i), got.address(i), where);
            assertEquals(want.length(i), got.length(i), where);
            assertEquals(want.isValid(i), got.isValid(i), where);
            assertEquals(want.mnemonicId(i), got.mnemonicId(i), where);
            assertEquals(want.hasBranchTarget(i), got.hasBranchTarget(i), where);
            assertEquals(want.branchTarget(i), got.branchTarget(i), where);
            assertEquals(want.hasMemoryAddress(i), got.hasMemoryAddress(i), where);
            assertEquals(want.isRipRelative(i), got.isRipRelative(i), where);
            assertEquals(want.isFarBranch(i), got.isFarBranch(i), where);
            assertEquals(want.memoryAddress(i), got.memoryAddress(i), where);
            assertEquals(want.registersWritten(i), got.registersWritten(i), where);
        }
    }
}
