package io.github.pvpatch;

import static io.github.pvpatch.testing.Generators.examples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Hex;
import io.github.pvpatch.testing.Scenario;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The one engine behind {@link PatchPlan} and {@link PatchPass}: its template cache changes
 * nothing (the standard patcher, cached, gives exactly what the same patcher behind a decorator,
 * never cached, gives: bytes, strategies and refusal messages), a pass kept warm across many
 * batches agrees with a fresh plan of each, and a pass and a plan agree on their refusal messages
 * with custom patchers and checks too.
 */
class EngineProperties {
    /** The standard patcher behind a decorator: the engine cannot tell, so it never caches. */
    private static final Patcher UNCACHED = new Patcher() {
        @Override
        public Strategy patch(PatchSite site, Op op, SiteWriter out) {
            return Patcher.standard().patch(site, op, out);
        }

        @Override
        public String toString() {
            return "uncached standard";
        }
    };

    private static List<String> messages(List<PatchBug> bugs) {
        List<String> out = new ArrayList<>();
        for (PatchBug b : bugs) {
            out.add(b.getMessage());
        }
        return out;
    }

    private static void assertSamePlan(PatchPlan want, PatchPlan got, Scenario s) {
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.outcome(i), got.outcome(i), s::toString);
            assertEquals(Hex.of(want.patchedBytes(i)), Hex.of(got.patchedBytes(i)), s::toString);
        }
        assertEquals(messages(want.problems()), messages(got.problems()), s::toString);
    }

    @Test
    void theTemplateCacheChangesNothing() {
        AtomicLong sites = new AtomicLong();
        qt().withExamples(examples()).forAll(Generators.allScenarios()).checkAssert((Scenario s) -> {
            // Each site twice: the code copied once more right after itself, so that the second copy
            // of every site (same shape, another address) is stamped from a template.
            byte[] text = s.text();
            byte[] doubled = new byte[2 * text.length];
            System.arraycopy(text, 0, doubled, 0, text.length);
            System.arraycopy(text, 0, doubled, text.length, text.length);
            List<PatchSite> twice = new ArrayList<>(s.sites);
            for (PatchSite p : s.sites) {
                twice.add(p.withAddress(p.address() + text.length));
            }
            for (PatchOptions.Mode mode : PatchOptions.Mode.values()) {
                PatchOptions cached = PatchOptions.defaults().withNops(s.nops).withMode(mode);
                PatchOptions uncached = cached.withPatcher(UNCACHED);
                PatchPlan want;
                try {
                    want = PatchPlan.of(CodeBuffer.wrap(doubled.clone(), s.base), twice, s.ops, uncached);
                } catch (PatchBug e) {
                    PatchBug got = assertThrows(PatchBug.class,
                            () -> PatchPlan.of(CodeBuffer.wrap(doubled.clone(), s.base), twice, s.ops, cached));
                    assertEquals(e.getMessage(), got.getMessage());
                    continue;
                } catch (IllegalArgumentException e) {
                    return;   // the copy would run past the top of the address space
                }
                assertSamePlan(want, PatchPlan.of(CodeBuffer.wrap(doubled.clone(), s.base), twice, s.ops, cached), s);
                sites.addAndGet(twice.size());
            }
        });
        assertTrue(sites.get() >= examples(), "sites compared: " + sites.get());
    }

    @Test
    void aWarmPassAgreesWithAFreshPlanOfEveryBatch() {
        PatchPass warm = PatchPass.of(PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT));
        AtomicLong compared = new AtomicLong();
        qt().withExamples(examples()).forAll(Generators.allScenarios()).checkAssert((Scenario s) -> {
            if (s.nops != PatchOptions.defaults().nops()) {
                return;
            }
            PatchPlan plan = PatchPlan.of(s.freshCode(), s.sites, s.ops, PatchOptions.defaults()
                    .withMode(PatchOptions.Mode.LENIENT).withPatcher(UNCACHED));
            byte[] text = s.text();
            warm.apply(CodeBuffer.wrap(text, s.base), SiteTable.of(s.isa, s.sites), s.ops);
            for (int i = 0; i < s.sites.size(); i++) {
                int at = s.offsetOf(s.sites.get(i));
                assertEquals(plan.outcome(i), warm.outcome(i), s::toString);
                assertEquals(Hex.of(plan.patchedBytes(i)), Hex.of(text, at, at + s.sites.get(i).length()), s::toString);
            }
            assertEquals(messages(plan.problems()), messages(warm.problems()), s::toString);
            compared.incrementAndGet();
        });
        assertTrue(compared.get() >= examples() / 10, "batches compared: " + compared.get());
    }

    @Test
    void aPassAndAPlanRefuseAlikeWithCustomPatchersAndChecks() {
        SiteCheck refuseNops = new SiteCheck() {
            @Override
            public void checkOriginal(PatchSite site, Op op, byte[] original) {
            }

            @Override
            public void checkPatched(PatchSite site, Op op, Strategy strategy, byte[] original, byte[] patched) {
                if (strategy == Strategy.NOP_PAD && (site.address() & 1) == 1) {
                    throw PatchBug.of(Violation.OUTPUT_MISMATCH, site, 0, 0, "odd NOP pads refused by the test");
                }
            }
        };
        AtomicLong refusals = new AtomicLong();
        qt().withExamples(examples()).forAll(Generators.allScenarios()).checkAssert((Scenario s) -> {
            for (Patcher patcher : List.of(Patcher.directBranch(), Patcher.inlineNative(), UNCACHED)) {
                for (PatchOptions.Mode mode : PatchOptions.Mode.values()) {
                    PatchOptions options = PatchOptions.defaults().withNops(s.nops).withMode(mode)
                            .withPatcher(patcher).withCheck(refuseNops);
                    PatchPlan plan;
                    try {
                        plan = PatchPlan.of(s.freshCode(), s.sites, s.ops, options);
                    } catch (PatchBug e) {
                        PatchBug got = assertThrows(PatchBug.class, () -> PatchPass.of(options)
                                .apply(s.freshCode(), SiteTable.of(s.isa, s.sites), s.ops));
                        assertEquals(e.getMessage(), got.getMessage());
                        refusals.incrementAndGet();
                        continue;
                    }
                    PatchPass pass = PatchPass.of(options);
                    pass.apply(s.freshCode(), SiteTable.of(s.isa, s.sites), s.ops);
                    assertEquals(messages(plan.problems()), messages(pass.problems()), s::toString);
                    refusals.addAndGet(plan.problems().size());
                }
            }
        });
        assertTrue(refusals.get() >= examples(), "refusals compared: " + refusals.get());
    }
}
