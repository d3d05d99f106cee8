package io.github.pvpatch.exec;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.testing.Outcomes;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Patched code does what the original did: for generated sites, ops tables and both ISAs, the
 * original and the patched bytes of every site run natively from the same registers and must
 * agree (see {@link Differential}). {@code -Dpvpatch.exec.cases=N} sets the number of cases
 * across both ISAs (the build sets 400,000; at least 100,000 is the floor we promise); failures shrink to a minimal scenario.
 */
class DifferentialExecutionProperties {
    private static final long CASES = Long.getLong("pvpatch.exec.cases", 400_000);
    private static final Map<Isa, AtomicLong> RUN = new EnumMap<>(Map.of(Isa.X86_32, new AtomicLong(),
            Isa.X86_64, new AtomicLong()));
    private static final AtomicLong MISMATCHES = new AtomicLong();

    @Test
    void patchedX8664SitesBehaveLikeTheOriginal() {
        check(Isa.X86_64);
    }

    @Test
    void patchedI386SitesBehaveLikeTheOriginal() {
        check(Isa.X86_32);
    }

    private static void check(Isa isa) {
        Map<Strategy, Long> reached = new EnumMap<>(Strategy.class);
        long[] stackArgumentCases = {0};
        AtomicLong count = RUN.get(isa);
        try (Harness h = Harness.start(isa)) {
            while (count.get() < CASES / 2) {
                qt().withExamples(2_000).forAll(ExecScenario.scenarios(h)).checkAssert(s -> {
                    List<Harness.Case> cases = Differential.cases(s, PatchOptions.defaults());
                    List<Harness.Result> results = h.run(cases);
                    io.github.pvpatch.PatchPlan plan = io.github.pvpatch.PatchPlan.of(s.freshCode(), s.sites, s.ops,
                            PatchOptions.defaults().withNops(s.nops).withMode(PatchOptions.Mode.LENIENT));
                    for (Harness.Result r : results) {
                        String why = Differential.mismatch(r);
                        if (why != null) {
                            MISMATCHES.incrementAndGet();
                        }
                        assertNull(why, () -> why + "\n  at " + r.input().site() + "\n  original " + r.original()
                                + "\n  patched  " + r.patched() + "\n  " + s);
                        count.incrementAndGet();
                        Outcomes.strategy(plan.outcome(s.sites.indexOf(r.input().site())))
                                .ifPresent(st -> reached.merge(st, 1L, Long::sum));
                        if (r.input().site().stackArguments() > 0) {
                            stackArgumentCases[0]++;
                        }
                    }
                });
            }
        }
        // The generators must keep reaching every strategy, or the property proves less than it says.
        EnumSet<Strategy> want = EnumSet.allOf(Strategy.class);
        if (isa == Isa.X86_32) {
            want.remove(Strategy.DIRECT_CALL_IN_PLACE);
        }
        assertTrue(reached.keySet().containsAll(want), "strategies executed on " + isa + ": " + reached);
        assertTrue(stackArgumentCases[0] > 100, "stack-argument cases: " + stackArgumentCases[0]);
        System.out.printf("differential %s: %d cases, by strategy %s%n", isa.displayName(), count.get(), reached);
    }

    @AfterAll
    static void summary() {
        long a = RUN.get(Isa.X86_64).get();
        long b = RUN.get(Isa.X86_32).get();
        System.out.printf("differential: %d cases (x86-64 %d, i386 %d), %d mismatches%n", a + b, a, b,
                MISMATCHES.get());
    }
}
