package io.github.pvpatch.live;

import io.github.pvpatch.Journal;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchPlan;
import java.util.List;

/**
 * How to write a batch's new bytes into code: a {@link LivePlan} when other CPUs may run the
 * code meanwhile, or a {@link QuiescentPlan} when the bytes cannot be written safely that way and
 * every CPU must be kept out. The type says which; there is no silent plain copy.
 *
 * <pre>{@code
 * WritePlan w = WritePlan.patch(plan);
 * if (w instanceof LivePlan live) {
 *     live.execute(host);                      // int3 protocol; the trap handler asks live.resolve
 * } else {
 *     QuiescentPlan q = (QuiescentPlan) w;     // q.violations() say which point broke the rule
 *     vcpus.pauseAll();
 *     q.executeStopped(host);
 *     vcpus.resumeAll();
 * }
 * SiteState now = w.after();                   // where the next patch, revert or re-patch starts
 * }</pre>
 */
public sealed interface WritePlan permits LivePlan, QuiescentPlan {
    /**
     * {@return the write that patches the sites of {@code plan}, from its original bytes}
     *
     * @param plan a plan not yet applied: its code buffer holds the plan's original bytes at every
     *     site
     * @throws PatchBug {@link io.github.pvpatch.Violation#ORIGINAL_MISMATCH}, naming the site, if
     *     the buffer holds other bytes there: the plan's patched bytes (it was applied already;
     *     {@link #revert} its journal, or start from {@link SiteState#patched}) or bytes written
     *     since planning
     */
    static WritePlan patch(PatchPlan plan) {
        return SiteState.unpatched(plan).toPatched(plan);
    }

    /**
     * {@return the write that reverts the batch of {@code journal}} The journal itself is not
     * changed: after running the plan, use {@link #after()}.
     *
     * @param journal a live journal whose patched bytes are installed
     */
    static WritePlan revert(Journal journal) {
        return SiteState.of(journal).toOriginal();
    }

    /**
     * {@return the write that re-patches the batch of {@code journal} for {@code ops}, with its
     * options}
     *
     * @param journal a live journal whose patched bytes are installed
     * @param ops the ops installed now
     * @throws PatchBug if a site cannot take the new ops (strict mode)
     */
    static WritePlan repatch(Journal journal, OpsTable ops) {
        return SiteState.of(journal).toOps(ops, journal.plan().options());
    }

    /** {@return what the plan does} */
    Transition transition();

    /** {@return the state the plan starts from} */
    SiteState before();

    /** {@return the state once every step has run: where the next plan starts} */
    SiteState after();

    /** {@return the steps, in order} */
    List<Step> steps();

    /** {@return every range of bytes the plan writes, int3s included: what to invalidate} */
    List<ByteRange> writtenRanges();

    /**
     * {@return this plan as a live plan}
     *
     * @throws PatchBug {@link io.github.pvpatch.Violation#LIVE_BOUNDARY_CHANGED}, the first
     *     reason, if it needs quiescence
     */
    LivePlan requireLive();
}
