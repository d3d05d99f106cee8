package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import static io.github.pvpatch.testing.Hex.bytes;
import static io.github.pvpatch.testing.Hex.le32;
import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.x86.IndirectForm;
import io.github.pvpatch.x86.NopTable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Exact bytes for every strategy on both ISAs. Each case: the site's unpatched bytes, the op, and
 * the bytes expected after patching, with the disassembly in a comment.
 */
class PatcherTest {
    private static final long TABLE32 = 0xc0400000L;
    private static final long SITE32 = 0xc1000000L;
    private static final long TABLE64 = 0xffffffff82000000L;
    private static final long SITE64 = 0xffffffff81000000L;
    private static final ClobberSet EAX = ClobberSet.of(Register.EAX);
    private static final ClobberSet ANY32 = ClobberSet.linuxAny(Isa.X86_32);
    private static final ClobberSet ANY64 = ClobberSet.linuxAny(Isa.X86_64);
    private static final ClobberSet CALL32 = ClobberSet.callerSaved(Isa.X86_32);
    private static final ClobberSet CALL64 = ClobberSet.callerSaved(Isa.X86_64);

    /** Builds the site's unpatched bytes at its address, patches it alone, returns the plan. */
    static PatchPlan patchOne(PatchSite site, long table, Op op, PatchOptions options) {
        UnpatchedForm form = UnpatchedForm.of(site.isa(), table);
        byte[] text = form.encode(site);
        CodeBuffer code = CodeBuffer.wrap(text, site.address());
        PatchPlan plan = PatchPlan.of(code, List.of(site), OpsTable.builder().put(site.type(), op).build(), options);
        plan.apply();
        assertEquals(of(plan.patchedBytes(0)), of(text), "apply writes what the plan says");
        return plan;
    }

    static String patched(PatchSite site, long table, Op op) {
        return of(patchOne(site, table, op, PatchOptions.defaults()).patchedBytes(0));
    }

    static PatchBug bug(PatchSite site, byte[] text, Op op, Patcher patcher) {
        byte[] before = text.clone();
        CodeBuffer code = CodeBuffer.wrap(text, site.address());
        PatchBug bug = assertThrows(PatchBug.class, () -> PatchPlan.of(code, List.of(site),
                OpsTable.builder().put(site.type(), op).build(), PatchOptions.defaults().withPatcher(patcher)));
        assertEquals(of(before), of(text), "a refused site leaves the code unchanged");
        assertEquals(site, bug.site());
        assertTrue(bug.getMessage().startsWith("violation=" + bug.violation() + " " + site), bug.getMessage());
        return bug;
    }

    static PatchBug bug(PatchSite site, long table, Op op) {
        return bug(site, UnpatchedForm.of(site.isa(), table).encode(site), op, Patcher.standard());
    }

    // ---- i386 -----------------------------------------------------------------------------------

    @Test
    void i386IrqDisableSiteOf2621BecomesCliAndNops() {
        // 2.6.21 irq_disable: push ecx; push edx; call *0xc040001c; pop edx; pop ecx (10 bytes, CLBR_EAX)
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 10, 7, EAX).withCallOffset(2);
        assertEquals("51 52 ff 15 1c 00 40 c0 5a 59", of(UnpatchedForm.of(Isa.X86_32, TABLE32).encode(site)));
        // cli; nopl 0x0(%eax,%eax,1); nop
        assertEquals("fa 0f 1f 84 00 00 00 00 00 90", patched(site, TABLE32, Op.nativeCode("fa", ClobberSet.none())));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "P6,      fa | 0f 1f 84 00 00 00 00 00 | 90",
        "K8,      fa | 66 66 66 90 | 66 66 66 90 | 90",
        "K7,      fa | 8d 04 05 00 00 00 00 | 90 | 90",
        "GENERIC, fa | 90 | 8d b4 26 00 00 00 00 | 90",
    })
    void paddingUsesTheChosenNopTable(NopTable nops, String expected) {
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 10, 7, EAX);
        PatchPlan plan = patchOne(site, TABLE32, Op.nativeCode("fa", ClobberSet.none()),
                PatchOptions.defaults().withNops(nops));
        assertEquals(of(bytes(expected)), of(plan.patchedBytes(0)));
    }

    @Test
    void i386DirectCallThatNeedsNoSaves() {
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 6, 3, ANY32);
        long target = 0xc1100000L;
        // call target; nop
        assertEquals("e8 " + le32(target - (SITE32 + 5)) + " 90", patched(site, TABLE32, Op.call(target, CALL32, true)));
    }

    @Test
    void i386DirectCallWithTheSavesTheSiteLacks() {
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 10, 7, EAX);
        long target = 0xc1100000L;
        PatchPlan plan = patchOne(site, TABLE32, Op.call(target, CALL32, true), PatchOptions.defaults());
        // push ecx; push edx; call target; pop edx; pop ecx; nop
        assertEquals("51 52 e8 " + le32(target - (SITE32 + 2 + 5)) + " 5a 59 90", of(plan.patchedBytes(0)));
        assertEquals(SiteOutcome.patched(Strategy.DIRECT_CALL_WITH_SAVES), plan.outcome(0));
    }

    @Test
    void i386DirectCallWhoseClobbersFitIsNakedAndPadded() {
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 10, 7, EAX);
        long target = 0xc0001000L;
        // call target; nopl 0x0(%eax,%eax,1)
        assertEquals("e8 " + le32(target - (SITE32 + 5)) + " 0f 1f 44 00 00", patched(site, TABLE32, Op.call(target, EAX, true)));
    }

    @Test
    void i386TargetsWrapAroundTheAddressSpace() {
        PatchSite site = PatchSite.of(Isa.X86_32, 0xFFFF_FF00L, 6, 0, ANY32);
        assertEquals("e8 fb 01 00 00 90", patched(site, TABLE32, Op.call(0x100, CALL32)));
    }

    @Test
    void i386AssemblySiteWithEveryRegisterSaved() {
        // DISABLE_INTERRUPTS(CLBR_NONE): push eax; push ecx; push edx; call *%cs:slot; pop edx; pop ecx; pop eax
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_32, TABLE32)
                .withForms(IndirectForm.CALL_CS_ABS32, IndirectForm.JMP_CS_ABS32);
        PatchSite site = form.site(SITE32, 2, SiteKind.CALL, ClobberSet.none(), 0);
        byte[] text = form.encode(site);
        assertEquals("50 51 52 2e ff 15 08 00 40 c0 5a 59 58", of(text));
        PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(text, SITE32), List.of(site),
                OpsTable.builder().put(2, Op.call(0xc1200000L, CALL32)).build());
        // push eax; push ecx; push edx; call; pop edx; pop ecx; pop eax; nop nop
        assertEquals("50 51 52 e8 " + le32(0xc1200000L - (SITE32 + 8)) + " 5a 59 58 66 90", of(plan.patchedBytes(0)));
    }

    // ---- x86-64 ---------------------------------------------------------------------------------

    @Test
    void x86_64PlainSiteBecomesADirectCall() {
        // KERNEL-FACTS worked example 2: FF 15 disp32 -> E8 rel32 90
        PatchSite site = PatchSite.of(Isa.X86_64, SITE64, 6, 4, ANY64);
        assertEquals("ff 15 " + le32(TABLE64 + 32 - (SITE64 + 6)), of(UnpatchedForm.of(Isa.X86_64, TABLE64).encode(site)));
        long target = 0xffffffff81234560L;
        assertEquals("e8 " + le32(target - (SITE64 + 5)) + " 90", patched(site, TABLE64, Op.call(target, CALL64)));
    }

    @Test
    void x86_64NopOpAndIdentity() {
        PatchSite site = PatchSite.of(Isa.X86_64, SITE64, 6, 4, ANY64);
        assertEquals("66 0f 1f 44 00 00", patched(site, TABLE64, Op.nop()));          // nopw 0x0(%rax,%rax,1)
        assertEquals("48 89 f8 0f 1f 00", patched(site, TABLE64, Op.nativeCode("48 89 f8", EAX))); // mov %rdi,%rax; nopl (%rax)
    }

    @Test
    void x86_64CalleeSaveSitesAreBareCallsThatTakeOnlyCalleeSaveTargets() {
        // Debian 6.1: FF 15 disp32, len 6, clobbers 0x1; the slot holds a callee-save thunk.
        UnpatchedForm thunks = UnpatchedForm.of(Isa.X86_64, TABLE64).withSlotClobbers(EAX);
        PatchSite site = thunks.site(SITE64, 5, SiteKind.CALL, ClobberSet.fromLinuxMask(0x1, Isa.X86_64), 0);
        assertEquals(6, site.length());
        byte[] text = thunks.encode(site);
        assertEquals("ff 15 " + le32(TABLE64 + 40 - (SITE64 + 6)), of(text));
        long thunk = SITE64 + 0x4000;
        PatchPlan ok = PatchPlan.of(CodeBuffer.wrap(text.clone(), SITE64), List.of(site),
                OpsTable.builder().put(5, Op.call(thunk, EAX, true)).build());
        assertEquals("e8 " + le32(thunk - (SITE64 + 5)) + " 90", of(ok.patchedBytes(0)));
        // A plain C function in that slot would need every caller-saved register saved: no room.
        PatchBug b = bug(site, text, Op.call(thunk, CALL64, true), Patcher.standard());
        assertEquals(Violation.SAVES_DO_NOT_FIT, b.violation());
        assertEquals(29, b.needed());
    }

    @Test
    void x86_64LongPaddingUsesTheElevenByteNop() {
        PatchSite site = PatchSite.of(Isa.X86_64, SITE64, 20, 0, ANY64);
        byte[] out = bytes(patched(site, TABLE64, Op.nativeCode("fa", ClobberSet.none())));
        assertEquals("fa 66 66 66 0f 1f 84 00 00 00 00 00 0f 1f 84 00 00 00 00 00", of(out));
    }

    @Test
    void x86_64CalleeSaveSiteGetsEveryCallerSavedRegisterSaved() {
        // A site that keeps everything but rax calling a plain C function: the thunk's saves, inline.
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_64, TABLE64);
        PatchSite site = form.site(SITE64, 1, SiteKind.CALL, EAX, 0);
        assertEquals(30, site.length());
        long target = SITE64 + 0x1000;
        PatchPlan plan = patchOne(site, TABLE64, Op.call(target, CALL64, true), PatchOptions.defaults());
        assertEquals("51 52 56 57 41 50 41 51 41 52 41 53 e8 " + le32(target - (SITE64 + 12 + 5))
                + " 41 5b 41 5a 41 59 41 58 5f 5e 5a 59 90", of(plan.patchedBytes(0)));
    }

    @Test
    void x86_64OddSavesKeepTheStackAligned() {
        PatchSite site = PatchSite.of(Isa.X86_64, SITE64, 12, 1, CALL64.minus(ClobberSet.of(Register.RCX)));
        long target = SITE64 - 0x5000;
        // push rcx; push rcx; call; pop rcx; pop rcx; nopw
        assertEquals("51 51 e8 " + le32(target - (SITE64 + 2 + 5)) + " 59 59 0f 1f 00",
                patched(site, TABLE64, Op.call(target, CALL64)));
    }

    @Test
    void x86_64InPlaceConversionKeepsTheSitesOwnSavesWhenGeneratedOnesDoNotFit() {
        // Site saves rcx and r8 (3 bytes of pushes); the target clobbers r8 (and rax). Generating
        // saves of r8 alone needs push r8 twice for alignment: 4 + 5 + 4 = 13 > 12.
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_64, TABLE64);
        ClobberSet clobbers = CALL64.minus(ClobberSet.of(Register.RCX, Register.R8));
        PatchSite site = form.site(SITE64, 2, SiteKind.CALL, clobbers, 0);
        assertEquals(12, site.length());
        assertEquals("51 41 50 ff 15 " + le32(TABLE64 + 16 - (SITE64 + 9)) + " 41 58 59", of(form.encode(site)));
        long target = SITE64 + 0x20;
        Op op = Op.call(target, ClobberSet.of(Register.RAX, Register.R8), true);
        PatchPlan plan = patchOne(site, TABLE64, op, PatchOptions.defaults());
        assertEquals(SiteOutcome.patched(Strategy.DIRECT_CALL_IN_PLACE), plan.outcome(0));
        assertEquals("51 41 50 e8 " + le32(target - (SITE64 + 3 + 5)) + " 90 41 58 59", of(plan.patchedBytes(0)));

        // Without the recorded call offset the patcher cannot know the saves are there.
        PatchBug b = bug(site.withoutCallOffset(), form.encode(site), op, Patcher.standard());
        assertEquals(Violation.SAVES_DO_NOT_FIT, b.violation());
        assertEquals(13, b.needed());
        assertEquals(12, b.available());
        assertEquals(ClobberSet.of(Register.R8), b.registers());
        assertTrue(b.getMessage().contains("needed=13 available=12 registers=[r8]"), b.getMessage());
    }

    @Test
    void inPlaceConversionIsIdempotentOnItsOwnOutput() {
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_64, TABLE64);
        PatchSite site = form.site(SITE64, 2, SiteKind.CALL, CALL64.minus(ClobberSet.of(Register.RCX, Register.R8)), 0);
        byte[] text = form.encode(site);
        CodeBuffer code = CodeBuffer.wrap(text, SITE64);
        OpsTable ops = OpsTable.builder().put(2, Op.call(SITE64 + 0x20, ClobberSet.of(Register.R8))).build();
        PatchPlan.of(code, List.of(site), ops).apply();
        String once = of(text);
        PatchPlan again = PatchPlan.of(code, List.of(site), ops);
        assertEquals(SiteOutcome.patched(Strategy.DIRECT_CALL_IN_PLACE), again.outcome(0));
        again.apply();
        assertEquals(once, of(text));
    }

    @Test
    void inPlaceConversionChecksTheBytesAtTheCallOffset() {
        PatchSite site = PatchSite.of(Isa.X86_64, SITE64, 12, 2, CALL64.minus(ClobberSet.of(Register.RCX, Register.R8)))
                .withCallOffset(2);
        byte[] text = bytes("51 41 50 ff 15 00 00 00 00 41 58 59");   // the call is at 3, not 2
        PatchBug b = bug(site, text, Op.call(SITE64, ClobberSet.of(Register.R8)), Patcher.standard());
        assertEquals(Violation.ORIGINAL_MISMATCH, b.violation());
        assertTrue(b.getMessage().contains("no indirect call at callOffset=2 (byte there: 0x50)"), b.getMessage());
    }

    @Test
    void inPlaceConversionRefusesTargetsThatClobberMoreThanACCall() {
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_64, TABLE64);
        PatchSite site = form.site(SITE64, 2, SiteKind.CALL, CALL64.minus(ClobberSet.of(Register.RCX, Register.R8)), 0);
        ClobberSet beyondC = ClobberSet.of(Register.R8, Register.RBX, Register.R12);
        PatchBug b = bug(site, TABLE64, Op.call(SITE64, beyondC));
        assertEquals(Violation.SAVES_DO_NOT_FIT, b.violation());
        assertEquals(beyondC, b.registers());
    }

    @Test
    void inPlaceConversionTrustsOnlyACleanPushPopBracket() {
        ClobberSet clobbers = CALL64.minus(ClobberSet.of(Register.RCX, Register.R8));
        PatchSite site = PatchSite.of(Isa.X86_64, SITE64, 12, 2, clobbers).withCallOffset(3);
        Op op = Op.call(SITE64 + 0x20, ClobberSet.of(Register.RAX, Register.R8));
        // pops not in mirror order
        assertEquals(Violation.SAVES_DO_NOT_FIT,
                bug(site, bytes("51 41 50 ff 15 00 00 00 00 59 41 58"), op, Patcher.standard()).violation());
        // something other than pushes before the call
        assertEquals(Violation.SAVES_DO_NOT_FIT,
                bug(site, bytes("51 90 50 ff 15 00 00 00 00 58 59 90"), op, Patcher.standard()).violation());
        // the bracket saves rcx but not r8
        PatchSite shifted = site.withCallOffset(1);
        assertEquals(Violation.SAVES_DO_NOT_FIT,
                bug(shifted, bytes("51 ff 15 00 00 00 00 59 66 0f 1f 00"), op, Patcher.standard()).violation());
        // a missing pop after the call
        assertEquals(Violation.SAVES_DO_NOT_FIT,
                bug(PatchSite.of(Isa.X86_64, SITE64, 9, 2, CALL64.minus(ClobberSet.of(Register.R8))).withCallOffset(2),
                        bytes("41 50 ff 15 00 00 00 00 41"), op, Patcher.standard()).violation());
        // a direct call left by a pass whose NOP padding is not the table's
        assertEquals(Violation.ORIGINAL_MISMATCH,
                bug(site, bytes("51 41 50 e8 00 00 00 00 cc 41 58 59"), op, Patcher.standard()).violation());
    }

    @Test
    void inPlaceConversionOfA32BitKernelAssemblySiteThatAlsoSavesEdi() {
        // unified-x86 PV_SAVE_REGS(CLBR_NONE) on i386: eax, edi, ecx, edx pushed around a 7-byte call.
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 15, 0, ClobberSet.none()).withCallOffset(4);
        byte[] text = bytes("50 57 51 52 2e ff 15 00 00 40 c0 5a 59 5f 58");
        // The target clobbers edi too and ebx: generated saves need 5+5+5 = 15 bytes, which fit...
        Op fits = Op.call(0xc1200000L, ANY32.union(ClobberSet.of(Register.EBX)));
        PatchPlan a = PatchPlan.of(CodeBuffer.wrap(text.clone(), SITE32), List.of(site), OpsTable.builder().put(0, fits).build());
        assertEquals(SiteOutcome.patched(Strategy.DIRECT_CALL_WITH_SAVES), a.outcome(0));
        // ...while with a stack argument only the site's own bracket can serve, and it covers ANY32.
        PatchSite stack = site.withStackArguments(1);
        PatchPlan b = PatchPlan.of(CodeBuffer.wrap(text.clone(), SITE32), List.of(stack),
                OpsTable.builder().put(0, Op.call(0xc1200000L, ANY32)).build());
        assertEquals(SiteOutcome.patched(Strategy.DIRECT_CALL_IN_PLACE), b.outcome(0));
        assertEquals("50 57 51 52 e8 " + le32(0xc1200000L - (SITE32 + 9)) + " 66 90 5a 59 5f 58", of(b.patchedBytes(0)));
    }

    @Test
    void jumpSitesBecomeDirectJumps() {
        PatchSite site = PatchSite.of(Isa.X86_64, SITE64, 6, 9, ClobberSet.none()).withKind(SiteKind.JUMP);
        assertEquals("ff 25 " + le32(TABLE64 + 72 - (SITE64 + 6)), of(UnpatchedForm.of(Isa.X86_64, TABLE64).encode(site)));
        long target = 0xffffffff81c00000L;
        assertEquals("e9 " + le32(target - (SITE64 + 5)) + " 90", patched(site, TABLE64, Op.jump(target)));
        // iret inline at an i386 jump site
        PatchSite iret = PatchSite.of(Isa.X86_32, SITE32, 7, 1, ClobberSet.none()).withKind(SiteKind.JUMP);
        UnpatchedForm cs = UnpatchedForm.of(Isa.X86_32, TABLE32).withForms(IndirectForm.CALL_CS_ABS32, IndirectForm.JMP_CS_ABS32);
        byte[] text = cs.encode(iret);
        assertEquals("2e ff 25 04 00 40 c0", of(text));
        PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(text, SITE32), List.of(iret),
                OpsTable.builder().put(1, Op.nativeCode("cf", ClobberSet.none())).build());
        assertEquals("cf 66 0f 1f 44 00 00", of(plan.patchedBytes(0)));
    }

    // ---- every rule, broken on purpose ------------------------------------------------------------

    @Test
    void siteShorterThanAnIndirectCall() {
        // "an attempt to place native cli inline with no padding ... would fire this BUG"
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 5, 0, ClobberSet.none());
        PatchBug b = bug(site, new byte[5], Op.nativeCode("fa", ClobberSet.none()), Patcher.standard());
        assertEquals(Violation.SITE_TOO_SHORT, b.violation());
        assertEquals(6, b.needed());
        assertEquals(5, b.available());
    }

    @Test
    void nativeCodeLongerThanTheSite() {
        PatchSite site = PatchSite.of(Isa.X86_64, SITE64, 6, 0, ANY64);
        PatchBug b = bug(site, TABLE64, Op.nativeCode("0f 01 f8 48 0f 07 90", ClobberSet.none()));
        assertEquals(Violation.CODE_TOO_LONG, b.violation());
        assertEquals(7, b.needed());
        assertEquals(6, b.available());
    }

    @Test
    void nativeCodeThatClobbersAKeptRegister() {
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 13, 0, ClobberSet.none());
        PatchBug b = bug(site, TABLE32, Op.nativeCode("9c 58", EAX));   // pushf; pop %eax
        assertEquals(Violation.NATIVE_CLOBBERS_KEPT_REGISTER, b.violation());
        assertEquals(EAX, b.registers());
        assertEquals(1, b.needed());
        assertEquals(0, b.available());
        assertTrue(b.getMessage().contains("registers=[eax]"), b.getMessage());
    }

    @Test
    void savesThatDoNotFit() {
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 6, 0, EAX);
        byte[] text = bytes("ff 15 00 00 40 c0");
        PatchBug b = bug(site, text, Op.call(0xc1100000L, CALL32), Patcher.standard());
        assertEquals(Violation.SAVES_DO_NOT_FIT, b.violation());
        assertEquals("violation=SAVES_DO_NOT_FIT site=0xc1000000 len=6 type=0 clobbers=[eax] needed=9 available=6"
                + " registers=[ecx,edx]: direct call needs saves of registers the site keeps", b.getMessage());
    }

    @Test
    void savesThatWouldMoveStackArguments() {
        // 2.6.21: a 4th argument is pushed outside the site; a push inside would move it.
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 12, 0, EAX).withStackArguments(1);
        byte[] text = bytes("ff 15 00 00 40 c0 66 0f 1f 44 00 00");
        PatchBug b = bug(site, text, Op.call(0xc1100000L, CALL32), Patcher.standard());
        assertEquals(Violation.SAVES_WITH_STACK_ARGUMENTS, b.violation());
        assertEquals(2, b.needed());
        assertEquals(0, b.available());
        assertEquals(ClobberSet.of(Register.ECX, Register.EDX), b.registers());
        // A target within the site's clobbers needs no push: fine with stack arguments.
        PatchPlan ok = PatchPlan.of(CodeBuffer.wrap(text.clone(), SITE32), List.of(site),
                OpsTable.builder().put(0, Op.call(0xc1100000L, EAX)).build());
        assertEquals(SiteOutcome.patched(Strategy.DIRECT_CALL), ok.outcome(0));
    }

    @Test
    void x86_64StackArgumentsCountTheAlignmentPush() {
        PatchSite site = PatchSite.of(Isa.X86_64, SITE64, 16, 0, CALL64.minus(ClobberSet.of(Register.RCX)))
                .withStackArguments(2);
        PatchBug b = bug(site, new byte[16], Op.call(SITE64, CALL64), Patcher.standard());
        assertEquals(Violation.SAVES_WITH_STACK_ARGUMENTS, b.violation());
        assertEquals(2, b.needed());
        assertTrue(b.getMessage().contains("push over 2 stack argument(s)"), b.getMessage());
    }

    @Test
    void targetsOutOfRel32Reach() {
        PatchSite site = PatchSite.of(Isa.X86_64, 0x1000, 6, 0, ANY64);
        byte[] text = new byte[6];
        long far = 0x1005L + Integer.MAX_VALUE + 1L;
        PatchBug b = bug(site, text, Op.call(far, CALL64), Patcher.standard());
        assertEquals(Violation.TARGET_OUT_OF_REACH, b.violation());
        assertEquals(far - 0x1005L, b.needed());
        assertEquals(Integer.MAX_VALUE, b.available());
        PatchBug back = bug(site.withKind(SiteKind.JUMP), text, Op.jump(0x1005L + Integer.MIN_VALUE - 1L), Patcher.standard());
        assertEquals(Violation.TARGET_OUT_OF_REACH, back.violation());
        assertEquals(Integer.MIN_VALUE, back.available());
        PatchBug i386 = bug(PatchSite.of(Isa.X86_32, 0x1000, 6, 0, ANY32), text, Op.call(0x1_0000_0000L, CALL32),
                Patcher.standard());
        assertEquals(Violation.TARGET_OUT_OF_REACH, i386.violation());
    }

    @Test
    void opMissingFromTheTable() {
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 6, 3, ANY32);
        byte[] text = new byte[6];
        PatchBug b = assertThrows(PatchBug.class,
                () -> PatchPlan.of(CodeBuffer.wrap(text, SITE32), List.of(site), OpsTable.empty()));
        assertEquals(Violation.OP_MISSING, b.violation());
        assertEquals(3, b.needed());
        assertTrue(b.getMessage().contains("no op for type=3"), b.getMessage());
    }

    @Test
    void opsOfTheWrongKind() {
        PatchSite call = PatchSite.of(Isa.X86_64, SITE64, 6, 0, ANY64);
        PatchSite jump = call.withKind(SiteKind.JUMP);
        byte[] t = new byte[6];
        assertEquals(Violation.OP_KIND_MISMATCH, bug(call, t, Op.jump(SITE64), Patcher.standard()).violation());
        assertEquals(Violation.OP_KIND_MISMATCH, bug(jump, t, Op.call(SITE64, CALL64), Patcher.standard()).violation());
        assertEquals(Violation.OP_KIND_MISMATCH, bug(jump, t, Op.nop(), Patcher.standard()).violation());
        assertEquals(Violation.OP_KIND_MISMATCH, bug(call, t, Op.call(SITE64, CALL64), Patcher.nopPad()).violation());
        assertEquals(Violation.OP_KIND_MISMATCH, bug(call, t, Op.nop(), Patcher.inlineNative()).violation());
        assertEquals(Violation.OP_KIND_MISMATCH,
                bug(call, t, Op.nativeCode("fa", ClobberSet.none()), Patcher.directBranch()).violation());
        PatchSite i386 = PatchSite.of(Isa.X86_32, SITE32, 6, 0, ANY32);
        PatchBug r8 = bug(i386, t, Op.call(SITE32, ClobberSet.of(Register.R8)), Patcher.standard());
        assertEquals(Violation.OP_KIND_MISMATCH, r8.violation());
        assertTrue(r8.getMessage().contains("do not exist on x86-32"), r8.getMessage());
    }

    @Test
    void customPatchersCannotWritePastTheSite() {
        PatchSite site = PatchSite.of(Isa.X86_64, SITE64, 6, 0, ANY64);
        Patcher greedy = (s, op, out) -> {
            out.putNops(6).put(0xCC);
            return Strategy.NOP_PAD;
        };
        PatchBug b = bug(site, new byte[6], Op.nop(), greedy);
        assertEquals(Violation.CODE_TOO_LONG, b.violation());
        assertEquals(7, b.needed());
        Patcher silent = (s, op, out) -> null;
        assertThrows(IllegalStateException.class, () -> PatchPlan.of(CodeBuffer.wrap(new byte[6], SITE64), List.of(site),
                OpsTable.builder().put(0, Op.nop()).build(), PatchOptions.defaults().withPatcher(silent)));
    }

    @Test
    void siteWriterGivesCustomPatchersTheSiteAndItsBytes() {
        PatchSite site = PatchSite.of(Isa.X86_32, SITE32, 8, 0, ANY32).withCallOffset(2);
        byte[] text = bytes("90 90 ff 15 00 10 00 00");
        Patcher probe = (s, op, out) -> {
            assertEquals(site, out.site());
            assertEquals(NopTable.P6, out.nops());
            assertEquals(8, out.remaining());
            assertEquals(0xff, out.originalByte(2));
            assertEquals(IndirectForm.CALL_ABS32, out.originalIndirectAt(2));
            assertEquals(null, out.originalIndirectAt(0));
            assertThrows(IndexOutOfBoundsException.class, () -> out.originalByte(8));
            assertThrows(IllegalArgumentException.class, () -> out.putNops(-1));
            out.putOriginal(0, 2).put(0xfa);
            assertEquals(3, out.position());
            assertEquals(SITE32 + 3, out.address());
            out.putSaves(ClobberSet.of(Register.EBX)).putRestores(ClobberSet.of(Register.EBX));
            return Strategy.INLINE_NATIVE;
        };
        PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(text, SITE32), List.of(site),
                OpsTable.builder().put(0, Op.nop()).build(), PatchOptions.defaults().withPatcher(probe));
        assertEquals("90 90 fa 53 5b 0f 1f 00", of(plan.patchedBytes(0)));
    }

    @Test
    void patchersHaveReadableNames() {
        assertEquals("Patcher.standard()", Patcher.standard().toString());
        assertEquals("Patcher.nopPad()", Patcher.nopPad().toString());
        assertEquals("Patcher.inlineNative()", Patcher.inlineNative().toString());
        assertEquals("Patcher.directBranch()", Patcher.directBranch().toString());
    }
}
