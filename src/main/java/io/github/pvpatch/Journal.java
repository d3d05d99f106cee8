package io.github.pvpatch;

import java.util.Objects;

/**
 * The record of an applied batch: the sites, their original bytes, and the bytes written. With
 * it a batch can be {@linkplain #revert() reverted}, or {@linkplain #repatch(OpsTable)
 * re-patched} when the ops table changes ("late paravirtualization": relinking the sites later).
 * Re-patching plans from the original bytes, so it writes exactly what a fresh patch of the
 * unpatched code would.
 *
 * <p>It serves both planners: {@link PatchPlan#apply()} returns one, and
 * {@link PatchPass#journal()} makes one of a pass over a {@link SiteTable}.
 *
 * <p>A journal is live until it is reverted or re-patched; after that it refuses further use
 * ({@link IllegalStateException}), and the journal {@code repatch} returned is the live one. Both
 * operations check every site first and write all or nothing.
 *
 * <p>Thread-safety: a journal may be used from any thread. Its {@code revert} and
 * {@code repatch}, those of the journals {@code repatch} returns, and {@link PatchPlan#apply()} of
 * their plans are serialized on one lock per batch: when two threads race to revert and re-patch
 * the same journal, exactly one wins and the other gets {@link IllegalStateException} with
 * nothing written, so no update is lost. The lock does not guard against other writers of the
 * same {@link CodeBuffer} (see its thread-safety note); a site they changed is refused, not
 * overwritten, when the check runs before they write.
 *
 * <pre>{@code
 * Journal j = PatchPlan.of(code, sites, nativeOps).apply();
 * j = j.repatch(hypervisorOps);        // same as patching the original code with hypervisorOps
 * j.revert();                          // the original bytes again
 * }</pre>
 */
public final class Journal {
    private final PatchPlan plan;
    /** Guarded by {@code plan.lock()}. */
    private boolean live = true;

    Journal(PatchPlan plan) {
        this.plan = plan;
    }

    /** {@return the plan that was applied} */
    public PatchPlan plan() {
        return plan;
    }

    /** {@return whether this journal can still revert or re-patch} */
    public boolean isLive() {
        synchronized (plan.lock()) {
            return live;
        }
    }

    /**
     * Writes the original bytes back to every site.
     *
     * @throws IllegalStateException if the journal is not live, or the code no longer holds the
     *     patched bytes at some site (nothing is written then)
     */
    public void revert() {
        synchronized (plan.lock()) {
            requireLive();
            plan.requireCurrent(plan.patchedArray(), "patched");
            plan.writeAll(plan.originalArray());
            live = false;
        }
    }

    /**
     * Patches the same sites again for new ops, with the same options.
     *
     * @param ops the ops installed now
     * @return the live journal of the new batch; its original bytes are still the unpatched code
     * @throws PatchBug if a site cannot take the new ops (nothing is written then, and this
     *     journal stays live)
     * @throws IllegalStateException if the journal is not live, or the code no longer holds the
     *     patched bytes at some site
     */
    public Journal repatch(OpsTable ops) {
        return repatch(ops, plan.options());
    }

    /**
     * Patches the same sites again for new ops and options.
     *
     * @param ops the ops installed now
     * @param options the options
     * @return the live journal of the new batch
     * @throws PatchBug if a site cannot take the new ops (nothing is written then)
     * @throws IllegalStateException if the journal is not live, or the code changed at some site
     */
    public Journal repatch(OpsTable ops, PatchOptions options) {
        Objects.requireNonNull(ops, "ops");
        Objects.requireNonNull(options, "options");
        synchronized (plan.lock()) {
            requireLive();
        }
        // Planning reads only this batch's original bytes, so it runs outside the lock.
        PatchPlan next = PatchPlan.replan(plan, ops, options);
        synchronized (plan.lock()) {
            requireLive();
            plan.requireCurrent(plan.patchedArray(), "patched");
            plan.writeAll(next.patchedArray());
            live = false;
            return new Journal(next);
        }
    }

    private void requireLive() {
        if (!live) {
            throw new IllegalStateException("the journal was already reverted or re-patched");
        }
    }

    @Override
    public String toString() {
        return "Journal{live=" + isLive() + ", " + plan + "}";
    }
}
