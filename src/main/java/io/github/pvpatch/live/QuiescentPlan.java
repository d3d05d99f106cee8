package io.github.pvpatch.live;

import io.github.pvpatch.PatchBug;
import java.util.List;

/**
 * A write that is not safe while other CPUs run the code: at least one point inside a site where
 * a CPU may be or return to would change meaning ({@link #violations()} say which, with the
 * numbers). It is a plain copy of the changed bytes and one sync, for a host that first
 * establishes quiescence: no CPU executing inside the sites and no frame that returns into them
 * (QEMU's kvmvapic pauses every vCPU; Detours suspends threads and moves their instruction
 * pointers). Immutable.
 */
public final class QuiescentPlan implements WritePlan {
    private final Writes writes;
    private final List<PatchBug> violations;

    QuiescentPlan(Transition transition, SiteState before, SiteState after, List<Step> steps, List<ByteRange> ranges,
            List<PatchBug> violations) {
        this.writes = new Writes(transition, before, after, steps, ranges);
        this.violations = List.copyOf(violations);
    }

    /** {@return why the write cannot be live: one {@link io.github.pvpatch.Violation#LIVE_BOUNDARY_CHANGED} per refused site} */
    public List<PatchBug> violations() {
        return violations;
    }

    @Override
    public Transition transition() {
        return writes.transition();
    }

    @Override
    public SiteState before() {
        return writes.before();
    }

    /** {@return the state once written; no earlier frames remain, since none could be pending} */
    @Override
    public SiteState after() {
        return writes.after();
    }

    @Override
    public List<Step> steps() {
        return writes.steps();
    }

    @Override
    public List<ByteRange> writtenRanges() {
        return writes.ranges();
    }

    /**
     * Refuses: this plan is not live.
     *
     * @return never
     * @throws PatchBug always: the first violation
     */
    @Override
    public LivePlan requireLive() {
        throw violations.get(0);
    }

    /**
     * Writes every changed range, then syncs. Only while no CPU runs the code and no frame
     * returns into it: the caller guarantees that.
     *
     * @param host the writer and synchronizer
     */
    public void executeStopped(LiveHost host) {
        writes.runOn(host);
    }

    @Override
    public String toString() {
        return writes.describe("QuiescentPlan") + ", writes=" + writes.ranges() + ", " + violations.get(0).getMessage()
                + "}";
    }
}
