package io.github.pvpatch;

/**
 * A check a {@link PatchPlan} runs on every site it patches, before anything is written: on the
 * site's current bytes before the patcher runs, and on the new bytes after. A check refuses a
 * site by throwing a {@link PatchBug} (usually {@link Violation#ORIGINAL_MISMATCH} or
 * {@link Violation#OUTPUT_MISMATCH}), which the plan treats like any other broken rule: strict
 * mode throws and writes nothing; lenient mode leaves the site unpatched and reports why.
 *
 * <p>The disassembler-backed {@code io.github.pvpatch.verify.SiteVerifier} is the check pvpatch
 * ships; set it with {@link PatchOptions#withCheck(SiteCheck)}. Checks receive copies of the
 * bytes, so they cannot change the plan.
 *
 * <pre>{@code
 * PatchOptions checked = PatchOptions.defaults().withCheck(SiteVerifier.of(form));
 * PatchPlan plan = PatchPlan.of(code, sites, ops, checked);   // every site verified, nothing written yet
 * }</pre>
 */
public interface SiteCheck {

    /**
     * Checks a site's bytes before it is patched. The default accepts every site.
     *
     * @param site the site
     * @param op the op it will be patched for
     * @param original a copy of the site's current bytes
     * @throws PatchBug if the bytes are not what the site says
     */
    default void checkOriginal(PatchSite site, Op op, byte[] original) {
    }

    /**
     * Checks the bytes a patcher produced for a site.
     *
     * @param site the site
     * @param op the op it was patched for
     * @param strategy what the patcher says it did
     * @param original a copy of the site's bytes before
     * @param patched a copy of the site's bytes after, NOP padding included
     * @throws PatchBug if the new bytes are not what the strategy means
     */
    void checkPatched(PatchSite site, Op op, Strategy strategy, byte[] original, byte[] patched);
}
