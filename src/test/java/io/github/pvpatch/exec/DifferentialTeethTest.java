package io.github.pvpatch.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Patcher;
import io.github.pvpatch.SiteOutcome;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The execution check has teeth: each deliberately broken patcher must be caught on every
 * generated case where its bytes differ from the correct patcher's, and on a hand-made site.
 */
class DifferentialTeethTest {
    private static Map<Isa, Harness> harnesses;

    @BeforeAll
    static void start() {
        harnesses = Map.of(Isa.X86_32, Harness.start(Isa.X86_32), Isa.X86_64, Harness.start(Isa.X86_64));
    }

    @AfterAll
    static void stop() {
        harnesses.values().forEach(Harness::close);
    }

    /** The ways a patcher can be wrong that byte-level properties could miss. */
    enum Broken {
        /** Generates the saves a direct call needs, but one register short. */
        SKIPS_A_SAVE((site, op, out) -> {
            if (op instanceof Op.Call call) {
                int missing = call.clobbers().bits() & ~site.clobbers().bits();
                if (missing != 0 && site.stackArguments() == 0) {
                    ClobberSet fewer = ClobberSet.ofBits(missing & (missing - 1));
                    out.putSaves(fewer).putCall(call.target()).putRestores(fewer);
                    return Strategy.DIRECT_CALL_WITH_SAVES;
                }
            }
            return Patcher.standard().patch(site, op, out);
        }),
        /** Aims every direct call one byte past its target. */
        CALL_OFF_BY_ONE((site, op, out) -> Patcher.standard().patch(site, op instanceof Op.Call call
                ? Op.call(call.target() + 1, call.clobbers(), call.returnsValue()) : op, out)),
        /** Pads with NOPs whose last byte is wrong ({@code pop ebx/rbx} instead of a NOP byte). */
        WRONG_PADDING_BYTE((site, op, out) -> {
            Strategy s = Patcher.standard().patch(site, op, out);
            if (out.remaining() > 0) {
                out.putNops(out.remaining() - 1).put(0x5B);
            }
            return s;
        }),
        /** Saves a register around a direct call even when the op's arguments are on the stack. */
        PUSHES_OVER_STACK_ARGUMENTS((site, op, out) -> {
            if (op instanceof Op.Call call && site.stackArguments() > 0) {
                ClobberSet rbx = ClobberSet.of(Register.RBX);
                out.putSaves(rbx).putCall(call.target()).putRestores(rbx);
                return Strategy.DIRECT_CALL_WITH_SAVES;
            }
            return Patcher.standard().patch(site, op, out);
        }),
        /** Inlines native code without checking that it clobbers only what the site allows. */
        INLINES_A_CLOBBERING_OP((site, op, out) -> {
            if (op instanceof Op.Native n && n.length() <= site.length()) {
                out.putNative(n);
                return Strategy.INLINE_NATIVE;
            }
            return Patcher.standard().patch(site, op, out);
        });

        final Patcher patcher;

        Broken(Patcher patcher) {
            this.patcher = patcher;
        }
    }

    @ParameterizedTest
    @EnumSource(Broken.class)
    void everyCaseABrokenPatcherChangesIsCaught(Broken b) {
        long[] changed = {0};
        for (Isa isa : Isa.values()) {
            Harness h = harnesses.get(isa);
            Patcher wrong = b.patcher;
            qt().withExamples(1_500).forAll(ExecScenario.scenarios(h)).checkAssert(s -> {
                PatchOptions lenient = PatchOptions.defaults().withNops(s.nops).withMode(PatchOptions.Mode.LENIENT);
                PatchPlan good = PatchPlan.of(s.freshCode(), s.sites, s.ops, lenient);
                PatchPlan bad = PatchPlan.of(s.freshCode(), s.sites, s.ops, lenient.withPatcher(wrong));
                for (int i = 0; i < s.sites.size(); i++) {
                    PatchSite site = s.sites.get(i);
                    // A broken patcher that gives up leaves correct code: only what it wrote counts.
                    if (s.ops.op(site.type()).isEmpty() || bad.outcome(i) instanceof SiteOutcome.LeftUnpatched
                            || Arrays.equals(good.patchedBytes(i), bad.patchedBytes(i))) {
                        continue;
                    }
                    // Padding after a jmp never runs: a wrong byte there is the verifier's to catch
                    // (SiteVerifierTest), not execution's.
                    if (b == Broken.WRONG_PADDING_BYTE && bad.outcome(i).equals(SiteOutcome.patched(Strategy.DIRECT_JUMP))) {
                        continue;
                    }
                    changed[0]++;
                    Harness.Case c = new Harness.Case(site, bad.originalBytes(i), bad.patchedBytes(i), s.regs, s.ops);
                    Harness.Result r = h.run(List.of(c)).get(0);
                    assertNotNull(Differential.mismatch(r), () -> b + " went unnoticed at " + site
                            + "\n  original " + r.original() + "\n  patched  " + r.patched() + "\n  " + s);
                }
            });
        }
        System.out.printf("teeth %s: %d changed cases, all caught%n", b, changed[0]);
        assertTrue(changed[0] >= 50, b + " changed only " + changed[0] + " generated cases: the check proves little");
    }

    @ParameterizedTest
    @EnumSource(Broken.class)
    void theIrqDisableSiteCatchesEachBreakage(Broken b) {
        // 2.6.21 i386: push ecx; push edx; call *slot; pop edx; pop ecx (clobbers eax), 2 bytes of padding.
        Harness h = harnesses.get(Isa.X86_32);
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_32, h.tableBase);
        PatchSite site = form.site(h.codeBase + 0x100, 0, SiteKind.CALL, ClobberSet.of(Register.EAX), 2);
        Op op = switch (b) {
            case INLINES_A_CLOBBERING_OP -> Op.nativeCode("31 c9", ClobberSet.of(Register.ECX));   // xor ecx, ecx
            default -> Op.call(h.stub(0), ClobberSet.callerSaved(Isa.X86_32), true);
        };
        if (b == Broken.PUSHES_OVER_STACK_ARGUMENTS) {
            // A 4th argument pushed before the site, as 2.6.21 did: the site saves nothing itself.
            site = form.site(h.codeBase + 0x100, 0, SiteKind.CALL, ClobberSet.callerSaved(Isa.X86_32), 2)
                    .withStackArguments(1);
        }
        OpsTable ops = OpsTable.builder().put(0, op).build();
        byte[] text = form.encode(site);
        long[] regs = {0x11, 0x22, 0x33, 0x44, 0, 0x66, 0x77, 0x88, 0, 0, 0, 0, 0, 0, 0, 0};
        PatchPlan good = PatchPlan.of(io.github.pvpatch.CodeBuffer.wrap(text.clone(), site.address()), List.of(site), ops,
                PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT));
        PatchPlan bad = PatchPlan.of(io.github.pvpatch.CodeBuffer.wrap(text.clone(), site.address()), List.of(site), ops,
                PatchOptions.defaults().withPatcher(b.patcher).withMode(PatchOptions.Mode.LENIENT));
        Harness.Result right = h.run(List.of(new Harness.Case(site, text, good.patchedBytes(0), regs, ops))).get(0);
        assertNull(Differential.mismatch(right), right.toString());
        Harness.Result wrong = h.run(List.of(new Harness.Case(site, text, bad.patchedBytes(0), regs, ops))).get(0);
        String why = Differential.mismatch(wrong);
        assertNotNull(why, b + ": " + wrong);
        System.out.printf("teeth %s on the irq site: %s%n", b, why);
        if (b == Broken.SKIPS_A_SAVE) {
            assertEquals("ecx: original 0x22, patched 0xc0de0001", why);
        }
    }
}
