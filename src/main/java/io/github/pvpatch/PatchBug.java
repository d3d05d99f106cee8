package io.github.pvpatch;

import java.util.Objects;

/**
 * A site cannot take the rewrite asked of it: the library's name for the kernel's {@code BUG()}.
 *
 * <p>It carries the {@link #violation() rule}, the {@link #site() site}, and the numbers: what
 * was {@link #needed()} and what the site had {@link #available()} (their meaning is given per
 * {@link Violation}), and the {@link #registers() registers} at fault when registers are the
 * reason. The message is in {@code key=value} form, each number in the unit its
 * {@link Violation} gives it (addresses in hex, register masks by name), for example:
 *
 * <pre>
 * violation=SAVES_DO_NOT_FIT site=0xc1024745 len=6 type=3 clobbers=[eax] needed=9 available=6
 * registers=[ecx,edx]: direct call needs saves of registers the site keeps
 * </pre>
 *
 * <p>It is thrown before anything is written: a batch that throws leaves its code buffer
 * byte-for-byte unchanged.
 *
 * <p>The name is kept on purpose: it is the kernel's {@code BUG()} at a patch site, the point
 * where Linux would stop, turned into an exception. It reports a site the library refuses to
 * patch (a bug in the input or in a patcher), not a defect of the library itself.
 */
public final class PatchBug extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The rule broken. */
    private final Violation violation;
    private final transient PatchSite site;
    /** What the rewrite needed. */
    private final long needed;
    /** What the site had. */
    private final long available;
    private final transient ClobberSet registers;

    private PatchBug(Violation violation, PatchSite site, long needed, long available, ClobberSet registers,
            String reason) {
        super(message(violation, site, needed, available, registers, reason));
        this.violation = violation;
        this.site = site;
        this.needed = needed;
        this.available = available;
        this.registers = registers;
    }

    /**
     * {@return a new error}
     *
     * @param violation the rule broken
     * @param site the site
     * @param needed what the rewrite needed (see {@link Violation})
     * @param available what the site had
     * @param registers the registers at fault, or {@link ClobberSet#none()}
     * @param reason a short explanation, the end of the message
     */
    public static PatchBug of(Violation violation, PatchSite site, long needed, long available,
            ClobberSet registers, String reason) {
        return new PatchBug(Objects.requireNonNull(violation, "violation"), Objects.requireNonNull(site, "site"),
                needed, available, Objects.requireNonNull(registers, "registers"),
                Objects.requireNonNull(reason, "reason"));
    }

    /**
     * {@return a new error with no registers at fault}
     *
     * @param violation the rule broken
     * @param site the site
     * @param needed what the rewrite needed
     * @param available what the site had
     * @param reason a short explanation
     */
    public static PatchBug of(Violation violation, PatchSite site, long needed, long available, String reason) {
        return of(violation, site, needed, available, ClobberSet.none(), reason);
    }

    private static String message(Violation v, PatchSite site, long needed, long available, ClobberSet registers,
            String reason) {
        StringBuilder sb = new StringBuilder(128).append("violation=").append(v).append(' ').append(site)
                .append(" needed=").append(v.formatNeeded(needed, site.isa()))
                .append(" available=").append(v.formatAvailable(available, site.isa()));
        if (!registers.isEmpty()) {
            sb.append(" registers=").append(registers.toString(site.isa()));
        }
        return sb.append(": ").append(reason).toString();
    }

    /** {@return the rule that was broken} */
    public Violation violation() {
        return violation;
    }

    /** {@return the site that could not be patched} */
    public PatchSite site() {
        return site;
    }

    /** {@return what the rewrite needed; see the {@link Violation} for the unit} */
    public long needed() {
        return needed;
    }

    /** {@return what the site had; see the {@link Violation} for the unit} */
    public long available() {
        return available;
    }

    /** {@return the registers at fault, empty when registers are not the reason} */
    public ClobberSet registers() {
        return registers;
    }
}
