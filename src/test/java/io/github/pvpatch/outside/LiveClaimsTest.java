package io.github.pvpatch.outside;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.Violation;
import io.github.pvpatch.live.LiveHost;
import io.github.pvpatch.live.LivePlan;
import io.github.pvpatch.live.Phase;
import io.github.pvpatch.live.QuiescentPlan;
import io.github.pvpatch.live.SiteState;
import io.github.pvpatch.live.Step;
import io.github.pvpatch.live.Transition;
import io.github.pvpatch.live.TrapAction;
import io.github.pvpatch.live.WritePlan;
import io.github.pvpatch.x86.NopTable;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's sentences about live patching, one test each, on both ISAs. */
class LiveClaimsTest {
    private static final long BASE = 0x10000000L;
    private static final long SITE = BASE + 0x40;

    private static final class Ram implements LiveHost {
        final byte[] ram = new byte[0x100];
        int writes;
        int syncs;

        Ram() {
            Arrays.fill(ram, (byte) 0xCC);
        }

        @Override
        public void write(long address, byte[] bytes) {
            writes++;
            System.arraycopy(bytes, 0, ram, (int) (address - BASE), bytes.length);
        }

        @Override
        public void sync() {
            syncs++;
        }

        byte[] site() {
            return Arrays.copyOfRange(ram, 0x40, 0x46);
        }
    }

    private static PatchPlan plan(Isa isa, Ram r, SiteKind kind, Op op) {
        UnpatchedForm form = UnpatchedForm.of(isa, BASE + 0x1000);
        PatchSite site = form.site(SITE, 0, kind, ClobberSet.callerSaved(isa), 0);
        form.encode(site, NopTable.P6, r.ram, 0x40);
        return PatchPlan.of(CodeBuffer.wrap(r.ram, BASE), List.of(site), OpsTable.builder().put(0, op).build());
    }

    @Test
    void aCallIsPatchedLiveRePatchedLiveAndRevertedOnlyWhenStopped() {
        for (Isa isa : Isa.values()) {
            Ram r = new Ram();
            PatchPlan plan = plan(isa, r, SiteKind.CALL, Op.call(BASE + 0x8000, ClobberSet.callerSaved(isa)));
            byte[] original = r.site();
            assertEquals(0xff, original[0] & 0xff);
            assertEquals(0x15, original[1] & 0xff);
            LivePlan patch = WritePlan.patch(plan).requireLive();   // ff 15 disp32 -> e8 rel32 90, live
            patch.execute(r);
            assertEquals(0xe8, r.site()[0] & 0xff);
            assertEquals((byte) 0x90, r.site()[5]);
            assertEquals(3, r.syncs, "int3, tail, first byte: three syncs");
            // re-patched live to another e8 rel32 90
            SiteState now = patch.after();
            WritePlan other = now.toOps(OpsTable.builder().put(0, Op.call(BASE + 0x20300, ClobberSet.callerSaved(isa))).build(),
                    PatchOptions.defaults());
            LivePlan repatch = assertInstanceOf(LivePlan.class, other, isa + ": e8 -> e8 re-patch is live");
            repatch.execute(r);
            // its 90 at site+5 does not change, so the emulated call returns right after the call there
            assertEquals(new TrapAction.EmulateCall(BASE + 0x20300, SITE + 5), repatch.resolve(SITE));
            // while from ff 15 the byte at site+5 changes: the first patch's call returns past it
            assertEquals(new TrapAction.EmulateCall(BASE + 0x8000, SITE + 6), patch.resolve(SITE));
            // reverting to ff 15 disp32 is refused: a call in progress returns to site+5
            WritePlan revert = repatch.after().toOriginal();
            QuiescentPlan q = assertInstanceOf(QuiescentPlan.class, revert, isa.toString());
            assertEquals(Violation.LIVE_BOUNDARY_CHANGED, q.violations().get(0).violation());
            assertTrue(q.violations().get(0).getMessage().contains("0x"), q.violations().get(0).getMessage());
            // even once quiesced: the current bytes' own call returns to site+5
            assertInstanceOf(QuiescentPlan.class, repatch.after().quiesced().toOriginal());
            q.executeStopped(r);
            assertArrayEquals(original, r.site());
        }
    }

    @Test
    void resolveAllocatesNothingSoItAnswersWithTheSameObjects() throws InterruptedException {
        Ram r = new Ram();
        PatchPlan plan = plan(Isa.X86_64, r, SiteKind.CALL, Op.call(BASE + 0x8000, ClobberSet.callerSaved(Isa.X86_64)));
        LivePlan live = WritePlan.patch(plan).requireLive();
        for (long a = BASE; a < BASE + 0x100; a++) {
            assertSame(live.resolve(a), live.resolve(a), "resolve(0x" + Long.toHexString(a) + ") allocates");
        }
        // thread-safe: answers while another thread executes the plan are the same answers
        TrapAction expected = live.resolve(SITE);
        Thread writer = new Thread(() -> live.execute(r));
        writer.start();
        for (int i = 0; i < 100_000; i++) {
            assertSame(expected, live.resolve(SITE));
        }
        writer.join();
    }

    @Test
    void aSiteThatChangesOneOpcodeByteStillGoesUnderAnInt3() {
        for (Isa isa : Isa.values()) {
            Ram r = new Ram();
            PatchPlan plan = plan(isa, r, SiteKind.CALL, Op.nativeCode("fa", ClobberSet.none()));   // cli
            LivePlan patch = WritePlan.patch(plan).requireLive();
            patch.execute(r);
            assertEquals((byte) 0xfa, r.site()[0]);
            WritePlan sti = patch.after().toOps(OpsTable.builder().put(0, Op.nativeCode("fb", ClobberSet.none())).build(),
                    PatchOptions.defaults());
            // README: only an int3 written over or removed from the first byte takes one step.
            LivePlan one = assertInstanceOf(LivePlan.class, sti);
            List<Step> steps = one.steps();
            assertEquals(4, steps.size(), steps.toString());
            assertEquals(Step.write(Phase.INT3, SITE, new byte[] {(byte) 0xcc}), steps.get(0));
            assertTrue(steps.get(1).isSync());
            assertEquals(Step.write(Phase.FIRST_BYTE, SITE, new byte[] {(byte) 0xfb}), steps.get(2));
            assertTrue(steps.get(3).isSync());
            assertEquals(List.of(SITE), one.trapAddresses());
            assertEquals(new TrapAction.Retry(SITE), one.resolve(SITE));
            one.execute(r);
            assertEquals((byte) 0xfb, r.site()[0]);
            // An int3 over the first byte, and off it again: one write each.
            WritePlan arm = one.after().toBytes(List.of(withFirst(r.site(), (byte) 0xcc)), Transition.REPATCH);
            assertEquals(List.of(Step.write(Phase.FIRST_BYTE, SITE, new byte[] {(byte) 0xcc}), Step.sync(Phase.FIRST_BYTE)),
                    arm.steps());
            WritePlan disarm = arm.after().toBytes(List.of(withFirst(r.site(), (byte) 0xfb)), Transition.REPATCH);
            assertEquals(List.of(Step.write(Phase.FIRST_BYTE, SITE, new byte[] {(byte) 0xfb}), Step.sync(Phase.FIRST_BYTE)),
                    disarm.steps());
        }
    }

    @Test
    void aRePatchThatChangesNothingWritesNothing() {
        for (Isa isa : Isa.values()) {
            Ram r = new Ram();
            Op op = Op.call(BASE + 0x8000, ClobberSet.callerSaved(isa));
            PatchPlan plan = plan(isa, r, SiteKind.CALL, op);
            LivePlan patch = WritePlan.patch(plan).requireLive();
            patch.execute(r);
            byte[] patched = r.site();
            WritePlan same = patch.after().toOps(OpsTable.builder().put(0, op).build(), PatchOptions.defaults());
            int before = r.writes;
            LivePlan live = assertInstanceOf(LivePlan.class, same);
            live.execute(r);
            assertEquals(before, r.writes, same.steps().toString());
            assertEquals(List.of(), same.writtenRanges());
            assertArrayEquals(patched, r.site());
        }
    }

    @Test
    void aJumpSiteIsEmulatedAsAJump() {
        for (Isa isa : Isa.values()) {
            Ram r = new Ram();
            PatchPlan plan = plan(isa, r, SiteKind.JUMP, Op.jump(BASE + 0x7000));
            assertEquals(0xff, r.site()[0] & 0xff);
            assertEquals(0x25, r.site()[1] & 0xff);
            LivePlan patch = WritePlan.patch(plan).requireLive();
            assertEquals(new TrapAction.EmulateJump(BASE + 0x7000), patch.resolve(SITE));
            patch.execute(r);
            assertEquals(0xe9, r.site()[0] & 0xff);
        }
    }

    @Test
    void aNopPadIsSkippedAndRevertedLive() {
        for (Isa isa : Isa.values()) {
            Ram r = new Ram();
            PatchPlan plan = plan(isa, r, SiteKind.CALL, Op.nop());
            byte[] original = r.site();
            LivePlan patch = WritePlan.patch(plan).requireLive();
            TrapAction skip = patch.resolve(SITE);
            assertEquals(new TrapAction.SkipTo(SITE + 6), skip, "past the new NOPs");
            patch.execute(r);
            // one NOP instruction replaced by one indirect call: no point inside changes meaning
            WritePlan back = patch.after().toOriginal();
            LivePlan live = assertInstanceOf(LivePlan.class, back, isa + " " + back);
            TrapAction a = live.resolve(SITE);
            assertTrue(a instanceof TrapAction.Retry || a instanceof TrapAction.EmulateCall, a.toString());
            live.execute(r);
            assertArrayEquals(original, r.site());
        }
    }

    private static byte[] withFirst(byte[] site, byte first) {
        byte[] out = site.clone();
        out[0] = first;
        return out;
    }
}
