package io.github.pvpatch.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.SiteOutcome;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.Violation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Hex;
import io.github.pvpatch.verify.NativeScanner;
import io.github.pvpatch.verify.SiteVerifier;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Inlined native code with branches to its start, its end, inside and outside itself is
 * relocated as the kernel's {@code __apply_relocation} does ({@code [src, src+len]} is inside, end
 * included), in its three forms: {@link Op#nativeCodeAt} with every field listed,
 * {@link NativeScanner#scan}, and plain {@link Op#nativeCode} when nothing points outside. Each
 * case is checked by bytes against a model of the rule, by {@link SiteVerifier} (which accepts the
 * right bytes and refuses wrong ones), and run: the source in the harness's native slot, the
 * patched site in its code page, from the same registers ({@link Differential}).
 * {@code -Dpvpatch.exec.branching=N} sets the cases per ISA (default 3,000).
 */
class BranchingNativeProperties {
    private static final int CASES = Integer.getInteger("pvpatch.exec.branching", 3_000);
    /** The harness keeps native code and its {@code ret} in 32 bytes. */
    private static final int MAX_CODE = 24;

    /** One drawn case: the code, the op's form, the site's shape, the registers. */
    private record Draw(BranchingNative code, int[] shape, long[] regs) {
        @Override
        public String toString() {
            return code + " shape=" + Arrays.toString(shape);
        }
    }

    private static Gen<Draw> draws(Isa isa) {
        Gen<int[]> shape = Generate.intArrays(Generate.constant(8), integers().between(0, 9999));
        Gen<long[]> regs = Generators.lists(longs().all(), 16, 16).map(l -> l.stream().mapToLong(Long::longValue)
                .toArray());
        return BranchingNative.of(isa, MAX_CODE).zip(shape, regs, Draw::new);
    }

    /** What a case came to. */
    private record Outcome(PatchSite site, Op.Native op, PatchPlan plan, byte[] expected) {
    }

    /**
     * Builds the case's op and site, plans it with the verifier, and checks the plan against the
     * model: the right bytes when every field reaches, else {@link Violation#TARGET_OUT_OF_REACH}.
     */
    private static Outcome planAndCheck(Isa isa, Draw d, long source, long siteAddress, long table, int slot) {
        int[] s = d.shape();
        BranchingNative bn = d.code();
        int form = s[0] % 3;
        if (form == 2 && bn.reachesOutside()) {
            form = 0;
        }
        Op.Native op;
        ClobberSet rax = ClobberSet.of(Register.RAX);
        if (form == 0) {
            op = Op.nativeCodeAt(source, bn.code(), rax, bn.relocations());
        } else if (form == 1) {
            op = NativeScanner.scan(isa, source, bn.code());
            assertEquals(bn.relocations(), op.relocations(), "the scanner lists every relative field");
        } else {
            op = Op.nativeCode(bn.code(), rax);
        }
        UnpatchedForm unpatched = UnpatchedForm.of(isa, table);
        ClobberSet clobbers = s[1] % 5 == 0 ? rax : ClobberSet.callerSaved(isa);
        int padding = Math.max(0, bn.code().length - 5) + s[2] % 4;
        PatchSite site = unpatched.site(siteAddress, slot, SiteKind.CALL, clobbers, padding);
        OpsTable ops = OpsTable.builder().put(slot, op).build();
        SiteVerifier verifier = SiteVerifier.of(unpatched);
        PatchOptions options = PatchOptions.defaults().withCheck(verifier).withMode(PatchOptions.Mode.LENIENT);
        byte[] text = unpatched.encode(site);
        PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(text, siteAddress), List.of(site), ops, options);

        // The model: a field aimed into [0, len] keeps its displacement; any other is re-aimed.
        byte[] expected = bn.code().clone();
        boolean reaches = true;
        int len = expected.length;
        for (BranchingNative.Branch b : form == 2 ? List.<BranchingNative.Branch>of() : bn.branches()) {
            if (b.target() >= 0 && b.target() <= len) {
                continue;
            }
            long disp = source + b.target() - (siteAddress + b.instructionEnd());
            if (isa == Isa.X86_32) {
                disp = (int) disp;
            }
            long max = (1L << (8 * b.fieldSize() - 1)) - 1;
            if (disp < -max - 1 || disp > max) {
                reaches = false;
            }
            for (int i = 0; i < b.fieldSize(); i++) {
                expected[b.fieldOffset() + i] = (byte) (disp >>> (8 * i));
            }
        }
        boolean fits = len <= site.length() && clobbers.containsAll(op.clobbers());
        if (fits && !reaches) {
            SiteOutcome.LeftUnpatched left = assertInstanceOf(SiteOutcome.LeftUnpatched.class, plan.outcome(0),
                    () -> d + " " + plan.problems());
            assertEquals(Violation.TARGET_OUT_OF_REACH, left.reason().violation());
        } else if (fits) {
            assertEquals(SiteOutcome.patched(Strategy.INLINE_NATIVE), plan.outcome(0), () -> d + " " + plan.problems());
            byte[] got = Arrays.copyOf(plan.patchedBytes(0), len);
            assertEquals(Hex.of(expected), Hex.of(got), () -> "source=0x" + Long.toHexString(source) + " site=0x"
                    + Long.toHexString(siteAddress) + " " + d);
            // The verifier refuses any wrong aim: one field off by a little, or the end re-aimed.
            byte[] patched = plan.patchedBytes(0);
            byte[] original = plan.originalBytes(0);
            for (BranchingNative.Branch b : bn.branches()) {
                byte[] wrong = patched.clone();
                int delta = 1 + s[3] % 3;
                long disp = BranchingNative.displacement(wrong, b.fieldOffset(), b.fieldSize()) + delta;
                for (int i = 0; i < b.fieldSize(); i++) {
                    wrong[b.fieldOffset() + i] = (byte) (disp >>> (8 * i));
                }
                refused(verifier, site, op, original, wrong, d);
                if (b.kind() == BranchingNative.Kind.END && b.fieldSize() == 4 && form != 2) {
                    // What pvpatch wrote before: the end of the code aimed at the source's end.
                    byte[] old = patched.clone();
                    long at = source + len - (siteAddress + b.instructionEnd());
                    for (int i = 0; i < 4; i++) {
                        old[b.fieldOffset() + i] = (byte) (at >>> (8 * i));
                    }
                    if (!Arrays.equals(old, patched)) {   // a source at the site itself: the old aim was right
                        refused(verifier, site, op, original, old, d);
                    }
                }
            }
        }
        return new Outcome(site, op, plan, expected);
    }

    private static void refused(SiteVerifier verifier, PatchSite site, Op.Native op, byte[] original, byte[] wrong,
            Draw d) {
        PatchBug bug = assertThrows(PatchBug.class,
                () -> verifier.verifyPatched(site, op, Strategy.INLINE_NATIVE, original, wrong),
                () -> "the verifier accepted " + Hex.of(wrong) + " for " + d);
        assertEquals(Violation.OUTPUT_MISMATCH, bug.violation());
    }

    @ParameterizedTest
    @EnumSource(Isa.class)
    void branchesToStartEndInsideAndOutsideRunLikeTheSource(Isa isa) {
        Map<BranchingNative.Kind, Long> ran = new EnumMap<>(BranchingNative.Kind.class);
        long[] endTaken = {0};
        long[] inlined = {0};
        try (Harness h = Harness.start(isa)) {
            qt().withExamples(CASES).forAll(draws(isa)).checkAssert(d -> {
                int slot = d.shape()[4] % Math.min(8, h.slots());
                long siteAddress = h.codeBase + 0x100 + 32L * (d.shape()[5] % 1000);
                Outcome o = planAndCheck(isa, d, h.nativeAddress(slot), siteAddress, h.tableBase, slot);
                long[] regs = d.regs().clone();
                if (d.shape()[6] % 2 == 0) {
                    regs[Register.RDI.encoding()] = 0;        // the jz to the end is taken
                }
                if (d.shape()[7] % 2 == 0) {
                    regs[Register.RSI.encoding()] = 0;        // the jz over the inside filler is taken
                }
                for (int i = 0; isa == Isa.X86_32 && i < regs.length; i++) {
                    regs[i] &= 0xFFFF_FFFFL;
                }
                OpsTable ops = OpsTable.builder().put(slot, o.op()).build();
                Harness.Case c = new Harness.Case(o.site(), o.plan().originalBytes(0), o.plan().patchedBytes(0), regs,
                        ops);
                Harness.Result r = h.run(List.of(c)).get(0);
                String why = Differential.mismatch(r);
                assertNull(why, () -> why + "\n  " + d + "\n  original " + r.original() + "\n  patched  "
                        + r.patched() + "\n  bytes " + Hex.of(o.plan().patchedBytes(0)));
                if (o.plan().outcome(0).equals(SiteOutcome.patched(Strategy.INLINE_NATIVE))) {
                    inlined[0]++;
                    for (BranchingNative.Branch b : d.code().branches()) {
                        ran.merge(b.kind(), 1L, Long::sum);
                        if (b.kind() == BranchingNative.Kind.END && regs[Register.RDI.encoding()] == 0) {
                            endTaken[0]++;
                        }
                    }
                }
            });
        }
        System.out.printf("branching native %s: %d cases, %d inlined and run, branches run %s, end taken %d%n",
                isa.displayName(), CASES, inlined[0], ran, endTaken[0]);
        // The generator must keep reaching every shape, or the property proves less than it says.
        for (BranchingNative.Kind k : BranchingNative.Kind.values()) {
            assertTrue(ran.getOrDefault(k, 0L) >= CASES / 20, "branches to " + k + " run inlined: " + ran);
        }
        assertTrue(endTaken[0] >= CASES / 20, "taken branches to the end: " + endTaken[0]);
    }

    @ParameterizedTest
    @EnumSource(Isa.class)
    void nearAndFarSourcesAreRelocatedByTheRule(Isa isa) {
        long[] outcomes = new long[2];
        qt().withExamples(Generators.examples()).forAll(draws(isa), longs().between(-400, 400)).checkAssert((d, near) -> {
            long site = isa == Isa.X86_32 ? 0xc1000000L : 0xffffffff81000000L;
            // Sources near the site (rel8 outside targets may reach) and far (only rel32 ones do).
            long source = d.shape()[4] % 2 == 0 ? site + near : site + 0x7000_0000L + near;
            if (isa == Isa.X86_32) {
                source &= 0xFFFF_FFFFL;
            }
            long table = isa == Isa.X86_32 ? 0xc0400000L : 0xffffffff82000000L;
            Outcome o = planAndCheck(isa, d, source, site, table, d.shape()[5] % 8);
            outcomes[o.plan().outcome(0).equals(SiteOutcome.patched(Strategy.INLINE_NATIVE)) ? 0 : 1]++;
        });
        assertTrue(outcomes[0] >= Generators.examples() / 4, "inlined: " + outcomes[0]);
        assertTrue(outcomes[1] >= Generators.examples() / 50, "refused: " + outcomes[1]);
    }

    @Test
    void theReportedCaseInBothForms() {
        // xor eax,eax; test edi,edi; jz end; inc rax; end: at 0xffffffff81100040, into a 10-byte site.
        byte[] code = Hex.bytes("31 c0 85 ff 74 03 48 ff c0");
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_64, 0xffffffff82000000L);
        PatchSite site = form.site(0xffffffff81000000L, 1, SiteKind.CALL, ClobberSet.callerSaved(Isa.X86_64), 4);
        SiteVerifier verifier = SiteVerifier.of(form);
        byte[] original = form.encode(site);
        for (Op.Native op : List.of(NativeScanner.scan(Isa.X86_64, 0xffffffff81100040L, code),
                Op.nativeCode(code, ClobberSet.of(Register.RAX)))) {
            PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(original.clone(), site.address()), List.of(site),
                    OpsTable.builder().put(1, op).build(), PatchOptions.defaults().withCheck(verifier));
            assertArrayEquals(code, Arrays.copyOf(plan.patchedBytes(0), code.length), op.toString());
            verifier.verifyPatched(site, op, Strategy.INLINE_NATIVE, original, plan.patchedBytes(0));
            byte[] wrong = plan.patchedBytes(0);
            wrong[5] = 0x43;   // the byte pvpatch wrote before
            refused(verifier, site, op, original, wrong, null);
        }
    }
}
