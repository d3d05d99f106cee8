package io.github.pvpatch.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.linux.BootOracle.Verdict;
import io.github.pvpatch.testing.Hex;
import io.github.pvpatch.zydis.MachineMode;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * The boot oracle's comparator on hand-made byte pairs: each verdict reached, and each rule that
 * makes it broken on purpose (a NOP form that is filler only in 32-bit code, a callee whose body
 * differs, a call through the slot where the kernel calls directly).
 */
class BootOracleComparatorTest {
    private static final long SITE = 0xffffffff81001000L;
    private static final long F = 0xffffffff81002000L;
    private static final long G = 0xffffffff81003000L;
    private static final long THUNK = 0xffffffff81004000L;

    private final BootOracle x64 = BootOracle.of(MachineMode.X86_64);
    private final BootOracle x32 = BootOracle.of(MachineMode.X86_32);

    /** {@code e8 rel32} at {@code site + at} to {@code target}. */
    private static String call(long site, int at, long target) {
        return "e8 " + Hex.le32(target - (site + at + 5));
    }

    /** A little text: F is {@code endbr64; pushf; pop rax; ret}, G is {@code cli; jmp THUNK}, THUNK is {@code ret; int3}. */
    private LongFunction<Optional<List<BootOracle.Insn>>> bodies() {
        byte[] text = new byte[0x4000];
        System.arraycopy(Hex.bytes("f3 0f 1e fa 9c 58 c3"), 0, text, 0x1000, 7);
        byte[] g = Hex.bytes("0f 1f 44 00 00 fa e9 " + Hex.le32(THUNK - (G + 11)));
        System.arraycopy(g, 0, text, 0x2000, g.length);
        System.arraycopy(Hex.bytes("c3 cc"), 0, text, 0x3000, 2);
        long base = 0xffffffff81001000L;
        return f -> x64.body(text, base, f);
    }

    private Verdict judge(BootOracle o, String kernel, String ours) {
        return o.judge(SITE, Hex.bytes(kernel), Hex.bytes(ours), bodies()).verdict();
    }

    @Test
    void sameInstructionsWithOtherNopsAreEqual() {
        assertEquals(Verdict.EQUAL, judge(x64, "fa 0f 1f 44 00 00", "fa 66 0f 1f 40 00"));
        assertEquals(Verdict.EQUAL, judge(x64, "0f 1f 44 00 00 fa", "fa 90 90 90 90 90"));
        assertEquals(Verdict.EQUAL, judge(x64, "48 31 c0 0f 1f 00", "48 31 c0 90 66 90"));
        // A direct call is its target, wherever in the site it sits.
        assertEquals(Verdict.EQUAL, judge(x64, call(SITE, 0, F) + " 90", "90 " + call(SITE, 1, F)));
        // A call through the slot is its slot's absolute address, wherever it sits.
        assertEquals(Verdict.EQUAL, judge(x64, "ff 15 " + Hex.le32(0x1000) + " 90",
                "90 ff 15 " + Hex.le32(0x1000 - 1)));
        assertEquals(Verdict.EQUAL, judge(x64, "0f 1f 44 00 00 90", "66 90 0f 1f 40 00"));
    }

    @Test
    void theI386LeaAndMovPaddingIsFiller() {
        for (String nop : List.of("90", "66 90", "89 f6", "89 ff", "8d 76 00", "8d 74 26 00", "8d b6 00 00 00 00",
                "8d b4 26 00 00 00 00", "8d bc 27 00 00 00 00", "0f 1f 40 00")) {
            assertEquals(List.of(), x32.instructions(Hex.bytes(nop), 0, Hex.bytes(nop).length, 0xc1000000L), nop);
        }
        assertEquals(Verdict.EQUAL, judge(x32, "31 c0 8d 74 26 00", "31 c0 0f 1f 40 00"));
        assertEquals(Verdict.EQUAL, judge(x32, "c6 00 00 8d 76 00", "c6 00 00 0f 1f 00"));
    }

    @Test
    void leaPaddingIsNoFillerIn64BitCode() {
        // lea esi, [rsi] zero-extends rsi there: it is code, not padding.
        assertEquals(1, x64.instructions(Hex.bytes("8d 76 00"), 0, 3, SITE).size());
        assertEquals(Verdict.WRONG, judge(x64, "fa 8d 76 00 90 90", "fa 0f 1f 40 00 90"));
        // Nor is a lea that moves or offsets, in 32-bit code.
        assertEquals(1, x32.instructions(Hex.bytes("8d 76 01"), 0, 3, 0xc1000000L).size());
        assertEquals(1, x32.instructions(Hex.bytes("8d 77 00"), 0, 3, 0xc1000000L).size());
    }

    @Test
    void theCalleeBodyInlinedIsBeyond() {
        assertEquals(Verdict.BEYOND, judge(x64, call(SITE, 0, F) + " 90", "9c 58 0f 1f 40 00"));
        // A body ending in a jump to a return thunk ends there too.
        assertEquals(Verdict.BEYOND, judge(x64, call(SITE, 0, G) + " 90", "fa 0f 1f 44 00 00"));
        // Not the callee's body: wrong.
        assertEquals(Verdict.WRONG, judge(x64, call(SITE, 0, F) + " 90", "9c 5a 0f 1f 40 00"));
        assertEquals(Verdict.WRONG, judge(x64, call(SITE, 0, F) + " 90", "9c 0f 1f 44 00 00"));
    }

    @Test
    void aCallWhereTheKernelRunsNativeCodeIsWorse() {
        assertEquals(Verdict.WORSE, judge(x64, "c6 07 00 0f 1f 00", call(SITE, 0, F) + " 90"));
        assertEquals(Verdict.WORSE, judge(x64, "48 31 c0 0f 1f 00", "ff 15 " + Hex.le32(0x1000)));
        assertEquals(Verdict.WORSE, judge(x32, "c6 00 00 8d 76 00", call(SITE, 0, F) + " 90"));
        // Still calling through the slot where the kernel calls directly.
        assertEquals(Verdict.WORSE, judge(x64, call(SITE, 0, F) + " 90", "ff 15 " + Hex.le32(0x1000)));
        // A call where the kernel leaves nothing to run.
        assertEquals(Verdict.WORSE, judge(x64, "0f 1f 44 00 00 90", call(SITE, 0, F) + " 90"));
    }

    @Test
    void otherCodeIsWrong() {
        assertEquals(Verdict.WRONG, judge(x64, "fa 0f 1f 44 00 00", "fb 0f 1f 44 00 00"));
        assertEquals(Verdict.WRONG, judge(x64, "fa 0f 1f 44 00 00", "0f 1f 44 00 00 90"));
        assertEquals(Verdict.WRONG, judge(x64, call(SITE, 0, F) + " 90", call(SITE, 0, G) + " 90"));
        assertEquals(Verdict.WRONG, judge(x64, "48 31 c0 0f 1f 00", "31 c0 0f 1f 40 00"));
        // The kernel's call to a function with no inlinable body, and NOPs here.
        assertEquals(Verdict.WRONG, judge(x64, call(SITE, 0, THUNK + 0x100) + " 90", "0f 1f 44 00 00 90"));
    }

    @Test
    void aBodyStopsAtBranchesAndNeedsARet() {
        byte[] text = Hex.bytes("9c 58 c3 | 74 02 fa c3 | e8 00 00 00 00 c3 | fa fb");
        long base = 0x1000;
        assertEquals(2, x64.body(text, base, base).orElseThrow().size());
        assertTrue(x64.body(text, base, base + 3).isEmpty(), "a conditional branch");
        assertTrue(x64.body(text, base, base + 7).isEmpty(), "a call");
        assertTrue(x64.body(text, base, base + 13).isEmpty(), "no ret before the end");
        assertTrue(x64.body(text, base, base + 100).isEmpty(), "outside the text");
        assertEquals(0, x64.body(Hex.bytes("f3 0f 1e fa c3"), base, base).orElseThrow().size(), "endbr64; ret");
    }

    @Test
    void theTallyCountsAndKeepsExamples() {
        BootOracle.Tally t = new BootOracle.Tally();
        t.add(x64.judge(SITE, Hex.bytes("fa 90"), Hex.bytes("90 fa"), bodies()));
        t.add(x64.judge(SITE, Hex.bytes("fa 90"), Hex.bytes("fb 90"), bodies()));
        assertEquals("2 sites, 1 equal, 0 beyond, 0 worse, 1 wrong", t.summary());
        assertTrue(t.examples().startsWith("WRONG site 0xffffffff81001000: kernel [fa 90]"), t.examples());
        assertThrows(IllegalArgumentException.class, () -> x64.judge(SITE, new byte[2], new byte[3], bodies()));
    }

    @Test
    void theNewestKernelIsChosenByVersionNotByText() {
        assertTrue(BootOracleTest.compareVersions("linux-image-6.12.9+deb13", "linux-image-6.12.117+deb13") < 0);
        assertTrue(BootOracleTest.compareVersions("linux-image-6.1.0-57-cloud", "linux-image-6.1.0-9-cloud") > 0);
        assertEquals(0, BootOracleTest.compareVersions("6.1.0-57", "6.1.0-57"));
    }
}
