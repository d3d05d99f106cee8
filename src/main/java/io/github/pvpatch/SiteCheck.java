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
 * bytes, so they cannot change the plan. (A plan calls the ranged forms,
 * {@link #checkOriginal(PatchSite, Op, byte[], int)} and
 * {@link #checkPatched(PatchSite, Op, Strategy, byte[], int, byte[], int)}, whose defaults make
 * those copies; a check that only reads may override them to skip the copies, as
 * {@code SiteVerifier} does.)
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

    /**
     * Checks a site's bytes before it is patched, given in place: {@code site.length()} bytes of
     * {@code bytes} from {@code offset}, an array the plan owns. The plan calls this form; the
     * default copies the range and calls {@link #checkOriginal(PatchSite, Op, byte[])}. An override
     * must only read the range, and only during the call.
     *
     * @param site the site
     * @param op the op it will be patched for
     * @param bytes holds the site's current bytes
     * @param offset where they start
     * @throws PatchBug if the bytes are not what the site says
     */
    default void checkOriginal(PatchSite site, Op op, byte[] bytes, int offset) {
        checkOriginal(site, op, java.util.Arrays.copyOfRange(bytes, offset, offset + site.length()));
    }

    /**
     * Checks the bytes a patcher produced for a site, given in place: {@code site.length()} bytes
     * of each array from its offset, arrays the plan owns. The plan calls this form; the default
     * copies the ranges and calls {@link #checkPatched(PatchSite, Op, Strategy, byte[], byte[])}.
     * An override must only read the ranges, and only during the call.
     *
     * @param site the site
     * @param op the op it was patched for
     * @param strategy what the patcher says it did
     * @param original holds the site's bytes before
     * @param originalOffset where they start
     * @param patched holds the site's bytes after, NOP padding included
     * @param patchedOffset where they start
     * @throws PatchBug if the new bytes are not what the strategy means
     */
    default void checkPatched(PatchSite site, Op op, Strategy strategy, byte[] original, int originalOffset,
            byte[] patched, int patchedOffset) {
        int n = site.length();
        checkPatched(site, op, strategy, java.util.Arrays.copyOfRange(original, originalOffset, originalOffset + n),
                java.util.Arrays.copyOfRange(patched, patchedOffset, patchedOffset + n));
    }
}
