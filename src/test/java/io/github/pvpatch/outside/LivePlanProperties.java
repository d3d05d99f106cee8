package io.github.pvpatch.outside;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import io.github.pvpatch.Journal;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Violation;
import io.github.pvpatch.live.ByteRange;
import io.github.pvpatch.live.LiveHost;
import io.github.pvpatch.live.LivePlan;
import io.github.pvpatch.live.Phase;
import io.github.pvpatch.live.QuiescentPlan;
import io.github.pvpatch.live.SiteState;
import io.github.pvpatch.live.Step;
import io.github.pvpatch.live.Transition;
import io.github.pvpatch.live.TrapAction;
import io.github.pvpatch.live.WritePlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The live package's guarantees as its Javadoc states them, checked on generated batches:
 * the steps follow the int3 protocol, {@code writtenRanges()} covers every write, {@code resolve}
 * answers for exactly the int3s written, a {@link QuiescentPlan} is never a live plan in
 * disguise, and {@link SiteState} chains patch, revert and re-patch to the bytes a fresh patch
 * would give.
 */
class LivePlanProperties {
    private static int examples() {
        return Math.max(200, Integer.getInteger("pvpatch.examples", 2000) / 4);
    }

    /** A host that records every call and writes into the batch's buffer. */
    static final class Recorder implements LiveHost {
        final Sites s;
        final List<Object> log = new ArrayList<>();

        Recorder(Sites s) {
            this.s = s;
        }

        @Override
        public void write(long address, byte[] bytes) {
            assertTrue(address >= s.base() && address + bytes.length <= s.base() + s.ram().length,
                    "write inside the code: 0x" + Long.toHexString(address));
            System.arraycopy(bytes, 0, s.ram(), (int) (address - s.base()), bytes.length);
            log.add(new ByteRange(address, bytes.length));
        }

        @Override
        public void sync() {
            log.add("sync");
        }
    }

    private static PatchPlan planOrNull(Sites s) {
        try {
            return PatchPlan.of(s.code(), s.sites(), s.ops());
        } catch (PatchBug refused) {
            return null;   // an op the site cannot take: not this suite's subject
        }
    }

    @Test
    void everyPlanIsWellFormedAndDoesWhatItSays() {
        int[] kinds = new int[2];
        qt().withExamples(examples()).forAll(longs().all()).checkAssert(seed -> {
            Sites s = Sites.draw(seed);
            PatchPlan plan = planOrNull(s);
            if (plan == null) {
                return;
            }
            byte[] before = s.ram().clone();
            WritePlan patch = WritePlan.patch(plan);
            kinds[patch instanceof LivePlan ? 0 : 1]++;
            WritePlan back = patch.after().toOriginal();
            kinds[back instanceof LivePlan ? 0 : 1]++;
            assertArrayEquals(before, s.ram(), "planning writes nothing");
            assertEquals(Transition.PATCH, patch.transition());
            assertTrue(patch.before().isOriginal());
            checkPlan(s, patch, plan.sites());
            for (int i = 0; i < plan.size(); i++) {
                assertArrayEquals(plan.patchedBytes(i), s.at(plan.sites().get(i)), "seed " + seed + " site " + i);
                assertArrayEquals(plan.patchedBytes(i), patch.after().bytes(i));
                assertArrayEquals(plan.originalBytes(i), patch.after().originalBytes(i));
            }
            for (int i = 0; i < s.ram().length; i++) {
                final int at = i;
                boolean inSite = plan.sites().stream().anyMatch(p -> s.offset(p) <= at && at < s.offset(p) + p.length());
                if (!inSite) {
                    assertEquals(before[i], s.ram()[i], "byte outside every site changed at +" + i);
                }
            }
        });
        assertTrue(kinds[0] > examples() / 50 && kinds[1] > examples() / 50,
                "the generator reaches live and quiescent plans: " + Arrays.toString(kinds));
    }

    /** Checks {@code w}'s shape and runs it on a recording host; returns the host. */
    static Recorder checkPlan(Sites s, WritePlan w, List<PatchSite> sites) {
        List<Step> steps = w.steps();
        assertFalse(steps.isEmpty() && !sameBytes(w), "a plan that changes bytes has steps");
        assertThrows(UnsupportedOperationException.class, () -> steps.add(Step.sync(Phase.PLAIN)));
        List<ByteRange> ranges = w.writtenRanges();
        for (Step st : steps) {
            if (st.isSync()) {
                assertEquals(0, st.length());
                assertEquals(0, st.bytes().length);
                continue;
            }
            assertTrue(st.length() >= 1);
            for (long a = st.address(); a < st.address() + st.length(); a++) {
                final long b = a;
                assertTrue(ranges.stream().anyMatch(r -> r.address() <= b && b < r.end()),
                        "write at 0x" + Long.toHexString(a) + " is in writtenRanges " + ranges);
                assertTrue(sites.stream().anyMatch(p -> p.address() <= b && b < p.addressAfter()),
                        "every write is inside a site: 0x" + Long.toHexString(a));
            }
        }
        Recorder host = new Recorder(s);
        if (w instanceof LivePlan live) {
            checkInt3Protocol(s, live, sites);
            assertTrue(live.requireLive() == live);
            live.execute(host);
        } else {
            QuiescentPlan q = assertInstanceOf(QuiescentPlan.class, w);
            assertFalse(q.violations().isEmpty(), "a quiescent plan says why");
            for (PatchBug bug : q.violations()) {
                assertEquals(Violation.LIVE_BOUNDARY_CHANGED, bug.violation());
                assertTrue(sites.contains(bug.site()), "the violation names one of the batch's sites");
            }
            PatchBug refused = assertThrows(PatchBug.class, q::requireLive);
            assertEquals(Violation.LIVE_BOUNDARY_CHANGED, refused.violation());
            assertEquals(q.violations().get(0).getMessage(), refused.getMessage());
            for (Step st : steps) {
                assertEquals(Phase.PLAIN, st.phase(), "a quiescent plan is a plain copy");
            }
            assertTrue(steps.get(steps.size() - 1).isSync(), "and ends with one sync");
            assertEquals(1, steps.stream().filter(Step::isSync).count());
            q.executeStopped(host);
        }
        // the host saw exactly the steps, in order
        List<Object> expected = new ArrayList<>();
        for (Step st : steps) {
            expected.add(st.isSync() ? "sync" : new ByteRange(st.address(), st.length()));
        }
        assertEquals(expected, host.log);
        for (int i = 0; i < sites.size(); i++) {
            assertArrayEquals(w.after().bytes(i), s.at(sites.get(i)), "after() is what the sites hold");
        }
        return host;
    }

    private static boolean sameBytes(WritePlan w) {
        for (int i = 0; i < w.before().size(); i++) {
            if (!java.util.Arrays.equals(w.before().bytes(i), w.after().bytes(i))) {
                return false;
            }
        }
        return true;
    }

    private static void checkInt3Protocol(Sites s, LivePlan live, List<PatchSite> sites) {
        List<Step> steps = live.steps();
        // phases in order INT3, TAIL, FIRST_BYTE; each phase's writes closed by its sync
        int order = -1;
        Phase open = null;
        Set<Long> int3s = new HashSet<>();
        Set<Long> firstBytes = new HashSet<>();
        for (Step st : steps) {
            assertNotEquals(Phase.PLAIN, st.phase(), "a live plan has no plain copy");
            int o = st.phase().ordinal();
            assertTrue(o >= order, "phases in protocol order: " + steps);
            order = o;
            if (st.isSync()) {
                assertEquals(open, st.phase(), "a sync ends the phase whose writes precede it: " + steps);
                open = null;
            } else {
                assertTrue(open == null || open == st.phase());
                open = st.phase();
                if (st.phase() == Phase.INT3) {
                    assertArrayEquals(new byte[] {(byte) 0xCC}, st.bytes());
                    assertTrue(int3s.add(st.address()));
                }
                if (st.phase() == Phase.FIRST_BYTE) {
                    firstBytes.add(st.address());
                }
                if (st.phase() == Phase.TAIL) {
                    assertTrue(sites.stream().anyMatch(p -> p.address() < st.address() && st.address() < p.addressAfter()),
                            "a tail write is after a site's first byte");
                }
            }
        }
        assertEquals(null, open, "the last write is followed by a sync");
        for (int i = 0; i < sites.size(); i++) {
            PatchSite p = sites.get(i);
            byte[] from = live.before().bytes(i);
            byte[] to = live.after().bytes(i);
            int changed = 0;
            for (int k = 0; k < from.length; k++) {
                changed += from[k] != to[k] ? 1 : 0;
            }
            // README: only an int3 written over or removed from the first byte takes one step; any
            // other change, even of one byte, goes under an int3.
            boolean int3OnOrOff = changed == 1 && from[0] != to[0] && (from[0] == (byte) 0xCC || to[0] == (byte) 0xCC);
            if (changed > 0 && !int3OnOrOff) {
                assertTrue(int3s.contains(p.address()), "int3 over the first byte of site " + p + ": " + steps);
                assertTrue(firstBytes.contains(p.address()), "the new first byte is written last: " + steps);
                TrapAction a = live.resolve(p.address());
                assertNotNull(a);
                assertFalse(a instanceof TrapAction.NotOurs, "the int3 at " + p + " is ours");
                checkAnswer(live, p, to, a);
            } else {
                assertFalse(int3s.contains(p.address()), "a site changing " + changed + " bytes"
                        + (int3OnOrOff ? " (an int3 on or off its first byte)" : "") + " takes no int3");
            }
            assertEquals(new TrapAction.NotOurs(), live.resolve(p.address() + 1), "no int3 is written mid-site");
        }
        assertEquals(int3s, new HashSet<>(live.trapAddresses()), "trapAddresses are the int3s written");
        assertEquals(new TrapAction.NotOurs(), live.resolve(s.base()));
        assertEquals(new TrapAction.NotOurs(), live.resolve(-1L));
        assertEquals(new TrapAction.NotOurs(), live.resolve(Long.MIN_VALUE));
    }

    /** The answer emulates the new first instruction, by the bytes a reader can decode. */
    private static void checkAnswer(LivePlan live, PatchSite p, byte[] to, TrapAction a) {
        int op = to[0] & 0xFF;
        if (op == 0xE8) {
            long rel = (to[1] & 0xFF) | (to[2] & 0xFF) << 8 | (to[3] & 0xFF) << 16 | (long) to[4] << 24;
            long target = p.address() + 5 + rel;
            if (p.isa() == io.github.pvpatch.arch.Isa.X86_32) {
                target &= 0xFFFF_FFFFL;
            }
            // the callee returns past the call and the NOPs after it, onto bytes the plan does not change
            TrapAction.EmulateCall call = assertInstanceOf(TrapAction.EmulateCall.class, a);
            assertEquals(target, call.target());
            assertTrue(call.returnAddress() >= p.address() + 5 && call.returnAddress() <= p.addressAfter(), call + " in " + p);
        } else if (op == 0xE9) {
            long rel = (to[1] & 0xFF) | (to[2] & 0xFF) << 8 | (to[3] & 0xFF) << 16 | (long) to[4] << 24;
            assertEquals(new TrapAction.EmulateJump(p.address() + 5 + rel), a);
        } else if (a instanceof TrapAction.SkipTo skip) {
            assertTrue(skip.address() > p.address() && skip.address() <= p.addressAfter(), a + " within " + p);
        } else {
            assertEquals(new TrapAction.Retry(p.address()), a, "native code is not emulated: " + live);
        }
    }

    @Test
    void patchRevertRepatchChainsToFreshBytes() {
        qt().withExamples(examples()).forAll(longs().all()).checkAssert(seed -> {
            Sites s = Sites.draw(seed);
            PatchPlan plan = planOrNull(s);
            if (plan == null) {
                return;
            }
            byte[] original = s.ram().clone();
            assertEquals(WritePlan.patch(plan).steps(), SiteState.unpatched(plan).toPatched(plan).steps(),
                    "WritePlan.patch is SiteState.unpatched(plan).toPatched(plan)");
            WritePlan patch = WritePlan.patch(plan);
            checkPlan(s, patch, plan.sites());
            byte[] patched = s.ram().clone();

            WritePlan revert = patch.after().toOriginal();
            assertEquals(Transition.REVERT, revert.transition());
            checkPlan(s, revert, plan.sites());
            assertArrayEquals(original, s.ram(), "revert restores exactly, seed " + seed);
            assertTrue(revert.after().isOriginal());

            WritePlan again = revert.after().toPatched(plan);
            checkPlan(s, again, plan.sites());
            assertArrayEquals(patched, s.ram(), "re-patch equals the first patch");

            // late paravirtualization: other ops, live, equal a fresh patch of the original code
            OpsTable other = Sites.drawOps(new Random(~seed), s.isa(), s.base(), plan.size());
            PatchPlan fresh;
            try {
                fresh = PatchPlan.of(io.github.pvpatch.CodeBuffer.wrap(original.clone(), s.base()), s.sites(), other);
            } catch (PatchBug refused) {
                assertThrows(PatchBug.class, () -> again.after().toOps(other, PatchOptions.defaults()));
                return;
            }
            WritePlan toOther = again.after().toOps(other, PatchOptions.defaults());
            checkPlan(s, toOther, plan.sites());
            for (int i = 0; i < fresh.size(); i++) {
                assertArrayEquals(fresh.patchedBytes(i), s.at(plan.sites().get(i)), "toOps == fresh patch, site " + i);
            }
            // earlier return addresses: inside the site, dropped by quiesced()
            SiteState now = toOther.after();
            for (int i = 0; i < now.size(); i++) {
                PatchSite p = now.sites().get(i);
                for (long r : now.earlierReturnAddresses(i)) {
                    assertTrue(r > p.address() && r <= p.addressAfter(), "return 0x" + Long.toHexString(r) + " in " + p);
                }
                assertEquals(List.of(), now.quiesced().earlierReturnAddresses(i));
                assertArrayEquals(now.bytes(i), now.quiesced().bytes(i));
            }
            WritePlan back = now.toOriginal();
            checkPlan(s, back, plan.sites());
            assertArrayEquals(original, s.ram(), "revert after re-patch restores exactly");
        });
    }

    @Test
    void journalsGiveTheSamePlansAsStates() {
        qt().withExamples(examples() / 2).forAll(longs().all()).checkAssert(seed -> {
            Sites s = Sites.draw(seed);
            PatchPlan plan = planOrNull(s);
            if (plan == null) {
                return;
            }
            byte[] original = s.ram().clone();
            Journal j = plan.apply();
            SiteState st = SiteState.of(j);
            for (int i = 0; i < plan.size(); i++) {
                assertArrayEquals(plan.patchedBytes(i), st.bytes(i));
            }
            assertEquals(st.toOriginal().steps(), WritePlan.revert(j).steps());
            WritePlan revert = WritePlan.revert(j);
            assertTrue(j.isLive(), "WritePlan.revert does not change the journal");
            checkPlan(s, revert, plan.sites());
            assertArrayEquals(original, s.ram());
        });
    }
}
