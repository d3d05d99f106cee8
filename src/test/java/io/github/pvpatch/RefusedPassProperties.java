package io.github.pvpatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Hex;
import io.github.pvpatch.testing.Scenario;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A refused pass changes nothing, whenever it comes: every sequence of four steps (apply, two
 * kinds of refused pass, revert), in every order, on generated scenarios, for {@link PatchPass},
 * {@link PatchPlan} and {@link Journal}. After each step the code must hold what a model says:
 * a successful step writes what a fresh plan of the code as it is writes, a refused one writes
 * nothing, and a revert restores the bytes from before the last applied step. The refused passes
 * fail on the scenario's last site, after the earlier sites' bytes were read, so a pass that
 * reused the array holding the applied pass's original bytes would be caught.
 */
class RefusedPassProperties {
    private static final int STEPS = 4;
    private static final int LETTERS = 4;
    /** How many scenarios each property runs every order on. */
    private static final int SCENARIOS = Math.max(10, Generators.examples() / 50);
    private static final PatchOptions LENIENT = PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT);

    /** Runs {@code body} on every sequence of {@link #STEPS} letters. */
    private interface Sequence {
        void run(int[] letters);
    }

    private static void everyOrder(Sequence body) {
        int total = 1;
        for (int i = 0; i < STEPS; i++) {
            total *= LETTERS;
        }
        for (int n = 0; n < total; n++) {
            int[] letters = new int[STEPS];
            for (int i = 0, v = n; i < STEPS; i++, v /= LETTERS) {
                letters[i] = v % LETTERS;
            }
            body.run(letters);
        }
    }

    /** {@return the scenario's sites, and after them one site past the end of its code} */
    private static List<PatchSite> withOneOutside(Scenario s, int codeLength) {
        List<PatchSite> sites = new ArrayList<>(s.sites);
        sites.add(PatchSite.of(s.isa, s.base + codeLength + 64, 6, 0, ClobberSet.none()));
        return sites;
    }

    /** {@return the scenario's ops without the op of its last site: a strict pass is refused there} */
    private static OpsTable missingLast(Scenario s) {
        return s.ops.without(s.sites.get(s.sites.size() - 1).type());
    }

    /** {@return the bytes a fresh plan writes over {@code model}, or null when planning is refused} */
    private static byte[] oracle(Scenario s, byte[] model, List<PatchSite> sites, OpsTable ops, PatchOptions options) {
        byte[] copy = model.clone();
        try {
            PatchPlan.of(CodeBuffer.wrap(copy, s.base), sites, ops, options.withNops(s.nops)).apply();
            return copy;
        } catch (PatchBug | IllegalStateException e) {
            return null;
        }
    }

    @Test
    void aRefusedPassNeverCostsThePassItsRevert() {
        AtomicLong interesting = new AtomicLong();
        qt().withExamples(SCENARIOS).forAll(Generators.allScenarios()).checkAssert((Scenario s) -> {
            for (PatchOptions.Mode mode : PatchOptions.Mode.values()) {
                PatchOptions options = PatchOptions.defaults().withMode(mode).withNops(s.nops);
                everyOrder(letters -> {
                    byte[] text = s.text();
                    CodeBuffer code = CodeBuffer.wrap(text, s.base);
                    PatchPass pass = PatchPass.of(options);
                    byte[] model = text.clone();
                    byte[] revertTo = null;
                    boolean refusedSinceApply = false;
                    for (int step : letters) {
                        Map<Strategy, Integer> counts = pass.countByStrategy();
                        List<PatchSite> sites = step == 1 ? withOneOutside(s, text.length) : s.sites;
                        OpsTable ops = step == 2 ? missingLast(s) : s.ops;
                        if (step == 3) {
                            if (revertTo == null) {
                                assertThrows(IllegalStateException.class, pass::revert);
                            } else {
                                pass.revert();
                                model = revertTo;
                                revertTo = null;
                                if (refusedSinceApply) {
                                    interesting.incrementAndGet();
                                }
                            }
                        } else {
                            byte[] want = oracle(s, model, sites, ops, options);
                            SiteTable table = SiteTable.of(s.isa, sites);
                            if (want == null) {
                                assertThrows(PatchBug.class, () -> pass.apply(code, table, ops), s::toString);
                                assertEquals(counts, pass.countByStrategy(), "a refused pass reports the last applied one");
                                refusedSinceApply = revertTo != null;
                            } else {
                                pass.apply(code, table, ops);
                                revertTo = model;
                                model = want;
                                refusedSinceApply = false;
                            }
                        }
                        assertArrayEquals(model, text, () -> java.util.Arrays.toString(letters) + " " + s);
                    }
                });
            }
        });
        assertTrue(interesting.get() >= SCENARIOS, "apply, refusal, revert sequences that ran: " + interesting.get());
    }

    @Test
    void aRefusedPlanOrApplyNeverCostsAJournalItsRevert() {
        AtomicLong interesting = new AtomicLong();
        qt().withExamples(SCENARIOS).forAll(Generators.allScenarios()).checkAssert((Scenario s) -> {
            PatchOptions lenient = LENIENT.withNops(s.nops);
            PatchOptions strict = PatchOptions.defaults().withNops(s.nops);
            everyOrder(letters -> {
                byte[] text = s.text();
                CodeBuffer code = CodeBuffer.wrap(text, s.base);
                Deque<Journal> journals = new ArrayDeque<>();
                Deque<byte[]> before = new ArrayDeque<>();
                PatchPlan last = null;
                boolean refusedSinceApply = false;
                for (int step : letters) {
                    byte[] now = text.clone();
                    switch (step) {
                        case 0: {     // plan and apply
                            PatchPlan plan = PatchPlan.of(code, s.sites, s.ops, lenient);
                            journals.push(plan.apply());
                            before.push(now);
                            last = plan;
                            refusedSinceApply = false;
                            break;
                        }
                        case 1: {     // a plan refused on its last site
                            if (oracle(s, now, s.sites, missingLast(s), strict) == null) {
                                assertThrows(PatchBug.class, () -> PatchPlan.of(code, s.sites, missingLast(s), strict));
                                assertArrayEquals(now, text, "a refused plan writes nothing");
                                refusedSinceApply = !journals.isEmpty();
                            }
                            break;
                        }
                        case 2: {     // applying the last plan again: refused unless its bytes are back
                            if (last == null) {
                                break;
                            }
                            byte[] planned = now.clone();
                            for (int i = 0; i < last.size(); i++) {
                                PatchSite site = last.sites().get(i);
                                System.arraycopy(last.originalBytes(i), 0, planned, s.offsetOf(site), site.length());
                            }
                            if (java.util.Arrays.equals(planned, now)) {
                                journals.push(last.apply());
                                before.push(now);
                            } else {
                                PatchPlan stale = last;
                                assertThrows(IllegalStateException.class, stale::apply);
                                assertArrayEquals(now, text, "a refused apply writes nothing");
                                refusedSinceApply = !journals.isEmpty();
                            }
                            break;
                        }
                        default: {    // revert the newest live journal
                            if (journals.isEmpty()) {
                                break;
                            }
                            journals.pop().revert();
                            assertArrayEquals(before.pop(), text, () -> java.util.Arrays.toString(letters) + " " + s);
                            if (refusedSinceApply) {
                                interesting.incrementAndGet();
                            }
                            refusedSinceApply = false;
                            break;
                        }
                    }
                }
            });
        });
        assertTrue(interesting.get() >= SCENARIOS, "apply, refusal, revert sequences that ran: " + interesting.get());
    }

    @Test
    void aRefusedRepatchNeverCostsAJournalItsRevert() {
        AtomicLong interesting = new AtomicLong();
        qt().withExamples(SCENARIOS).forAll(Generators.allScenarios()).checkAssert((Scenario s) -> {
            PatchOptions lenient = LENIENT.withNops(s.nops);
            PatchOptions strict = PatchOptions.defaults().withNops(s.nops);
            OpsTable other = s.ops.without(s.sites.get(0).type());
            everyOrder(letters -> {
                byte[] text = s.text();
                byte[] original = s.text();
                CodeBuffer code = CodeBuffer.wrap(text, s.base);
                Journal j = null;
                boolean refusedSinceApply = false;
                for (int step : letters) {
                    byte[] now = text.clone();
                    if (step == 0) {             // apply, or re-patch for other ops
                        if (j == null || !j.isLive()) {
                            j = PatchPlan.of(code, s.sites, s.ops, lenient).apply();
                            refusedSinceApply = false;
                            assertArrayEquals(oracle(s, original, s.sites, s.ops, lenient), text);
                        } else {
                            j = j.repatch(other, lenient);
                            assertArrayEquals(oracle(s, original, s.sites, other, lenient), text);
                        }
                    } else if (step == 1 || step == 2) {   // a re-patch refused on the last site, two ways
                        if (j == null || !j.isLive()) {
                            continue;
                        }
                        Journal live = j;
                        OpsTable ops = step == 1 ? missingLast(s) : OpsTable.empty();
                        if (oracle(s, original, s.sites, ops, strict) == null) {
                            assertThrows(PatchBug.class, () -> live.repatch(ops, strict));
                            assertTrue(live.isLive(), "a refused re-patch keeps the journal live");
                            assertArrayEquals(now, text, "a refused re-patch writes nothing");
                            refusedSinceApply = true;
                        }
                    } else {                      // revert
                        if (j == null || !j.isLive()) {
                            if (j != null) {
                                Journal dead = j;
                                assertThrows(IllegalStateException.class, dead::revert);
                            }
                            continue;
                        }
                        j.revert();
                        assertFalse(j.isLive());
                        assertArrayEquals(original, text, () -> java.util.Arrays.toString(letters) + " "
                                + Hex.of(text) + " " + s);
                        if (refusedSinceApply) {
                            interesting.incrementAndGet();
                        }
                        refusedSinceApply = false;
                    }
                }
            });
        });
        assertTrue(interesting.get() >= SCENARIOS, "apply, refusal, revert sequences that ran: " + interesting.get());
    }
}
