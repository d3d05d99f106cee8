package io.github.pvpatch;

import static io.github.pvpatch.testing.Generators.examples;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;

import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Hex;
import io.github.pvpatch.testing.Outcomes;
import io.github.pvpatch.testing.Scenario;
import org.junit.jupiter.api.Test;

/** A {@link Journal} serves a {@link PatchPass} as it serves a {@link PatchPlan}. */
class PassJournalProperties {
    @Test
    void aPassesJournalRevertsAndRepatchesLikeAPlansJournal() {
        qt().withExamples(Math.max(50, examples() / 4)).forAll(Generators.allScenarios()).checkAssert((Scenario s) -> {
            PatchOptions lenient = PatchOptions.defaults().withNops(s.nops).withMode(PatchOptions.Mode.LENIENT);
            byte[] text = s.text();
            CodeBuffer code = CodeBuffer.wrap(text, s.base);
            PatchPass pass = PatchPass.of(lenient);
            pass.apply(code, SiteTable.of(s.isa, s.sites), s.ops);
            Journal j = pass.journal();
            assertThrows(IllegalStateException.class, pass::revert, "the journal owns the batch now");
            PatchPlan plan = PatchPlan.of(s.freshCode(), s.sites, s.ops, lenient);
            for (int i = 0; i < s.sites.size(); i++) {
                assertEquals(plan.outcome(i), j.plan().outcome(i));
                assertEquals(Hex.of(plan.originalBytes(i)), Hex.of(j.plan().originalBytes(i)));
                assertEquals(Hex.of(plan.patchedBytes(i)), Hex.of(j.plan().patchedBytes(i)));
                assertEquals(Outcomes.reason(plan.outcome(i)).map(PatchBug::getMessage),
                        Outcomes.reason(j.plan().outcome(i)).map(PatchBug::getMessage));
            }
            // Re-patching for other ops writes what a fresh patch of the original code would.
            OpsTable other = s.ops.without(s.sites.get(0).type());
            byte[] fresh = s.text();
            PatchPlan.of(CodeBuffer.wrap(fresh, s.base), s.sites, other, lenient).apply();
            Journal k = j.repatch(other, lenient);
            assertArrayEquals(fresh, text, s::toString);
            k.revert();
            assertArrayEquals(s.text(), text, s::toString);
        });
    }
}
