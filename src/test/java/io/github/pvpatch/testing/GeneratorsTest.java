package io.github.pvpatch.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import io.github.pvpatch.Strategy;
import io.github.pvpatch.Violation;
import io.github.pvpatch.arch.Isa;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Guards the property suites: if the generators stopped producing some outcome, every property
 * about it would pass without testing anything.
 */
class GeneratorsTest {

    @Test
    void scenariosReachEveryStrategyAndEveryPerSiteRule() {
        Map<Strategy, Integer> strategies = new EnumMap<>(Strategy.class);
        Map<Violation, Integer> violations = new EnumMap<>(Violation.class);
        Map<Isa, Integer> isas = new EnumMap<>(Isa.class);
        int[] scenarios = {0};
        qt().withExamples(5000).forAll(Generators.allScenarios()).checkAssert(s -> {
            scenarios[0]++;
            isas.merge(s.isa, 1, Integer::sum);
            for (int i = 0; i < s.sites.size(); i++) {
                ReferenceModel.Outcome o = ReferenceModel.expect(s, i, ReferenceModel.Policy.STANDARD);
                if (o.violation() != null) {
                    violations.merge(o.violation(), 1, Integer::sum);
                } else {
                    strategies.merge(o.strategy(), 1, Integer::sum);
                }
            }
        });
        System.out.printf("generated %d scenarios: %s %s %s%n", scenarios[0], isas, strategies, violations);
        assertEquals(5000, scenarios[0]);
        EnumSet<Strategy> made = EnumSet.allOf(Strategy.class);
        assertEquals(made, strategies.keySet(), "strategies reached");
        EnumSet<Violation> perSite = EnumSet.of(Violation.SITE_TOO_SHORT, Violation.OP_MISSING,
                Violation.OP_KIND_MISMATCH, Violation.CODE_TOO_LONG, Violation.NATIVE_CLOBBERS_KEPT_REGISTER,
                Violation.SAVES_DO_NOT_FIT, Violation.SAVES_WITH_STACK_ARGUMENTS, Violation.TARGET_OUT_OF_REACH);
        assertTrue(violations.keySet().containsAll(perSite), "violations reached: " + violations.keySet());
        assertEquals(2, isas.size());
        for (Integer n : strategies.values()) {
            assertTrue(n >= 20, "each strategy at least 20 times: " + strategies);
        }
    }

    @Test
    void examplesComeFromTheBuildProperty() {
        assertTrue(Generators.examples() >= 100, "pvpatch.examples=" + Generators.examples());
    }
}
