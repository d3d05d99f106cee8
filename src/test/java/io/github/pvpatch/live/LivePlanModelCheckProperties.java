package io.github.pvpatch.live;

import static io.github.pvpatch.testing.Generators.examples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Violation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Scenario;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The model check: for generated sites, ops and both ISAs, every transition (patch, re-patch,
 * revert of a re-patch, revert of a patch) is planned, and every live plan is replayed by
 * {@link ModelCheck} over every intermediate memory state and every point a CPU may be at. Every
 * plan refused as quiescent must say why with the new violation, and its reason must be real: the
 * same bytes written by the int3 protocol anyway fail the model check.
 */
class LivePlanModelCheckProperties {
    private static final ModelCheck CHECK = new ModelCheck();
    private static final Map<Isa, Map<Transition, int[]>> SEEN = new EnumMap<>(Isa.class);
    /** One-byte re-patches planned live and quiescent. */
    private static final int[] ONE_BYTE = new int[2];

    @Test
    void everyLivePlanIsSafeInEveryIntermediateStateOnBothIsas() {
        qt().withExamples(examples()).forAll(Generators.scenarios(), integers().between(1, Generators.TYPES - 1))
                .checkAssert((s, shift) -> {
                    PatchOptions options = PatchOptions.defaults().withNops(s.nops).withMode(PatchOptions.Mode.LENIENT);
                    PatchPlan first = PatchPlan.of(s.freshCode(), s.sites, s.ops, options);
                    OpsTable other = rotated(s.ops, shift);
                    WritePlan patch = WritePlan.patch(first);
                    WritePlan repatch = patch.after().toOps(other, options);
                    WritePlan revertRepatch = repatch.after().toOriginal();
                    WritePlan revertPatch = patch.after().toOriginal();
                    verify(s, patch, List.of());
                    verify(s, repatch, since(List.of(patch)));
                    verify(s, revertRepatch, since(List.of(patch, repatch)));
                    verify(s, revertPatch, since(List.of(patch)));
                    // One byte after the first changed in every site: the change a CPU fetching the
                    // instruction must not see unsynchronized (the model check's XMC rule).
                    WritePlan oneByte = patch.after().toBytes(oneByteChanged(patch.after(), shift), Transition.REPATCH);
                    verify(s, oneByte, since(List.of(patch)));
                    ONE_BYTE[oneByte instanceof LivePlan ? 0 : 1]++;
                });
        // The one-byte re-patches were checked live, not only refused.
        assertTrue(ONE_BYTE[0] >= examples() / 10, () -> "one-byte re-patches live/quiescent: " + ONE_BYTE[0] + "/"
                + ONE_BYTE[1]);
        for (Isa isa : Isa.values()) {
            Map<Transition, int[]> seen = SEEN.get(isa);
            for (Transition t : Transition.values()) {
                int[] n = seen == null ? null : seen.get(t);
                // The generators must reach live and quiescent plans of every transition on both ISAs.
                assertTrue(n != null && n[0] > 0 && n[1] > 0, () -> isa + " " + t + " live/quiescent: " + SEEN);
            }
        }
    }

    /**
     * {@return the bytes the sites held before each plan of a chain that ran since the last
     * quiescent one}: calls made from them may still return (a quiescent write proves none can)
     */
    static List<List<byte[]>> since(List<WritePlan> chain) {
        List<List<byte[]>> held = new ArrayList<>();
        for (WritePlan w : chain) {
            if (w instanceof QuiescentPlan) {
                held.clear();
            } else {
                held.add(bytes(w.before()));
            }
        }
        return held;
    }

    private static void verify(Scenario s, WritePlan w, List<List<byte[]>> earlier) {
        int[] seen = SEEN.computeIfAbsent(s.isa, k -> new EnumMap<>(Transition.class))
                .computeIfAbsent(w.transition(), k -> new int[2]);
        byte[] text = textOf(s, w.before());
        List<byte[]> target = bytes(w.after());
        if (w instanceof LivePlan live) {
            seen[0]++;
            String bad = CHECK.check(s.base, text, s.sites, earlier, target, live.steps(), live::resolve);
            assertNull(bad, () -> bad + "\n  " + live + "\n  " + live.steps() + "\n  " + s);
            return;
        }
        seen[1]++;
        QuiescentPlan q = (QuiescentPlan) w;
        assertTrue(!q.violations().isEmpty());
        for (PatchBug bug : q.violations()) {
            assertEquals(Violation.LIVE_BOUNDARY_CHANGED, bug.violation());
            assertTrue(bug.needed() > 0 && bug.needed() <= bug.available() && bug.available() < bug.site().length(),
                    bug::getMessage);
        }
        // The refusal is real: the point is one a CPU may be at (found independently of the
        // planner), and bytes a CPU there runs change.
        for (PatchBug bug : q.violations()) {
            int i = s.sites.indexOf(bug.site());
            long p = bug.site().address() + bug.needed();
            assertTrue(CHECK.isPoint(s.isa, bug.site(), w.before().bytes(i), earlier, i, p), bug::getMessage);
            assertTrue(CHECK.runChanges(s.isa, bug.site(), w.before().bytes(i), w.after().bytes(i), p),
                    bug::getMessage);
        }
    }

    /** The int3 protocol's steps for the plan's bytes, ignoring the boundary rule. */
    static List<Step> forcedInt3Steps(WritePlan w) {
        List<Step> int3 = new ArrayList<>();
        List<Step> tail = new ArrayList<>();
        List<Step> first = new ArrayList<>();
        for (int i = 0; i < w.before().size(); i++) {
            PatchSite site = w.before().sites().get(i);
            byte[] c = w.before().bytes(i);
            byte[] t = w.after().bytes(i);
            int last = -1;
            for (int k = 0; k < c.length; k++) {
                if (c[k] != t[k]) {
                    last = k;
                }
            }
            if (last < 0) {
                continue;
            }
            int3.add(Step.write(Phase.INT3, site.address(), new byte[] {(byte) 0xCC}));
            if (last > 0) {
                tail.add(Step.write(Phase.TAIL, site.address() + 1, java.util.Arrays.copyOfRange(t, 1, last + 1)));
            }
            first.add(Step.write(Phase.FIRST_BYTE, site.address(), new byte[] {t[0]}));
        }
        List<Step> steps = new ArrayList<>(int3);
        steps.add(Step.sync(Phase.INT3));
        steps.addAll(tail);
        steps.add(Step.sync(Phase.TAIL));
        steps.addAll(first);
        steps.add(Step.sync(Phase.FIRST_BYTE));
        return steps;
    }

    /** {@return each site's bytes in {@code state} with one byte after the first flipped, chosen by {@code shift}} */
    static List<byte[]> oneByteChanged(SiteState state, int shift) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < state.size(); i++) {
            byte[] b = state.bytes(i);
            if (b.length > 1) {
                b[1 + (shift + i) % (b.length - 1)] ^= 0x01;
            }
            out.add(b);
        }
        return out;
    }

    static OpsTable rotated(OpsTable ops, int shift) {
        OpsTable.Builder b = OpsTable.builder();
        for (int t = 0; t < Generators.TYPES; t++) {
            int type = t;
            ops.op((t + shift) % Generators.TYPES).ifPresent(op -> b.put(type, op));
        }
        return b.build();
    }

    static byte[] textOf(Scenario s, SiteState state) {
        byte[] text = s.text();
        for (int i = 0; i < state.size(); i++) {
            System.arraycopy(state.bytes(i), 0, text, s.offsetOf(state.sites().get(i)), state.sites().get(i).length());
        }
        return text;
    }

    static List<byte[]> bytes(SiteState state) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < state.size(); i++) {
            out.add(state.bytes(i));
        }
        return out;
    }

    @AfterAll
    static void summary() {
        System.out.printf("live model check: %d plans, %d point-states, %d decodes; by ISA and transition"
                + " [live, quiescent] %s; one-byte re-patches %d live, %d quiescent%n", CHECK.plans,
                CHECK.pointStates, CHECK.decodes, render(), ONE_BYTE[0], ONE_BYTE[1]);
    }

    private static String render() {
        StringBuilder sb = new StringBuilder();
        SEEN.forEach((isa, m) -> {
            sb.append(isa.displayName()).append('{');
            m.forEach((t, n) -> sb.append(t).append('=').append(n[0]).append('/').append(n[1]).append(' '));
            sb.append("} ");
        });
        return sb.toString().trim();
    }
}
