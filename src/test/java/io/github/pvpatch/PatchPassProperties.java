package io.github.pvpatch;

import static io.github.pvpatch.testing.Generators.examples;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;

import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Hex;
import io.github.pvpatch.testing.Scenario;
import org.junit.jupiter.api.Test;

/** A pass over a table does exactly what a plan over the same sites does. One pass object serves every example. */
class PatchPassProperties {
    private final PatchPass lenient = PatchPass.of(PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT));

    @Test
    void aPassWritesWhatAPlanWritesAndRevertRestores() {
        qt().withExamples(examples()).forAll(Generators.allScenarios()).checkAssert((Scenario s) -> {
            PatchOptions options = PatchOptions.defaults().withNops(s.nops).withMode(PatchOptions.Mode.LENIENT);
            PatchPlan plan = PatchPlan.of(s.freshCode(), s.sites, s.ops, options);
            byte[] text = s.text();
            CodeBuffer code = CodeBuffer.wrap(text, s.base);
            PatchPass pass = s.nops == PatchOptions.defaults().nops() ? lenient : PatchPass.of(options);
            pass.apply(code, SiteTable.of(s.isa, s.sites), s.ops);
            for (int i = 0; i < s.sites.size(); i++) {
                assertEquals(plan.outcome(i), pass.outcome(i), s.toString());
                int at = s.offsetOf(s.sites.get(i));
                assertEquals(Hex.of(plan.patchedBytes(i)), Hex.of(text, at, at + s.sites.get(i).length()), s.toString());
            }
            assertEquals(plan.problems().size(), pass.problems().size());
            for (int i = 0; i < plan.problems().size(); i++) {
                assertEquals(plan.problems().get(i).getMessage(), pass.problems().get(i).getMessage());
            }
            assertEquals(plan.countByStrategy(), pass.countByStrategy());
            pass.revert();
            assertArrayEquals(s.text(), text);
        });
    }

    @Test
    void aStrictPassThrowsWhatAPlanThrowsAndWritesNothing() {
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        qt().withExamples(examples()).forAll(Generators.allScenarios()).checkAssert((Scenario s) -> {
            PatchOptions options = PatchOptions.defaults().withNops(s.nops);
            PatchBug planBug = null;
            try {
                PatchPlan.of(s.freshCode(), s.sites, s.ops, options);
            } catch (PatchBug e) {
                planBug = e;
            }
            byte[] text = s.text();
            PatchPass pass = PatchPass.of(options);
            if (planBug == null) {
                pass.apply(CodeBuffer.wrap(text, s.base), SiteTable.of(s.isa, s.sites), s.ops);
                return;
            }
            refused.incrementAndGet();
            PatchBug passBug = assertThrows(PatchBug.class,
                    () -> pass.apply(CodeBuffer.wrap(text, s.base), SiteTable.of(s.isa, s.sites), s.ops));
            assertEquals(planBug.getMessage(), passBug.getMessage());
            assertArrayEquals(s.text(), text, "a refused pass leaves every byte as it was");
            assertThrows(IllegalStateException.class, pass::revert);
        });
        // Refusals are what this property is about: too few of them and it proves little.
        org.junit.jupiter.api.Assertions.assertTrue(refused.get() >= examples() / 20, "refused examples: " + refused.get());
    }
}
