package io.github.pvpatch;

import io.github.pvpatch.x86.NopTable;
import java.util.Objects;
import java.util.Optional;

/**
 * How a batch is patched: the {@link Patcher}, the {@link NopTable} for padding, what to do with
 * a site that breaks a rule, and an optional {@link SiteCheck} run on every site before anything
 * is written. Immutable; change one setting with a {@code with} method.
 *
 * <pre>{@code
 * PatchOptions lenient = PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT);
 * }</pre>
 */
public final class PatchOptions {
    private static final PatchOptions DEFAULTS = new PatchOptions(Patcher.standard(), NopTable.P6, Mode.STRICT, null);

    /** What a plan does with a site that breaks a per-site rule. */
    public enum Mode {
        /** Throw the {@link PatchBug}; nothing is written. The default. */
        STRICT,
        /**
         * Leave the site as it is (always correct to run, by the first invariant of a patch site)
         * and report it, as the 2.6.2x kernels did. Rules about the batch itself
         * ({@link Violation#isPerSite()} false) still throw.
         */
        LENIENT
    }

    private final Patcher patcher;
    private final NopTable nops;
    private final Mode mode;
    /** Null when no check is set. */
    private final SiteCheck check;

    private PatchOptions(Patcher patcher, NopTable nops, Mode mode, SiteCheck check) {
        this.patcher = Objects.requireNonNull(patcher, "patcher");
        this.nops = Objects.requireNonNull(nops, "nops");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.check = check;
    }

    /**
     * {@return the defaults: {@link Patcher#standard()}, {@link NopTable#P6}, {@link Mode#STRICT},
     * no check}
     */
    public static PatchOptions defaults() {
        return DEFAULTS;
    }

    /** {@return the patcher. Default is {@link Patcher#standard()}} */
    public Patcher patcher() {
        return patcher;
    }

    /** {@return the NOP table. Default is {@link NopTable#P6}} */
    public NopTable nops() {
        return nops;
    }

    /** {@return the mode. Default is {@link Mode#STRICT}} */
    public Mode mode() {
        return mode;
    }

    /** {@return the check run on every site, if any. Default is none} */
    public Optional<SiteCheck> check() {
        return Optional.ofNullable(check);
    }

    /** The hot-path form of {@link #check()}: null when none. */
    SiteCheck checkOrNull() {
        return check;
    }

    /**
     * {@return these options with {@code newCheck} run on every site before anything is written}
     *
     * @param newCheck the check, such as {@code SiteVerifier.of(form)}
     */
    public PatchOptions withCheck(SiteCheck newCheck) {
        return new PatchOptions(patcher, nops, mode, Objects.requireNonNull(newCheck, "check"));
    }

    /** {@return these options with no check} */
    public PatchOptions withoutCheck() {
        return new PatchOptions(patcher, nops, mode, null);
    }

    /**
     * {@return these options with another patcher}
     *
     * @param newPatcher the patcher
     */
    public PatchOptions withPatcher(Patcher newPatcher) {
        return new PatchOptions(newPatcher, nops, mode, check);
    }

    /**
     * {@return these options with another NOP table}
     *
     * @param newNops the table
     */
    public PatchOptions withNops(NopTable newNops) {
        return new PatchOptions(patcher, newNops, mode, check);
    }

    /**
     * {@return these options with another mode}
     *
     * @param newMode the mode
     */
    public PatchOptions withMode(Mode newMode) {
        return new PatchOptions(patcher, nops, newMode, check);
    }

    @Override
    public String toString() {
        return "PatchOptions{patcher=" + patcher + ", nops=" + nops + ", mode=" + mode
                + (check == null ? "" : ", check=" + check) + "}";
    }
}
