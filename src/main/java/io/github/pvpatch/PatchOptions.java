package io.github.pvpatch;

import io.github.pvpatch.x86.NopTable;
import java.util.Objects;

/**
 * How a batch is patched: the {@link Patcher}, the {@link NopTable} for padding, and what to do
 * with a site that breaks a rule. Immutable; change one setting with a {@code with} method.
 *
 * <pre>{@code
 * PatchOptions lenient = PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT);
 * }</pre>
 */
public final class PatchOptions {
    private static final PatchOptions DEFAULTS = new PatchOptions(Patcher.standard(), NopTable.P6, Mode.STRICT);

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

    private PatchOptions(Patcher patcher, NopTable nops, Mode mode) {
        this.patcher = Objects.requireNonNull(patcher, "patcher");
        this.nops = Objects.requireNonNull(nops, "nops");
        this.mode = Objects.requireNonNull(mode, "mode");
    }

    /** {@return the defaults: {@link Patcher#standard()}, {@link NopTable#P6}, {@link Mode#STRICT}} */
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

    /**
     * {@return these options with another patcher}
     *
     * @param newPatcher the patcher
     */
    public PatchOptions withPatcher(Patcher newPatcher) {
        return new PatchOptions(newPatcher, nops, mode);
    }

    /**
     * {@return these options with another NOP table}
     *
     * @param newNops the table
     */
    public PatchOptions withNops(NopTable newNops) {
        return new PatchOptions(patcher, newNops, mode);
    }

    /**
     * {@return these options with another mode}
     *
     * @param newMode the mode
     */
    public PatchOptions withMode(Mode newMode) {
        return new PatchOptions(patcher, nops, newMode);
    }

    @Override
    public String toString() {
        return "PatchOptions{patcher=" + patcher + ", nops=" + nops + ", mode=" + mode + "}";
    }
}
