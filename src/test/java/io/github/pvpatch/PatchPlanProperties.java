package io.github.pvpatch;

import static io.github.pvpatch.testing.Generators.examples;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Hex;
import io.github.pvpatch.testing.Scenario;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Properties of whole batches, whatever the patcher. */
class PatchPlanProperties {
    private static final PatchOptions LENIENT = PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT);

    @Test
    void aSiteOverlappingAnotherRefusesTheWholeBatchEvenWhenLenient() {
        qt().withExamples(examples()).forAll(Generators.allScenarios(), integers().between(0, 1000))
                .checkAssert((s, pick) -> {
                    PatchSite victim = s.sites.get(pick % s.sites.size());
                    int shift = pick % victim.length();
                    int len = Math.max(1, Math.min(victim.length() - shift, 1 + pick % 9));
                    PatchSite intruder = PatchSite.of(s.isa, victim.address() + shift, len, 0, ClobberSet.none());
                    List<PatchSite> sites = new ArrayList<>(s.sites);
                    sites.add(pick % (sites.size() + 1), intruder);
                    byte[] text = s.text();
                    PatchBug bug = assertThrows(PatchBug.class,
                            () -> PatchPlan.of(CodeBuffer.wrap(text, s.base), sites, s.ops, LENIENT));
                    assertEquals(Violation.SITES_OVERLAP, bug.violation());
                    assertArrayEquals(s.text(), text);
                });
    }

    @Test
    void aSiteOutsideTheBufferRefusesTheWholeBatch() {
        qt().withExamples(examples()).forAll(Generators.allScenarios(), integers().between(1, 64))
                .checkAssert((s, past) -> {
                    byte[] text = s.text();
                    CodeBuffer code = CodeBuffer.wrap(text, s.base);
                    List<PatchSite> sites = new ArrayList<>(s.sites);
                    sites.add(PatchSite.of(s.isa, code.endAddress() - 6 + past, 6, 0, ClobberSet.none()));
                    PatchBug bug = assertThrows(PatchBug.class, () -> PatchPlan.of(code, sites, s.ops, LENIENT));
                    assertEquals(Violation.SITE_OUTSIDE_BUFFER, bug.violation());
                    assertEquals(Math.max(0, 6 - past), bug.available());
                    assertArrayEquals(s.text(), text);
                });
    }

    @Test
    void theOrderOfSitesDoesNotChangeTheBytes() {
        qt().withExamples(examples()).forAll(Generators.allScenarios()).checkAssert(s -> {
            byte[] forward = s.text();
            PatchPlan.of(CodeBuffer.wrap(forward, s.base), s.sites, s.ops, LENIENT).apply();
            Scenario r = s.reversed();
            byte[] backward = r.text();
            PatchPlan.of(CodeBuffer.wrap(backward, r.base), r.sites, r.ops, LENIENT).apply();
            assertEquals(Hex.of(forward), Hex.of(backward));
        });
    }

    @Test
    void aChangeAtAnySiteAfterPlanningBlocksTheWholeApply() {
        qt().withExamples(examples()).forAll(Generators.allScenarios(), integers().between(0, 10_000))
                .checkAssert((s, pick) -> {
                    byte[] text = s.text();
                    PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(text, s.base), s.sites, s.ops, LENIENT);
                    PatchSite hit = s.sites.get(pick % s.sites.size());
                    text[s.offsetOf(hit) + pick % hit.length()] ^= (byte) (1 + pick % 255);
                    byte[] before = text.clone();
                    assertThrows(IllegalStateException.class, plan::apply);
                    assertArrayEquals(before, text);
                });
    }
}
