package io.github.pvpatch.outside;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.Journal;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Violation;
import io.github.pvpatch.live.ByteRange;
import io.github.pvpatch.live.LiveHost;
import io.github.pvpatch.live.Phase;
import io.github.pvpatch.live.SiteState;
import io.github.pvpatch.live.Step;
import io.github.pvpatch.live.Transition;
import io.github.pvpatch.live.WritePlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad arguments get the exception the Javadoc names; refusals write nothing; nulls are refused. */
class ApiContractTest {

    private static Sites nonTrivial() {
        for (long seed = 1; ; seed++) {
            Sites s = Sites.draw(seed);
            if (s.sites().size() >= 2) {
                try {
                    PatchPlan.of(CodeBuffer.wrap(s.ram().clone(), s.base()), s.sites(), s.ops());
                    return s;
                } catch (PatchBug refused) {
                    // draw again
                }
            }
        }
    }

    @Test
    void nullsAreRefusedWithNullPointerException() {
        Sites s = nonTrivial();
        PatchPlan plan = PatchPlan.of(s.code(), s.sites(), s.ops());
        SiteState st = SiteState.unpatched(plan);
        List<Executable> calls = List.of(
                () -> WritePlan.patch(null),
                () -> WritePlan.revert(null),
                () -> WritePlan.repatch(null, s.ops()),
                () -> SiteState.unpatched(null),
                () -> SiteState.patched(null),
                () -> SiteState.of(null),
                () -> st.toPatched(null),
                () -> st.toOps(null, PatchOptions.defaults()),
                () -> st.toOps(s.ops(), null),
                () -> st.toBytes(null, Transition.PATCH),
                () -> st.toBytes(List.of(plan.patchedBytes(0), plan.patchedBytes(1)), null),
                () -> Step.write(null, 0, new byte[] {1}),
                () -> Step.write(Phase.TAIL, 0, null),
                () -> Step.sync(null),
                () -> {
                    WritePlan w = WritePlan.patch(plan);
                    if (w instanceof io.github.pvpatch.live.LivePlan live) {
                        live.execute(null);
                    } else {
                        ((io.github.pvpatch.live.QuiescentPlan) w).executeStopped(null);
                    }
                },
                () -> PatchPlan.of(null, s.sites(), s.ops()),
                () -> PatchPlan.of(s.code(), null, s.ops()),
                () -> PatchPlan.of(s.code(), s.sites(), null),
                () -> PatchPlan.of(s.code(), s.sites(), s.ops(), null),
                () -> CodeBuffer.wrap((byte[]) null, 0));
        for (int i = 0; i < calls.size(); i++) {
            assertThrows(NullPointerException.class, calls.get(i), "call #" + i);
        }
        if (st.size() > 2) {
            return;
        }
        List<byte[]> withNull = new ArrayList<>();
        withNull.add(plan.patchedBytes(0));
        withNull.add(null);
        assertThrows(NullPointerException.class, () -> st.toBytes(withNull, Transition.PATCH));
    }

    @Test
    void badArgumentsGetTheDocumentedExceptions() {
        Sites s = nonTrivial();
        PatchPlan plan = PatchPlan.of(s.code(), s.sites(), s.ops());
        SiteState st = SiteState.unpatched(plan);
        assertThrows(IllegalArgumentException.class, () -> Step.write(Phase.TAIL, 0x1000, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new ByteRange(0x1000, 0));
        assertThrows(IllegalArgumentException.class, () -> new ByteRange(0x1000, -1));
        // toBytes: wrong count, wrong length
        assertThrows(IllegalArgumentException.class, () -> st.toBytes(List.of(plan.patchedBytes(0)), Transition.PATCH));
        List<byte[]> wrongLength = new ArrayList<>();
        for (int i = 0; i < st.size(); i++) {
            wrongLength.add(plan.patchedBytes(i));
        }
        wrongLength.set(0, Arrays.copyOf(plan.patchedBytes(0), plan.patchedBytes(0).length + 1));
        assertThrows(IllegalArgumentException.class, () -> st.toBytes(wrongLength, Transition.PATCH));
        // toPatched with another batch
        PatchPlan fewer = PatchPlan.of(s.code(), s.sites().subList(0, 1), s.ops());
        assertThrows(IllegalArgumentException.class, () -> st.toPatched(fewer));
        // SiteState.bytes index out of range
        assertThrows(IndexOutOfBoundsException.class, () -> st.bytes(st.size()));
        assertThrows(IndexOutOfBoundsException.class, () -> st.bytes(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> st.earlierReturnAddresses(st.size()));
        // a reverted journal has no state
        Journal j = plan.apply();
        j.revert();
        assertThrows(IllegalStateException.class, () -> SiteState.of(j));
        assertThrows(IllegalStateException.class, j::revert);
        // CodeBuffer
        CodeBuffer code = CodeBuffer.wrap(new byte[16], 0x1000);
        assertThrows(IndexOutOfBoundsException.class, () -> code.read(0x1000, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> code.read(0x0fff, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> code.read(0x1008, 9));
        assertThrows(IndexOutOfBoundsException.class, () -> code.byteAt(0x1010));
        assertThrows(IndexOutOfBoundsException.class, () -> CodeBuffer.wrap(new byte[16], 8, 9, 0x1000));
        assertThrows(IllegalArgumentException.class, () -> CodeBuffer.wrap(new byte[16], -8L));
    }

    @Test
    void valuesAreCopiesNotViews() {
        Sites s = nonTrivial();
        PatchPlan plan = PatchPlan.of(s.code(), s.sites(), s.ops());
        SiteState st = SiteState.unpatched(plan);
        byte[] b = st.bytes(0);
        b[0] ^= 1;
        assertArrayEquals(plan.originalBytes(0), st.bytes(0));
        byte[] data = {1, 2, 3};
        Step w = Step.write(Phase.TAIL, 0x1000, data);
        data[0] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, w.bytes());
        w.bytes()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, w.bytes());
        assertEquals(Step.write(Phase.TAIL, 0x1000, new byte[] {1, 2, 3}), w);
        byte[] p = plan.patchedBytes(0);
        p[0] ^= 1;
        assertTrue(!Arrays.equals(p, plan.patchedBytes(0)));
        assertThrows(UnsupportedOperationException.class, () -> st.sites().clear());
        assertThrows(UnsupportedOperationException.class, () -> WritePlan.patch(plan).writtenRanges().clear());
    }

    @Test
    void aRefusedBatchLeavesTheBufferByteIdentical() {
        Sites s = nonTrivial();
        byte[] before = s.ram().clone();
        OpsTable missing = s.ops().without(s.sites().size() - 1);
        PatchBug bug = assertThrows(PatchBug.class, () -> PatchPlan.of(s.code(), s.sites(), missing).apply());
        assertEquals(Violation.OP_MISSING, bug.violation());
        assertArrayEquals(before, s.ram());
        // overlapping sites: always thrown, nothing written
        PatchSite a = s.sites().get(0);
        List<PatchSite> overlapping = List.of(a, a.withAddress(a.address() + 1));
        PatchBug overlap = assertThrows(PatchBug.class, () -> PatchPlan.of(s.code(), overlapping, s.ops(),
                PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT)).apply());
        assertEquals(Violation.SITES_OVERLAP, overlap.violation());
        assertTrue(overlap.getMessage().contains("0x"), overlap.getMessage());
        assertArrayEquals(before, s.ram());
        // a plan whose code changed since planning: refused, nothing written
        PatchPlan plan = PatchPlan.of(s.code(), s.sites(), s.ops());
        int last = s.offset(s.sites().get(s.sites().size() - 1));
        s.ram()[last + s.sites().get(s.sites().size() - 1).length() - 1] ^= 0x10;
        byte[] changed = s.ram().clone();
        assertThrows(IllegalStateException.class, plan::apply);
        assertArrayEquals(changed, s.ram(), "a refused apply writes nothing, not even the first sites");
        s.ram()[last + s.sites().get(s.sites().size() - 1).length() - 1] ^= 0x10;
        // a refused re-patch keeps the journal live and the bytes as they were
        Journal j = plan.apply();
        byte[] patched = s.ram().clone();
        assertThrows(PatchBug.class, () -> j.repatch(missing));
        assertArrayEquals(patched, s.ram());
        assertTrue(j.isLive());
        assertThrows(PatchBug.class, () -> WritePlan.repatch(j, missing));
        assertArrayEquals(patched, s.ram());
        j.revert();
        assertArrayEquals(before, s.ram(), "revert restores exactly after a refused re-patch");
    }

    @Test
    void aLiveHostThatFailsLeavesAPlanThatCanBeRetried() {
        // Not a documented guarantee: the steps are idempotent writes, so running them again after a
        // host failure ends in the same bytes.
        Sites s = nonTrivial();
        PatchPlan plan = PatchPlan.of(s.code(), s.sites(), s.ops());
        WritePlan w = WritePlan.patch(plan);
        int[] calls = {0};
        LiveHost failing = new LiveHost() {
            @Override
            public void write(long address, byte[] bytes) {
                if (++calls[0] == 2) {
                    throw new IllegalStateException("host failed");
                }
                System.arraycopy(bytes, 0, s.ram(), (int) (address - s.base()), bytes.length);
            }

            @Override
            public void sync() {
            }
        };
        Runnable run = w instanceof io.github.pvpatch.live.LivePlan live ? () -> live.execute(failing)
                : () -> ((io.github.pvpatch.live.QuiescentPlan) w).executeStopped(failing);
        if (w.steps().stream().filter(st -> !st.isSync()).count() < 2) {
            return;
        }
        assertThrows(IllegalStateException.class, run::run, "a host's exception reaches the caller");
        run.run();
        for (int i = 0; i < plan.size(); i++) {
            assertArrayEquals(plan.patchedBytes(i), s.at(plan.sites().get(i)));
        }
    }

    @Test
    void isaOfRegistersThatDoNotExist() {
        // an op naming registers the ISA lacks: OP_KIND_MISMATCH (README's rule table)
        Sites s = Sites.draw(2);
        while (s.isa() != Isa.X86_32) {
            s = Sites.draw(s.seed() + 1);
        }
        Sites i386 = s;
        OpsTable r8 = OpsTable.builder().put(0, Op.nativeCode("90", ClobberSet.of(io.github.pvpatch.arch.Register.R8))).build();
        byte[] before = i386.ram().clone();
        PatchBug bug = assertThrows(PatchBug.class, () -> PatchPlan.of(i386.code(), i386.sites().subList(0, 1), r8));
        assertEquals(Violation.OP_KIND_MISMATCH, bug.violation());
        assertArrayEquals(before, i386.ram());
    }
}
