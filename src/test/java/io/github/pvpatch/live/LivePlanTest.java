package io.github.pvpatch.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Journal;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.Violation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.testing.Hex;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exact plans for the transitions that matter, byte for byte. */
class LivePlanTest {
    private static final long BASE = 0x10000000L;
    private static final long A = BASE + 0x40;
    private static final long TABLE = 0x10100000L;
    private static final long T1 = 0x401000L;
    private static final long T2 = 0x402345L;
    private static final ClobberSet RAX = ClobberSet.of(Register.RAX);

    /** An x86-64 site `ff 15 disp32` at A calling through slot 0 of TABLE, in a buffer of int3. */
    private static PatchPlan plan(Isa isa, SiteKind kind, ClobberSet clobbers, Op op) {
        return plan(new byte[0x100], isa, kind, clobbers, op);
    }

    /** The same, in {@code text}: 0x100 bytes at BASE, which the caller may change after planning. */
    private static PatchPlan plan(byte[] text, Isa isa, SiteKind kind, ClobberSet clobbers, Op op) {
        UnpatchedForm form = UnpatchedForm.of(isa, TABLE).withSlotClobbers(ClobberSet.callerSaved(isa));
        PatchSite site = form.site(A, 0, kind, clobbers, 0);
        java.util.Arrays.fill(text, (byte) 0xCC);
        byte[] body = form.encode(site);
        System.arraycopy(body, 0, text, (int) (A - BASE), body.length);
        return PatchPlan.of(CodeBuffer.wrap(text, BASE), List.of(site), OpsTable.builder().put(0, op).build());
    }

    private static PatchPlan directCall() {
        return plan(Isa.X86_64, SiteKind.CALL, ClobberSet.callerSaved(Isa.X86_64), Op.call(T1, RAX, true));
    }

    @Test
    void patchingAnIndirectCallToADirectCallIsTheInt3Protocol() {
        PatchPlan plan = directCall();
        assertEquals("ff 15 ba ff 0f 00", Hex.of(plan.originalBytes(0)));   // call *0x10100000(%rip)
        assertEquals("e8 bb 0f 40 f0 90", Hex.of(plan.patchedBytes(0)));    // call 0x401000; nop
        LivePlan live = WritePlan.patch(plan).requireLive();
        assertEquals(Transition.PATCH, live.transition());
        assertEquals("[write(INT3 0x10000040 cc), sync(INT3), write(TAIL 0x10000041 bb 0f 40 f0 90), sync(TAIL),"
                + " write(FIRST_BYTE 0x10000040 e8), sync(FIRST_BYTE)]", live.steps().toString());
        assertEquals(List.of(new ByteRange(A, 6)), live.writtenRanges());
        // The call returns past its one NOP, to the site's end: bytes the plan never changes.
        assertEquals(new TrapAction.EmulateCall(T1, A + 6), live.resolve(A));
        assertEquals(new TrapAction.NotOurs(), live.resolve(A + 1));
        assertEquals(List.of(A), live.trapAddresses());
        assertSame(live, live.requireLive());
    }

    @Test
    void revertingTheDirectCallNeedsQuiescenceBecauseOfItsReturnAddress() {
        WritePlan revert = WritePlan.patch(directCall()).after().toOriginal();
        QuiescentPlan q = assertInstanceOf(QuiescentPlan.class, revert);
        assertEquals(Transition.REVERT, q.transition());
        PatchBug bug = q.violations().get(0);
        assertEquals(Violation.LIVE_BOUNDARY_CHANGED, bug.violation());
        assertEquals(5, bug.needed());       // site+5: where `call rel32` returns
        assertEquals(5, bug.available());    // the byte there becomes the disp32's last byte
        assertTrue(bug.getMessage().startsWith("violation=LIVE_BOUNDARY_CHANGED site=0x10000040 len=6"),
                bug.getMessage());
        assertTrue(bug.getMessage().contains("point=0x10000045 (return address of the call at 0x10000040)"),
                bug.getMessage());
        assertEquals("[write(PLAIN 0x10000040 ff 15 ba ff 0f 00), sync(PLAIN)]", q.steps().toString());
        assertEquals(List.of(new ByteRange(A, 6)), q.writtenRanges());
        assertSame(bug, assertThrows(PatchBug.class, q::requireLive));
        assertTrue(q.toString().contains("LIVE_BOUNDARY_CHANGED"), q.toString());
        // Written while stopped, no frame can be pending: the state forgets the call.
        assertTrue(q.after().isOriginal());
        assertEquals(List.of(), q.after().earlierReturnAddresses(0));
    }

    @Test
    void rePatchingOneDirectCallToAnotherKeepsTheReturnAddressAndEmulatesTheCall() {
        PatchPlan plan = directCall();
        WritePlan w = WritePlan.patch(plan).after().toOps(OpsTable.builder().put(0, Op.call(T2, RAX, true)).build(),
                PatchOptions.defaults());
        LivePlan live = w.requireLive();
        assertEquals(Transition.REPATCH, live.transition());
        // Byte 0 stays e8, yet the int3 guards it while the rel32 changes.
        assertEquals("[write(INT3 0x10000040 cc), sync(INT3), write(TAIL 0x10000041 00 23), sync(TAIL),"
                + " write(FIRST_BYTE 0x10000040 e8), sync(FIRST_BYTE)]", live.steps().toString());
        assertEquals(new TrapAction.EmulateCall(T2, A + 5), live.resolve(A));
        assertEquals(List.of(A + 5), live.after().earlierReturnAddresses(0));
        assertEquals(List.of(), live.after().quiesced().earlierReturnAddresses(0));
    }

    @Test
    void aSiteThatChangesOneByteOfAnInstructionStillGoesUnderAnInt3() {
        // One byte of the call's rel32: a CPU may be fetching the call while it changes, which the
        // SDM calls unsynchronized cross-modifying code. The int3 keeps every CPU out meanwhile.
        SiteState patched = SiteState.patched(directCall());
        byte[] target = patched.bytes(0);
        target[4] ^= 0x01;
        LivePlan live = patched.toBytes(List.of(target), Transition.REPATCH).requireLive();
        assertEquals("[write(INT3 0x10000040 cc), sync(INT3), write(TAIL 0x10000044 f1), sync(TAIL),"
                + " write(FIRST_BYTE 0x10000040 e8), sync(FIRST_BYTE)]", live.steps().toString());
        assertEquals(List.of(new ByteRange(A, 5)), live.writtenRanges());
        assertEquals(List.of(A), live.trapAddresses());
        assertEquals(new TrapAction.EmulateCall(T1 + 0x01000000L, A + 5), live.resolve(A));
        // One opcode byte, no tail: int3, sync, the new first byte, sync.
        byte[] opcode = patched.bytes(0);
        opcode[5] = (byte) 0x90;
        opcode[0] = (byte) 0xe9;   // call rel32 into jmp rel32, same target
        LivePlan jump = patched.toBytes(List.of(opcode), Transition.REPATCH).requireLive();
        assertEquals("[write(INT3 0x10000040 cc), sync(INT3), write(FIRST_BYTE 0x10000040 e9), sync(FIRST_BYTE)]",
                jump.steps().toString());
        assertEquals(new TrapAction.EmulateJump(T1), jump.resolve(A));
        // No change, no step.
        assertEquals(List.of(), patched.toBytes(List.of(patched.bytes(0)), Transition.REPATCH).steps());
    }

    @Test
    void onlyAnInt3WrittenOverTheFirstByteOrRemovedFromItTakesOneStep() {
        SiteState patched = SiteState.patched(directCall());
        byte[] trap = patched.bytes(0);
        trap[0] = (byte) 0xcc;
        LivePlan arm = patched.toBytes(List.of(trap), Transition.REPATCH).requireLive();
        assertEquals("[write(FIRST_BYTE 0x10000040 cc), sync(FIRST_BYTE)]", arm.steps().toString());
        assertEquals(List.of(new ByteRange(A, 1)), arm.writtenRanges());
        assertEquals(List.of(), arm.trapAddresses());
        LivePlan disarm = arm.after().toBytes(List.of(patched.bytes(0)), Transition.REPATCH).requireLive();
        assertEquals("[write(FIRST_BYTE 0x10000040 e8), sync(FIRST_BYTE)]", disarm.steps().toString());
        assertEquals(List.of(), disarm.trapAddresses());
    }

    @Test
    void aNopPatchIsSkippedAndRevertedLive() {
        PatchPlan plan = plan(Isa.X86_64, SiteKind.CALL, ClobberSet.callerSaved(Isa.X86_64), Op.nop());
        assertEquals("66 0f 1f 44 00 00", Hex.of(plan.patchedBytes(0)));
        LivePlan patch = WritePlan.patch(plan).requireLive();
        assertEquals(new TrapAction.SkipTo(A + 6), patch.resolve(A));
        // One instruction each way: nothing inside the site to protect.
        LivePlan revert = patch.after().toOriginal().requireLive();
        assertEquals(new TrapAction.Retry(A), revert.resolve(A));   // the new first instruction is an indirect call
    }

    @Test
    void aJumpSiteIsEmulatedAndItsDeadPaddingDoesNotBlockTheRevert() {
        PatchPlan plan = plan(Isa.X86_64, SiteKind.JUMP, ClobberSet.callerSaved(Isa.X86_64), Op.jump(T1));
        assertEquals("e9 bb 0f 40 f0 90", Hex.of(plan.patchedBytes(0)));
        LivePlan patch = WritePlan.patch(plan).requireLive();
        assertEquals(new TrapAction.EmulateJump(T1), patch.resolve(A));
        assertInstanceOf(LivePlan.class, patch.after().toOriginal());
    }

    @Test
    void revertingANativeSequenceNeedsQuiescenceAtItsEnd() {
        PatchPlan plan = plan(Isa.X86_64, SiteKind.CALL, ClobberSet.callerSaved(Isa.X86_64),
                Op.nativeCode("48 89 f8", RAX));
        assertEquals("48 89 f8 0f 1f 00", Hex.of(plan.patchedBytes(0)));
        LivePlan patch = WritePlan.patch(plan).requireLive();
        assertEquals(new TrapAction.Retry(A), patch.resolve(A));   // mov is not emulated
        PatchBug bug = assertThrows(PatchBug.class, () -> patch.after().toOriginal().requireLive());
        assertEquals(3, bug.needed());       // after the mov
        assertEquals(4, bug.available());    // 0f 1f 00 becomes ff 0f 00: bytes 3 and 4 change
        assertTrue(bug.getMessage().contains("instruction boundary of the bytes being replaced"), bug.getMessage());
    }

    @Test
    void theKernelsI386IrqDisableSiteCannotBePatchedLive() {
        // 2.6.21 i386: push ecx; push edx; call *slot; pop edx; pop ecx -> cli + NOPs
        PatchPlan plan = plan(Isa.X86_32, SiteKind.CALL, RAX, Op.nativeCode("fa", ClobberSet.none()));
        assertEquals("51 52 ff 15 00 00 10 10 5a 59", Hex.of(plan.originalBytes(0)));
        QuiescentPlan q = assertInstanceOf(QuiescentPlan.class, WritePlan.patch(plan));
        assertEquals(1, q.violations().get(0).needed());   // after push ecx
        assertEquals(9, q.violations().get(0).available());
        // The call in the original bytes returns to site+8: remembered after a live patch.
        assertEquals(List.of(A + 8), SiteState.patched(plan).earlierReturnAddresses(0));
    }

    @Test
    void executeHandsEveryStepToTheHostInOrder() {
        PatchPlan plan = directCall();
        LivePlan live = WritePlan.patch(plan).requireLive();
        byte[] memory = plan.originalBytes(0);
        List<String> log = new ArrayList<>();
        live.execute(new LiveHost() {
            @Override
            public void write(long address, byte[] bytes) {
                System.arraycopy(bytes, 0, memory, (int) (address - A), bytes.length);
                log.add("w" + (address - A) + ":" + Hex.of(memory));
            }

            @Override
            public void sync() {
                log.add("sync");
            }
        });
        assertEquals(List.of("w0:cc 15 ba ff 0f 00", "sync", "w1:cc bb 0f 40 f0 90", "sync", "w0:e8 bb 0f 40 f0 90",
                "sync"), log);
        assertArrayEquals(plan.patchedBytes(0), memory);
        List<String> plain = new ArrayList<>();
        ((QuiescentPlan) live.after().toOriginal()).executeStopped(new LiveHost() {
            @Override
            public void write(long address, byte[] bytes) {
                plain.add(Hex.of(bytes));
            }

            @Override
            public void sync() {
                plain.add("sync");
            }
        });
        assertEquals(List.of("ff 15 ba ff 0f 00", "sync"), plain);
        assertThrows(NullPointerException.class, () -> live.execute(null));
    }

    @Test
    void journalsLeadToTheSamePlans() {
        PatchPlan plan = directCall();
        Journal journal = plan.apply();
        assertEquals(Transition.REVERT, WritePlan.revert(journal).transition());
        WritePlan repatch = WritePlan.repatch(journal, OpsTable.builder().put(0, Op.call(T2, RAX, true)).build());
        assertEquals(Transition.REPATCH, repatch.transition());
        assertEquals("e8 00 23 40 f0 90", Hex.of(repatch.after().bytes(0)));
        assertFalse(SiteState.of(journal).isOriginal());
        journal.revert();
        assertThrows(IllegalStateException.class, () -> SiteState.of(journal));
    }

    @Test
    void plansAreCheckedAgainstTheirState() {
        PatchPlan plan = directCall();
        SiteState state = SiteState.unpatched(plan);
        assertEquals(1, state.size());
        assertEquals(plan.sites(), state.sites());
        assertArrayEquals(plan.originalBytes(0), state.originalBytes(0));
        assertTrue(state.toString().contains("original=true"), state.toString());
        PatchPlan other = plan(Isa.X86_64, SiteKind.CALL, RAX, Op.call(T1, RAX, true));
        assertThrows(IllegalArgumentException.class, () -> state.toPatched(other));
        assertThrows(IllegalArgumentException.class, () -> state.toBytes(List.of(), Transition.PATCH));
        assertThrows(IllegalArgumentException.class, () -> state.toBytes(List.of(new byte[5]), Transition.PATCH));
        assertThrows(IndexOutOfBoundsException.class, () -> state.bytes(1));
    }

    @Test
    void anAppliedPlanIsRefusedWithWhatTheCodeHolds() {
        PatchPlan plan = directCall();
        Journal journal = plan.apply();
        // The buffer holds e8 bb 0f 40 f0 90 now: an int3 protocol from ff 15 … would be planned
        // for bytes that are not there.
        PatchBug e = assertThrows(PatchBug.class, () -> WritePlan.patch(plan));
        assertEquals(Violation.ORIGINAL_MISMATCH, e.violation());
        assertEquals(plan.sites().get(0), e.site());
        assertEquals("violation=ORIGINAL_MISMATCH " + plan.sites().get(0) + " needed=0 available=0: site 0 of 1:"
                + " the code holds e8 bb 0f 40 f0 90, the plan's patched bytes, not its original ff 15 ba ff 0f 00:"
                + " the plan was already applied; plan the write from SiteState.patched(plan) or the journal",
                e.getMessage());
        assertThrows(PatchBug.class, () -> SiteState.unpatched(plan));
        // Where it is, the write is planned from the patched state; once reverted, patch it again.
        assertEquals(Transition.REVERT, SiteState.patched(plan).toOriginal().transition());
        assertEquals(Transition.REVERT, WritePlan.revert(journal).transition());
        journal.revert();
        assertEquals(Transition.PATCH, WritePlan.patch(plan).transition());
        // Bytes that are neither: the code changed since planning.
        byte[] text = new byte[0x100];
        PatchPlan stale = plan(text, Isa.X86_64, SiteKind.CALL, ClobberSet.callerSaved(Isa.X86_64),
                Op.call(T1, RAX, true));
        text[(int) (A - BASE) + 2] = 0x11;
        PatchBug changed = assertThrows(PatchBug.class, () -> WritePlan.patch(stale));
        assertTrue(changed.getMessage().endsWith("site 0 of 1: the code holds ff 15 11 ff 0f 00 not its original"
                + " ff 15 ba ff 0f 00: the code changed since planning; plan again"), changed.getMessage());
    }

    @Test
    void valuesSayWhatTheyAre() {
        assertThrows(IllegalArgumentException.class, () -> new ByteRange(A, 0));
        assertEquals("[0x10000040,0x10000046)", new ByteRange(A, 6).toString());
        assertEquals(A + 6, new ByteRange(A, 6).end());
        assertThrows(IllegalArgumentException.class, () -> Step.write(Phase.TAIL, A, new byte[0]));
        Step w = Step.write(Phase.TAIL, A, new byte[] {1, 2});
        assertEquals(Step.write(Phase.TAIL, A, new byte[] {1, 2}), w);
        assertEquals(Step.write(Phase.TAIL, A, new byte[] {1, 2}).hashCode(), w.hashCode());
        assertFalse(w.equals(Step.sync(Phase.TAIL)));
        assertEquals(0, Step.sync(Phase.INT3).length());
        assertEquals(0, Step.sync(Phase.INT3).address());
        assertEquals(0, Step.sync(Phase.INT3).bytes().length);
        assertEquals("EmulateCall[target=0x401000 return=0x10000045]",
                new TrapAction.EmulateCall(T1, A + 5).toString());
        assertEquals("EmulateJump[target=0x401000]", new TrapAction.EmulateJump(T1).toString());
        assertEquals("SkipTo[0x10000046]", new TrapAction.SkipTo(A + 6).toString());
        assertEquals("Retry[0x10000040]", new TrapAction.Retry(A).toString());
        assertTrue(WritePlan.patch(directCall()).toString().startsWith("LivePlan{PATCH, sites=1, steps=6"));
    }

    @Test
    void theModelCheckCatchesAPlanWithoutTheInt3AndARevertForcedLive() {
        PatchPlan plan = directCall();
        byte[] text = plan.code().read(BASE, 0x100);
        LivePlan live = WritePlan.patch(plan).requireLive();
        List<Step> noInt3 = new ArrayList<>();
        for (Step s : live.steps()) {
            if (s.phase() != Phase.INT3) {
                noInt3.add(s);
            }
        }
        ModelCheck check = new ModelCheck();
        List<byte[]> target = List.of(plan.patchedBytes(0));
        assertNull(check.check(BASE, text, plan.sites(), List.of(), target, live.steps(), live::resolve));
        String torn = check.check(BASE, text, plan.sites(), List.of(), target, noInt3, live::resolve);
        assertTrue(torn != null && torn.contains("torn"), torn);
        // The revert the rule refuses, forced through the int3 protocol: a returning call lands mid-instruction.
        WritePlan revert = live.after().toOriginal();
        byte[] patchedText = text.clone();
        System.arraycopy(plan.patchedBytes(0), 0, patchedText, (int) (A - BASE), 6);
        String bad = check.check(BASE, patchedText, plan.sites(), List.of(List.of(plan.originalBytes(0))),
                List.of(plan.originalBytes(0)), LivePlanModelCheckProperties.forcedInt3Steps(revert),
                a -> new TrapAction.Retry(a));
        assertTrue(bad != null && bad.contains("point=0x10000045"), bad);
    }

    @Test
    void theModelCheckCatchesOneByteOfAnInstructionChangedWithoutAnInt3() {
        // What the planner used to do for a one-byte change: write it straight over a call a CPU may
        // be fetching. Every byte state is a whole old or new call, so only the XMC rule sees it.
        PatchPlan plan = directCall();
        byte[] text = plan.code().read(BASE, 0x100);
        System.arraycopy(plan.patchedBytes(0), 0, text, (int) (A - BASE), 6);
        byte[] target = plan.patchedBytes(0);
        target[4] ^= 0x01;
        List<Step> oneStep = List.of(Step.write(Phase.FIRST_BYTE, A + 4, new byte[] {target[4]}),
                Step.sync(Phase.FIRST_BYTE));
        ModelCheck check = new ModelCheck();
        String bad = check.check(BASE, text, plan.sites(), List.of(), List.of(target), oneStep,
                a -> new TrapAction.NotOurs());
        assertTrue(bad != null && bad.contains("point=0x10000040") && bad.contains("unsynchronized cross-modifying code")
                && bad.contains("byte 0x10000044"), bad);
        // So does an opcode byte changed in place (call into jmp), and a tail written in the same phase
        // as the int3 that should guard it.
        byte[] jump = plan.patchedBytes(0);
        jump[0] = (byte) 0xe9;
        String opcode = check.check(BASE, text, plan.sites(), List.of(), List.of(jump),
                List.of(Step.write(Phase.FIRST_BYTE, A, new byte[] {(byte) 0xe9}), Step.sync(Phase.FIRST_BYTE)),
                a -> new TrapAction.NotOurs());
        assertTrue(opcode != null && opcode.contains("a first byte may only become or stop being an int3"), opcode);
        String sameTime = check.check(BASE, text, plan.sites(), List.of(), List.of(target),
                List.of(Step.write(Phase.INT3, A, new byte[] {(byte) 0xcc}), Step.write(Phase.TAIL, A + 4,
                        new byte[] {target[4]}), Step.sync(Phase.TAIL), Step.write(Phase.FIRST_BYTE, A,
                                new byte[] {(byte) 0xe8}), Step.sync(Phase.FIRST_BYTE)),
                a -> new TrapAction.EmulateCall(T1 + 0x01000000L, A + 5));
        assertTrue(sameTime != null && sameTime.contains("no int3 guards it since the last sync"), sameTime);
        // The planner's plan for the same bytes keeps the rule.
        LivePlan live = SiteState.patched(plan).toBytes(List.of(target), Transition.REPATCH).requireLive();
        assertNull(check.check(BASE, text, plan.sites(), List.of(List.of(plan.originalBytes(0))), List.of(target),
                live.steps(), live::resolve));
    }
}
