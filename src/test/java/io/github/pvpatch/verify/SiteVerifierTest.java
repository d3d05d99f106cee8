package io.github.pvpatch.verify;

import static io.github.pvpatch.testing.Hex.bytes;
import static io.github.pvpatch.testing.Hex.le32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPass;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Patcher;
import io.github.pvpatch.Relocation;
import io.github.pvpatch.SiteOutcome;
import io.github.pvpatch.SiteTable;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.Violation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.x86.IndirectForm;
import io.github.pvpatch.x86.NopTable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every rule of the verifier, each broken on purpose: unpatched bytes that are not what the site
 * says, and patchers that write something other than what they claim.
 */
class SiteVerifierTest {
    private static final long TABLE32 = 0xc0400000L;
    private static final long SITE32 = 0xc1000000L;
    private static final long TABLE64 = 0xffffffff82000000L;
    private static final long SITE64 = 0xffffffff81000000L;
    private static final ClobberSet EAX = ClobberSet.of(Register.EAX);
    private static final UnpatchedForm FORM32 = UnpatchedForm.of(Isa.X86_32, TABLE32);
    private static final UnpatchedForm FORM64 = UnpatchedForm.of(Isa.X86_64, TABLE64);
    private static final SiteVerifier V32 = SiteVerifier.of(FORM32);
    private static final SiteVerifier V64 = SiteVerifier.of(FORM64);

    /** The 2.6.21 irq_disable site: push ecx; push edx; call *slot; pop edx; pop ecx. */
    private static final PatchSite IRQ = FORM32.site(SITE32, 0, SiteKind.CALL, EAX, 0);

    private static PatchBug original(SiteVerifier v, PatchSite site, String hex) {
        PatchBug bug = assertThrows(PatchBug.class, () -> v.verifyOriginal(site, bytes(hex)));
        assertEquals(Violation.ORIGINAL_MISMATCH, bug.violation());
        assertEquals(site, bug.site());
        return bug;
    }

    private static PatchBug output(SiteVerifier v, PatchSite site, Op op, Strategy strategy, String patched) {
        // Only the length of the original matters to these rules.
        byte[] original = new byte[site.length()];
        PatchBug bug = assertThrows(PatchBug.class, () -> v.verifyPatched(site, op, strategy, original, bytes(patched)));
        assertEquals(Violation.OUTPUT_MISMATCH, bug.violation());
        assertTrue(bug.getMessage().startsWith("violation=OUTPUT_MISMATCH " + site), bug.getMessage());
        return bug;
    }

    // ---- before patching ----

    @Test
    void canonicalUnpatchedSitesPass() {
        V32.verifyOriginal(IRQ, FORM32.encode(IRQ));
        V32.verifyOriginal(IRQ.withoutCallOffset(), FORM32.encode(IRQ));
        PatchSite any64 = FORM64.site(SITE64, 5, SiteKind.CALL, ClobberSet.linuxAny(Isa.X86_64), 3);
        V64.verifyOriginal(any64, FORM64.encode(any64));
        PatchSite jump = FORM64.site(SITE64, 9, SiteKind.JUMP, ClobberSet.none(), 0);
        V64.verifyOriginal(jump, FORM64.encode(jump));
        // Legacy encodings are found by what they read, not by their bytes.
        UnpatchedForm cs = FORM32.withForms(IndirectForm.CALL_CS_ABS32, IndirectForm.JMP_CS_ABS32);
        PatchSite csSite = cs.site(SITE32, 2, SiteKind.CALL, EAX, 1);
        V32.verifyOriginal(csSite, cs.encode(csSite));
        UnpatchedForm sib = FORM64.withForms(IndirectForm.CALL_SIB_ABS32, IndirectForm.JMP_SIB_ABS32);
        PatchSite sibSite = sib.site(SITE64, 2, SiteKind.CALL, ClobberSet.of(Register.RAX), 0);
        V64.verifyOriginal(sibSite, sib.encode(sibSite));
        // x86-64 sites that save an odd number of registers push one twice to keep alignment.
        PatchSite odd = FORM64.site(SITE64, 1, SiteKind.CALL,
                ClobberSet.callerSaved(Isa.X86_64).minus(ClobberSet.of(Register.RCX)), 0);
        assertEquals("51 51 ff 15", io.github.pvpatch.testing.Hex.of(FORM64.encode(odd), 0, 4));
        V64.verifyOriginal(odd, FORM64.encode(odd));
    }

    @Test
    void aCallThroughAnotherSlotIsAMismatch() {
        PatchSite typeOne = FORM32.site(SITE32, 1, SiteKind.CALL, EAX, 0);
        PatchBug bug = original(V32, IRQ, io.github.pvpatch.testing.Hex.of(FORM32.encode(typeOne)));
        assertTrue(bug.getMessage().contains("expected a near indirect call through slot=0xc0400000, found 'call [0xC0400004]' at +2"),
                bug.getMessage());
    }

    @Test
    void aRegisterTheSiteKeepsButDoesNotSaveIsAMismatch() {
        // Saves only ecx; the site keeps edx too, and a C call may destroy it.
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 8, 0, EAX).withCallOffset(1);
        PatchBug bug = original(V32, site, "51 ff 15 " + le32(TABLE32) + " 59");
        assertEquals(ClobberSet.of(Register.EDX), bug.registers());
        assertTrue(bug.getMessage().contains("does not save them"), bug.getMessage());
        // A callee-save slot convention needs no saves at all.
        SiteVerifier thunks = SiteVerifier.of(FORM32.withSlotClobbers(EAX));
        PatchSite bare = PatchSite.of(Isa.X86_32, SITE32, 6, 0, EAX);
        thunks.verifyOriginal(bare, bytes("ff 15 " + le32(TABLE32)));
        original(V32, bare, "ff 15 " + le32(TABLE32));
    }

    @Test
    void aFarJumpThroughTheSlotIsNotTheSitesJump() {
        // 2e ff 2d: jmp far [slot], which reads a segment too; found by SiteVerifierProperties.
        PatchSite jump = PatchSite.of(Isa.X86_32, SITE32, 7, 0, ClobberSet.none()).withKind(SiteKind.JUMP);
        V32.verifyOriginal(jump, bytes("2e ff 25 " + le32(TABLE32)));
        PatchBug bug = original(V32, jump, "2e ff 2d " + le32(TABLE32));
        assertTrue(bug.getMessage().contains("found 'jmp far"), bug.getMessage());
    }

    @Test
    void popsMustMirrorPushes() {
        PatchBug bug = original(V32, IRQ, "51 52 ff 15 " + le32(TABLE32) + " 59 5a");
        assertTrue(bug.getMessage().contains("expected pop edx to mirror the push of it, found 'pop ecx' at +8"),
                bug.getMessage());
        original(V32, PatchSite.of(Isa.X86_32, SITE32, 9, 0, EAX).withCallOffset(2), "51 52 ff 15 " + le32(TABLE32) + " 5a");
    }

    @Test
    void theRecordedCallOffsetMustBeWhereTheCallIs() {
        PatchBug bug = original(V32, IRQ.withCallOffset(0), io.github.pvpatch.testing.Hex.of(FORM32.encode(IRQ)));
        assertTrue(bug.getMessage().contains("the call is at +2, the site records callOffset=0"), bug.getMessage());
    }

    @Test
    void anythingButPaddingAfterTheCallIsAMismatch() {
        PatchSite padded = FORM32.site(SITE32, 0, SiteKind.CALL, EAX, 1);
        PatchBug bug = original(V32, padded, "51 52 ff 15 " + le32(TABLE32) + " 5a 59 cc");
        assertTrue(bug.getMessage().contains("found 'int3' at +10"), bug.getMessage());
        // Every kernel NOP table's entries count as padding.
        for (NopTable t : NopTable.values()) {
            byte[] b = new byte[16];
            System.arraycopy(FORM32.encode(IRQ), 0, b, 0, 10);
            t.fill(b, 10, 6, Isa.X86_32);
            V32.verifyOriginal(PatchSite.of(Isa.X86_32, SITE32, 16, 0, EAX), b);
        }
    }

    @Test
    void bytesThatAreNoInstructionOrRunPastTheEndAreAMismatch() {
        PatchBug cut = original(V64, PatchSite.of(Isa.X86_64, SITE64, 6, 0, ClobberSet.linuxAny(Isa.X86_64)),
                "90 ff 15 00 00 00");
        assertTrue(cut.getMessage().contains("starts no instruction that ends inside the site"), cut.getMessage());
        original(V64, PatchSite.of(Isa.X86_64, SITE64, 6, 0, ClobberSet.linuxAny(Isa.X86_64)), "06 06 06 06 06 06");
    }

    @Test
    void jumpSitesNeedAnIndirectJumpAndStackArgumentSitesMustNotPush() {
        PatchSite jump = PatchSite.of(Isa.X86_64, SITE64, 6, 0, ClobberSet.none()).withKind(SiteKind.JUMP);
        original(V64, jump, "ff 15 " + le32(TABLE64 - (SITE64 + 6)));
        V64.verifyOriginal(jump, bytes("ff 25 " + le32(TABLE64 - (SITE64 + 6))));
        PatchSite args = IRQ.withStackArguments(1);
        PatchBug bug = original(V32, args, io.github.pvpatch.testing.Hex.of(FORM32.encode(IRQ)));
        assertTrue(bug.getMessage().contains("would move its 1 stack argument(s)"), bug.getMessage());
    }

    // ---- after patching ----

    @ParameterizedTest
    @EnumSource(Isa.class)
    void everyBuiltInStrategyPassesInAVerifiedPlan(Isa isa) {
        UnpatchedForm form = isa == Isa.X86_32 ? FORM32 : FORM64;
        long base = isa == Isa.X86_32 ? SITE32 : SITE64;
        ClobberSet kept = ClobberSet.of(Register.RAX);
        // In place is reached when generated saves do not fit but the site's own do: on x86-64,
        // one REX register to save takes 2 pushes (alignment) = 13 bytes; the site saving rcx and r8 is 12.
        ClobberSet inPlace = isa == Isa.X86_64
                ? ClobberSet.callerSaved(isa).minus(ClobberSet.of(Register.RCX, Register.R8)) : kept;
        List<PatchSite> sites = List.of(
                form.site(base, 0, SiteKind.CALL, kept, 0),
                form.site(base + 0x40, 1, SiteKind.CALL, kept, 2),
                form.site(base + 0x80, 2, SiteKind.CALL, ClobberSet.callerSaved(isa), 0),
                form.site(base + 0xc0, 3, SiteKind.CALL, ClobberSet.none(), 0),
                form.site(base + 0x100, 4, SiteKind.JUMP, ClobberSet.none(), 0),
                form.site(base + 0x140, 5, SiteKind.CALL, inPlace, 0));
        byte[] text = new byte[0x180];
        for (PatchSite s : sites) {
            form.encode(s, NopTable.P6, text, (int) (s.address() - base));
        }
        long fn = base + 0x10_0000;
        OpsTable ops = OpsTable.builder()
                .put(0, Op.nativeCode("fa", ClobberSet.none()))
                .put(1, Op.nop())
                .put(2, Op.call(fn, ClobberSet.callerSaved(isa)))
                .put(3, Op.call(fn, ClobberSet.callerSaved(isa)))       // saves all of them
                .put(4, Op.jump(fn + 0x40))
                .put(5, Op.call(fn, isa == Isa.X86_64 ? ClobberSet.of(Register.R8) : ClobberSet.of(Register.RAX,
                        Register.RCX)))
                .build();
        SiteVerifier v = SiteVerifier.of(form);
        PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(text, base), sites, ops, PatchOptions.defaults().withCheck(v));
        v.verify(plan);
        plan.apply();
        java.util.Set<Strategy> want = java.util.EnumSet.of(Strategy.INLINE_NATIVE, Strategy.NOP_PAD,
                Strategy.DIRECT_CALL, Strategy.DIRECT_CALL_WITH_SAVES, Strategy.DIRECT_JUMP);
        if (isa == Isa.X86_64) {
            want.add(Strategy.DIRECT_CALL_IN_PLACE);
        }
        assertEquals(want, plan.countByStrategy().keySet());
    }

    @Test
    void aCallThatMissesItsTargetByOneIsCaught() {
        PatchSite site = FORM64.site(SITE64, 0, SiteKind.CALL, ClobberSet.linuxAny(Isa.X86_64), 0);
        long target = SITE64 + 0x1000;
        Op call = Op.call(target, ClobberSet.callerSaved(Isa.X86_64));
        V64.verifyPatched(site, call, Strategy.DIRECT_CALL, FORM64.encode(site),
                bytes("e8 " + le32(target - (SITE64 + 5)) + " 90"));
        PatchBug bug = output(V64, site, call, Strategy.DIRECT_CALL, "e8 " + le32(target + 1 - (SITE64 + 5)) + " 90");
        assertTrue(bug.getMessage().contains("the call lands on 0xffffffff81001001, the op's target is 0xffffffff81001000"),
                bug.getMessage());
        output(V64, site, call, Strategy.DIRECT_CALL, "e9 " + le32(target - (SITE64 + 5)) + " 90");
        output(V64, site, call, Strategy.DIRECT_CALL, "e8 " + le32(target - (SITE64 + 5)) + " cc");
    }

    @Test
    void aDirectCallToATargetThatDestroysKeptRegistersIsCaught() {
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 6, 0, EAX);
        Op call = Op.call(SITE32 + 0x100, ClobberSet.callerSaved(Isa.X86_32));
        PatchBug bug = output(V32, site, call, Strategy.DIRECT_CALL, "e8 " + le32(0x100 - 5) + " 90");
        assertEquals(ClobberSet.of(Register.ECX, Register.EDX), bug.registers());
    }

    @Test
    void savesMustBeMirroredCoverTheTargetAndKeepX8664Alignment() {
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 10, 0, EAX);
        Op call = Op.call(SITE32 + 0x100, ClobberSet.callerSaved(Isa.X86_32));
        String callAt2 = "e8 " + le32(0x100 - 7);
        V32.verifyPatched(site, call, Strategy.DIRECT_CALL_WITH_SAVES, FORM32.encode(IRQ), bytes("51 52 " + callAt2 + " 5a 59 90"));
        output(V32, site, call, Strategy.DIRECT_CALL_WITH_SAVES, "51 52 " + callAt2 + " 59 5a 90");   // not mirrored
        PatchBug skipped = output(V32, site, call, Strategy.DIRECT_CALL_WITH_SAVES,
                "51 90 " + callAt2 + " 90 59 90");
        assertTrue(skipped.getMessage().contains("expected call rel32"), skipped.getMessage());
        PatchBug uncovered = output(V32, site, call, Strategy.DIRECT_CALL_WITH_SAVES,
                "51 " + "e8 " + le32(0x100 - 6) + " 59 0f 1f 00");
        assertEquals(ClobberSet.of(Register.EDX), uncovered.registers());
        // x86-64: one push misaligns the stack at the call.
        PatchSite s64 = PatchSite.of(Isa.X86_64, SITE64, 8, 0,
                ClobberSet.callerSaved(Isa.X86_64).minus(ClobberSet.of(Register.RCX)));
        Op c64 = Op.call(SITE64 + 0x100, ClobberSet.callerSaved(Isa.X86_64));
        PatchBug odd = output(V64, s64, c64, Strategy.DIRECT_CALL_WITH_SAVES, "51 e8 " + le32(0x100 - 6) + " 59 90");
        assertTrue(odd.getMessage().contains("1 pushes leave the x86-64 stack misaligned"), odd.getMessage());
    }

    @Test
    void nativeCodeThatLiesAboutItsClobbersIsCaught() {
        // "cli" declared clean but really "xor ecx, ecx; cli": the core trusts the declaration, the decoder does not.
        PatchSite site = IRQ;
        Op liar = Op.nativeCode("31 c9 fa", ClobberSet.none());
        PatchBug bug = assertThrows(PatchBug.class, () -> PatchPlan.of(CodeBuffer.wrap(FORM32.encode(site), SITE32),
                List.of(site), OpsTable.builder().put(0, liar).build(), PatchOptions.defaults().withCheck(V32)));
        assertEquals(Violation.OUTPUT_MISMATCH, bug.violation());
        assertEquals(ClobberSet.of(Register.ECX), bug.registers());
        // Without the check the same plan goes through: this is what the verifier adds.
        PatchPlan.of(CodeBuffer.wrap(FORM32.encode(site), SITE32), List.of(site), OpsTable.builder().put(0, liar).build());
    }

    @Test
    void nativeCodeMustEndOnAnInstructionBoundaryAndBeFollowedOnlyByPadding() {
        // A lone 0x66 prefix swallows the first NOP: the site's first instruction is no longer the native code.
        Op prefix = Op.nativeCode("fa 66", ClobberSet.none());
        PatchBug bug = output(V32, IRQ, prefix, Strategy.INLINE_NATIVE, "fa 66 0f 1f 84 00 00 00 00 00");
        assertTrue(bug.getMessage().contains("straddles +2"), bug.getMessage());
        output(V32, IRQ, Op.nativeCode("fa", ClobberSet.none()), Strategy.INLINE_NATIVE, "fa cc 0f 1f 80 00 00 00 00 90");
        output(V32, IRQ, Op.nativeCode("fa", ClobberSet.none()), Strategy.INLINE_NATIVE, "fb 0f 1f 84 00 00 00 00 00 90");
    }

    @Test
    void relocatedNativeCodeMustReachWhatItReachedWhereItLives() {
        long source = SITE64 + 0x80_0000;
        PatchSite site = FORM64.site(SITE64, 0, SiteKind.CALL, ClobberSet.linuxAny(Isa.X86_64), 1);
        Op.Native read = Op.nativeCodeAt(source, bytes("48 8b 05 00 01 00 00"), ClobberSet.of(Register.RAX),
                List.of(Relocation.of(3, 4, 7)));
        String right = "48 8b 05 " + le32(source + 0x100 - SITE64);
        V64.verifyPatched(site, read, Strategy.INLINE_NATIVE, FORM64.encode(site), bytes(right));
        PatchBug bug = output(V64, site, read, Strategy.INLINE_NATIVE, "48 8b 05 00 01 00 00");
        assertTrue(bug.getMessage().contains("the native code reaches 0xffffffff81800107"), bug.getMessage());
        // Position-dependent code with no source address cannot be checked, so it is refused.
        Op.Native noSource = Op.nativeCode("48 8b 05 00 01 00 00", ClobberSet.of(Register.RAX));
        PatchBug unknown = output(V64, site, noSource, Strategy.INLINE_NATIVE, "48 8b 05 00 01 00 00");
        assertTrue(unknown.getMessage().contains("has no source address"), unknown.getMessage());
        // An internal branch moves with the code.
        Op.Native loop = Op.nativeCodeAt(source, bytes("eb fe"), ClobberSet.none(), List.of(Relocation.of(1, 1, 2)));
        V64.verifyPatched(site, loop, Strategy.INLINE_NATIVE, FORM64.encode(site), bytes("eb fe 0f 1f 44 00 00"));
    }

    @Test
    void strategiesMustMatchTheirOpsAndUnpatchedSitesMustBeUnchanged() {
        byte[] irq = FORM32.encode(IRQ);
        output(V32, IRQ, Op.nop(), Strategy.DIRECT_CALL, io.github.pvpatch.testing.Hex.of(irq));
        output(V32, IRQ, Op.call(0, ClobberSet.none()), Strategy.NOP_PAD, "0f 1f 84 00 00 00 00 00 66 90");
        output(V32, IRQ, Op.nop(), Strategy.NOP_PAD, "0f 1f 84 00 00 00 00 00 cc 90");
        assertThrows(IllegalArgumentException.class,
                () -> V32.verifyPatched(IRQ, Op.nop(), Strategy.NOP_PAD, irq, new byte[3]));
        assertThrows(IllegalArgumentException.class, () -> V32.verifyOriginal(IRQ, new byte[11]));
    }

    @Test
    void aSiteLeftUnpatchedMustKeepItsBytes() {
        // A lenient pass leaves the site as it is (no op for it); its journal's plan then reports
        // the bytes the code holds, which are changed behind the pass's back.
        byte[] text = FORM32.encode(IRQ);
        CodeBuffer code = CodeBuffer.wrap(text, SITE32);
        PatchPass pass = PatchPass.of(PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT));
        SiteTable table = SiteTable.of(Isa.X86_32, List.of(IRQ));
        assertEquals(0, pass.apply(code, table, OpsTable.empty()));
        V32.verify(pass.journal().plan());
        assertEquals(0, pass.apply(code, table, OpsTable.empty()));
        text[9] ^= 1;
        PatchPlan plan = pass.journal().plan();
        assertInstanceOf(SiteOutcome.LeftUnpatched.class, plan.outcome(0));
        PatchBug bug = assertThrows(PatchBug.class, () -> V32.verify(plan));
        assertEquals(Violation.OUTPUT_MISMATCH, bug.violation());
        assertTrue(bug.getMessage().contains("a site left unpatched has new bytes"), bug.getMessage());
    }

    @Test
    void aLyingCustomPatcherIsStoppedBeforeAnythingIsWritten() {
        // Claims a direct call but writes the call one byte short of its target.
        Patcher offByOne = (site, op, out) -> {
            out.putCall(((Op.Call) op).target() - 1);
            return Strategy.DIRECT_CALL;
        };
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 6, 0, ClobberSet.linuxAny(Isa.X86_32));
        byte[] text = FORM32.encode(site);
        byte[] before = text.clone();
        OpsTable ops = OpsTable.builder().put(0, Op.call(SITE32 + 0x40, ClobberSet.callerSaved(Isa.X86_32))).build();
        PatchOptions checked = PatchOptions.defaults().withPatcher(offByOne).withCheck(V32);
        PatchBug bug = assertThrows(PatchBug.class, () -> PatchPlan.of(CodeBuffer.wrap(text, SITE32), List.of(site), ops,
                checked));
        assertEquals(Violation.OUTPUT_MISMATCH, bug.violation());
        assertArrayEquals(before, text);
        // Lenient: the site is left as it was, and the plan says why.
        PatchPlan lenient = PatchPlan.of(CodeBuffer.wrap(text, SITE32), List.of(site), ops,
                checked.withMode(PatchOptions.Mode.LENIENT));
        assertEquals(Violation.OUTPUT_MISMATCH,
                assertInstanceOf(SiteOutcome.LeftUnpatched.class, lenient.outcome(0)).reason().violation());
        V32.verify(lenient);
        assertTrue(checked.check().isPresent());
        assertTrue(checked.withoutCheck().check().isEmpty());
        assertTrue(checked.toString().contains("check=SiteVerifier"), checked.toString());
    }

    @Test
    void perSiteFormsServeKernelsThatMixCalleeSaveAndPlainSites() {
        SiteVerifier v = SiteVerifier.perSite(s -> s.clobbers().equals(ClobberSet.of(Register.RAX))
                ? FORM64.withSlotClobbers(ClobberSet.of(Register.RAX)) : FORM64);
        PatchSite calleeSave = PatchSite.of(Isa.X86_64, SITE64, 6, 0, ClobberSet.of(Register.RAX));
        v.verifyOriginal(calleeSave, bytes("ff 15 " + le32(TABLE64 - (SITE64 + 6))));
        assertThrows(PatchBug.class, () -> V64.verifyOriginal(calleeSave, bytes("ff 15 " + le32(TABLE64 - (SITE64 + 6)))));
        assertThrows(IllegalArgumentException.class, () -> SiteVerifier.perSite(s -> FORM32)
                .verifyOriginal(calleeSave, bytes("ff 15 " + le32(TABLE64 - (SITE64 + 6)))));
    }
}
