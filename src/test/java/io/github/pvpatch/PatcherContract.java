package io.github.pvpatch;

import static io.github.pvpatch.testing.Generators.examples;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Hex;
import io.github.pvpatch.testing.Outcomes;
import io.github.pvpatch.testing.ReferenceModel;
import io.github.pvpatch.testing.Scenario;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * The properties every patcher must have. A strategy's test class implements this interface and
 * gets the whole suite; failures shrink to a minimal scenario (fewest sites, smallest values).
 */
interface PatcherContract {

    /** {@return the patcher under test} */
    Patcher patcher();

    /** {@return the model of what it must do} */
    ReferenceModel.Policy policy();

    /** {@return the op kinds scenarios mostly hold; others appear too, to check refusals} */
    Set<Class<? extends Op>> opKinds();

    private Gen<Scenario> scenarios() {
        Gen<Scenario> mostly = Generators.scenarios(opKinds());
        return mostly.mix(Generators.allScenarios(), 25);
    }

    private PatchOptions options(Scenario s, PatchOptions.Mode mode) {
        return PatchOptions.defaults().withPatcher(patcher()).withNops(s.nops).withMode(mode);
    }

    @Test
    default void everySiteGetsWhatTheReferenceModelSays() {
        qt().withExamples(examples()).forAll(scenarios()).checkAssert(s -> {
            PatchPlan plan = PatchPlan.of(s.freshCode(), s.sites, s.ops, options(s, PatchOptions.Mode.LENIENT));
            for (int i = 0; i < s.sites.size(); i++) {
                ReferenceModel.Outcome want = ReferenceModel.expect(s, i, policy());
                String where = "site " + i + " of " + s;
                if (want.violation() != null) {
                    assertEquals(want.violation(), Outcomes.reason(plan.outcome(i)).orElseThrow().violation(), where);
                    assertArrayEquals(plan.originalBytes(i), plan.patchedBytes(i), where);
                } else {
                    assertEquals(SiteOutcome.patched(want.strategy()), plan.outcome(i), where);
                    assertEquals(Hex.of(want.bytes()), Hex.of(plan.patchedBytes(i)), where);
                }
            }
        });
    }

    @Test
    default void strictModeThrowsTheFirstBrokenRuleAndWritesNothing() {
        qt().withExamples(examples()).forAll(scenarios()).checkAssert(s -> {
            Violation first = null;
            PatchSite firstSite = null;
            for (int i = 0; i < s.sites.size() && first == null; i++) {
                first = ReferenceModel.expect(s, i, policy()).violation();
                firstSite = s.sites.get(i);
            }
            byte[] text = s.text();
            CodeBuffer code = CodeBuffer.wrap(text, s.base);
            if (first == null) {
                PatchPlan.of(code, s.sites, s.ops, options(s, PatchOptions.Mode.STRICT)).apply();
                return;
            }
            PatchBug bug = assertThrows(PatchBug.class,
                    () -> PatchPlan.of(code, s.sites, s.ops, options(s, PatchOptions.Mode.STRICT)).apply());
            assertEquals(first, bug.violation(), s.toString());
            assertEquals(firstSite, bug.site());
            assertTrue(bug.getMessage().contains(firstSite.toString()), bug.getMessage());
            assertArrayEquals(s.text(), text, "a refused batch leaves every byte as it was");
        });
    }

    @Test
    default void patchingWritesEverySiteExactlyAndNothingOutside() {
        qt().withExamples(examples()).forAll(scenarios()).checkAssert(s -> {
            byte[] text = s.text();
            PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(text, s.base), s.sites, s.ops,
                    options(s, PatchOptions.Mode.LENIENT));
            plan.apply();
            boolean[] inSite = new boolean[text.length];
            for (int i = 0; i < s.sites.size(); i++) {
                PatchSite site = s.sites.get(i);
                int at = s.offsetOf(site);
                byte[] written = java.util.Arrays.copyOfRange(text, at, at + site.length());
                assertArrayEquals(plan.patchedBytes(i), written);
                assertEquals(site.length(), plan.patchedBytes(i).length);
                java.util.Arrays.fill(inSite, at, at + site.length(), true);
            }
            byte[] original = s.text();
            for (int k = 0; k < text.length; k++) {
                if (!inSite[k]) {
                    assertEquals(original[k], text[k], "byte at +" + k + " is outside every site");
                }
            }
        });
    }

    @Test
    default void patchingTwiceGivesTheSameBytes() {
        qt().withExamples(examples()).forAll(scenarios()).checkAssert(s -> {
            byte[] text = s.text();
            CodeBuffer code = CodeBuffer.wrap(text, s.base);
            PatchPlan.of(code, s.sites, s.ops, options(s, PatchOptions.Mode.LENIENT)).apply();
            byte[] once = text.clone();
            PatchPlan.of(code, s.sites, s.ops, options(s, PatchOptions.Mode.LENIENT)).apply();
            assertEquals(Hex.of(once), Hex.of(text), s.toString());
        });
    }

    @Test
    default void revertRestoresTheOriginal() {
        qt().withExamples(examples()).forAll(scenarios()).checkAssert(s -> {
            byte[] text = s.text();
            Journal j = PatchPlan.of(CodeBuffer.wrap(text, s.base), s.sites, s.ops,
                    options(s, PatchOptions.Mode.LENIENT)).apply();
            j.revert();
            assertArrayEquals(s.text(), text);
        });
    }

    @Test
    default void repatchingGivesTheBytesOfAFreshPatch() {
        Gen<Scenario> pairs = scenarios();
        qt().withExamples(examples()).forAll(pairs, pairs).checkAssert((s, other) -> {
            // Same code and sites, a second ops table: the ops of another scenario of the same ISA.
            OpsTable next = other.isa == s.isa ? other.ops : s.ops.without(0);
            byte[] text = s.text();
            Journal j = PatchPlan.of(CodeBuffer.wrap(text, s.base), s.sites, s.ops,
                    options(s, PatchOptions.Mode.LENIENT)).apply();
            Journal k = j.repatch(next);
            byte[] fresh = s.text();
            PatchPlan.of(CodeBuffer.wrap(fresh, s.base), s.sites, next, options(s, PatchOptions.Mode.LENIENT)).apply();
            assertEquals(Hex.of(fresh), Hex.of(text), s.toString());
            assertNotNull(k);
            k.revert();
            assertArrayEquals(s.text(), text);
        });
    }

    /**
     * The disassembler agrees with the patcher on every site: a verified plan has exactly the
     * outcome of an unverified one, so the verifier accepts every unpatched site the generators
     * build and every output the patcher writes (natives are the kernel's real sequences here;
     * random bytes are no instructions, and the verifier rightly refuses them).
     */
    @Test
    default void verifierAcceptsEverythingThePatcherWrites() {
        qt().withExamples(examples()).forAll(scenarios().map(Generators::withRealNatives)).checkAssert(s -> {
            java.util.Map<PatchSite, UnpatchedForm> forms = new java.util.HashMap<>();
            for (int i = 0; i < s.sites.size(); i++) {
                forms.put(s.sites.get(i), UnpatchedForm.of(s.isa, s.table).withSlotClobbers(s.saves.get(i)));
            }
            io.github.pvpatch.verify.SiteVerifier verifier = io.github.pvpatch.verify.SiteVerifier.perSite(forms::get);
            PatchPlan plain = PatchPlan.of(s.freshCode(), s.sites, s.ops, options(s, PatchOptions.Mode.LENIENT));
            PatchPlan checked = PatchPlan.of(s.freshCode(), s.sites, s.ops,
                    options(s, PatchOptions.Mode.LENIENT).withCheck(verifier));
            for (int i = 0; i < s.sites.size(); i++) {
                String where = "site " + i + " of " + s
                        + Outcomes.reason(checked.outcome(i)).map(b -> "\n" + b.getMessage()).orElse("");
                assertEquals(Outcomes.strategy(plain.outcome(i)), Outcomes.strategy(checked.outcome(i)), where);
                assertEquals(Outcomes.reason(plain.outcome(i)).map(PatchBug::violation),
                        Outcomes.reason(checked.outcome(i)).map(PatchBug::violation), where);
                assertEquals(Hex.of(plain.patchedBytes(i)), Hex.of(checked.patchedBytes(i)), where);
            }
            verifier.verify(checked);
        });
    }
}
