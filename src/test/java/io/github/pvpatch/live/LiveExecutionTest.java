package io.github.pvpatch.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.Isa;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Real concurrent execution: on both ISAs, worker threads run the sites in a loop while the
 * harness's patcher thread patches, re-patches and reverts them through the plans the live API
 * made (see {@link LiveHarness} and src/test/c/pvlive.c). No run may fault or compute a wrong
 * result. The same harness shows teeth: a plan without the int3 step, and a revert run live
 * although the boundary rule refuses it, are caught. On a kernel that runs no 32-bit programs the
 * i386 half is not run, and says so ({@link LiveHarness#isasOnTheCpu}); x86-64 then takes the whole run.
 *
 * <p>Size: {@code -Dpvpatch.live.plans} live plans (default 100,000) and
 * {@code -Dpvpatch.live.executions} site executions (default 10,000,000), split over the two
 * ISAs, each ISA bounded by {@code -Dpvpatch.live.ms} (default 20,000).
 */
class LiveExecutionTest {
    private static final long PLANS = Long.getLong("pvpatch.live.plans", 100_000);
    private static final long EXECS = Long.getLong("pvpatch.live.executions", 10_000_000);
    private static final int MS = Integer.getInteger("pvpatch.live.ms", 20_000);
    private static final int WORKERS = 2;
    private static final int PER_BATCH = 4;

    @Test
    void sitesPatchedLiveNeverFaultNorComputeWrongOnBothIsas() {
        // Both ISAs share the run's size; where i386 cannot run on this CPU, x86-64 takes all of it.
        List<Isa> isas = LiveHarness.isasOnTheCpu();
        List<LiveHarness.Result> results = new ArrayList<>();
        for (Isa isa : isas) {
            LiveHarness h = LiveHarness.start(isa);
            LiveHarness.Scenario s = h.scenario(PER_BATCH);
            checkPlanKinds(s);
            LiveHarness.Result r = h.run(s, p -> p, WORKERS, PLANS / isas.size(), EXECS / isas.size(), MS, 0, 0);
            System.out.println(r.line());
            results.add(r);
        }
        long execs = 0;
        long plans = 0;
        long faults = 0;
        long wrong = 0;
        long emulated = 0;
        long retried = 0;
        StringBuilder lines = new StringBuilder();
        StringBuilder perIsa = new StringBuilder();
        for (int k = 0; k < results.size(); k++) {
            LiveHarness.Result r = results.get(k);
            execs += r.execs();
            plans += r.plans();
            faults += r.faults();
            wrong += r.wrong();
            emulated += r.emulated();
            retried += r.retried();
            lines.append('\n').append(r.line());
            perIsa.append(k == 0 ? "" : ", ").append(isas.get(k).displayName()).append(String.format(" %,d", r.execs()));
            System.out.printf("live: %s %,d live + %,d quiescent plans in %d ms, %,d traps (%,d emulated, %,d retried,"
                    + " %,d late), sync=%s%n", isas.get(k).displayName(), r.plans(), r.quiescent(), r.ms(), r.traps(),
                    r.emulated(), r.retried(), r.late(), r.sync());
        }
        System.out.printf("live: %,d executions on %d threads during %,d patch cycles (%s), %d faults, %d wrong%n",
                execs, WORKERS, plans, perIsa, faults, wrong);
        assertEquals(0, faults, lines::toString);
        assertEquals(0, wrong, lines::toString);
        assertTrue(execs >= EXECS && plans >= PLANS, () -> "too small a run (raise pvpatch.live.ms?):" + lines);
        // The resolver's answers were exercised, not only the happy path.
        assertTrue(results.stream().allMatch(r -> r.traps() > 0) && emulated > 0 && retried > 0, lines::toString);
    }

    @Test
    void theFallbackSyncKeepsRunsCorrectToo() {
        LiveHarness h = LiveHarness.start(Isa.X86_64);
        LiveHarness.Result r = h.run(h.scenario(PER_BATCH), p -> p, WORKERS, 5_000, 200_000, 10_000,
                LiveHarness.FORCE_FALLBACK, 0);
        System.out.println(r.line());
        assertEquals("mprotect", r.sync());
        assertEquals(0, r.faults() + r.wrong(), r.line());
    }

    @Test
    void aPlanThatSkipsTheInt3StepIsCaughtOnBothIsas() {
        for (Isa isa : LiveHarness.isasOnTheCpu()) {
            LiveHarness h = LiveHarness.start(isa);
            LiveHarness.Result r = h.run(h.scenario(PER_BATCH), LiveExecutionTest::withoutInt3, WORKERS, 100_000,
                    1_000_000, 8_000, LiveHarness.STOP_EARLY, 0);
            System.out.println("teeth (no int3): " + r.line());
            assertTrue(r.faults() + r.wrong() > 0, r.line());
        }
    }

    @Test
    void aRevertThatIgnoresTheBoundaryRuleIsCaughtOnBothIsas() {
        for (Isa isa : LiveHarness.isasOnTheCpu()) {
            LiveHarness h = LiveHarness.start(isa);
            LiveHarness.Scenario s = h.scenario(PER_BATCH);
            // Calls stay in their stub a little longer, so some are in progress when a revert lands.
            LiveHarness.Result r = h.run(s, plans -> forcedLive(s, plans), WORKERS, 100_000, 1_000_000, 8_000,
                    LiveHarness.STOP_EARLY, 200);
            System.out.println("teeth (boundary): " + r.line());
            assertTrue(r.faults() + r.wrong() > 0, r.line());
        }
    }

    /** The API's verdict on each transition of the cycle: these are what the run exercises. */
    private static void checkPlanKinds(LiveHarness.Scenario s) {
        for (String live : List.of("call-patch", "call-repatch-ab", "call-repatch-ba", "native-patch",
                "native-repatch-mov-lea", "native-repatch-lea-mov", "nop-patch", "nop-revert")) {
            assertInstanceOf(LivePlan.class, s.byName.get(live), live);
        }
        // Reverting `call rel32; nop` would move the return address of a pending call into the middle
        // of the indirect call; reverting `mov; nop3` changes bytes after the mov's end.
        for (String quiescent : List.of("call-revert", "native-revert")) {
            assertInstanceOf(QuiescentPlan.class, s.byName.get(quiescent), quiescent);
        }
    }

    /** Every live plan without its int3 phase: the new bytes written straight over running code. */
    static List<LiveHarness.Plan> withoutInt3(List<LiveHarness.Plan> plans) {
        List<LiveHarness.Plan> out = new ArrayList<>();
        for (LiveHarness.Plan p : plans) {
            if (p.quiescent()) {
                out.add(p);
                continue;
            }
            List<Step> steps = new ArrayList<>();
            for (Step step : p.steps()) {
                if (step.phase() != Phase.INT3) {
                    steps.add(step);
                }
            }
            out.add(new LiveHarness.Plan(p.name() + "-no-int3", false, steps, Map.of()));
        }
        return out;
    }

    /** The quiescent reverts run live anyway, with the int3 protocol, as if the boundary rule were not there. */
    static List<LiveHarness.Plan> forcedLive(LiveHarness.Scenario s, List<LiveHarness.Plan> plans) {
        List<LiveHarness.Plan> out = new ArrayList<>();
        for (LiveHarness.Plan p : plans) {
            if (!p.quiescent()) {
                out.add(p);
                continue;
            }
            WritePlan w = s.byName.get(p.name());
            List<Step> steps = LivePlanModelCheckProperties.forcedInt3Steps(w);
            java.util.Map<Long, TrapAction> traps = new java.util.HashMap<>();
            for (PatchSite site : w.before().sites()) {
                traps.put(site.address(), new TrapAction.Retry(site.address()));
            }
            out.add(new LiveHarness.Plan(p.name() + "-forced", false, steps, traps));
        }
        return out;
    }
}
