package io.github.pvpatch;


/**
 * A strategy that rewrites one site for the op now installed, or refuses with a {@link PatchBug}.
 *
 * <p>A patcher writes the site's new bytes into the {@link SiteWriter} it is given and says which
 * {@link Strategy} it used; the planner pads the rest with NOPs. It never writes to the code
 * buffer itself, so a refusal (or any exception) leaves the code untouched. The planner has
 * already checked that the site is inside the buffer, is at least as long as an indirect call,
 * and has an op.
 *
 * <p>The built-in strategies:
 * <ul>
 *   <li>{@link #nopPad()} for {@link Op.Nop} at call sites;
 *   <li>{@link #inlineNative()} for {@link Op.Native}, when it fits and clobbers only what the site
 *       allows;
 *   <li>{@link #directBranch()} for {@link Op.Call} at call sites and {@link Op.Jump} at jump
 *       sites: {@code call}/{@code jmp rel32}, with push/pop pairs for registers the target
 *       clobbers but the site keeps, when they fit, no argument is on the stack, and (x86-64) the
 *       stack stays 16-byte aligned; failing that, when the site records its call offset, only the
 *       indirect call becomes direct and the site's own saves stay;
 *   <li>{@link #standard()}, the default: picks among them by the op's kind, like the kernel's
 *       default patcher.
 * </ul>
 *
 * <p>A custom patcher (a hypervisor backend with its own calling stubs, say) implements the one
 * method:
 *
 * <pre>{@code
 * Patcher romCalls = (site, op, out) -> {
 *     if (op instanceof Op.Call call) {
 *         out.putCall(romEntry(call.target()));
 *         return Strategy.DIRECT_CALL;
 *     }
 *     return Patcher.standard().patch(site, op, out);
 * };
 * }</pre>
 */
@FunctionalInterface
public interface Patcher {

    /**
     * Writes the new bytes of {@code site} for {@code op}.
     *
     * @param site the site
     * @param op the op installed for the site's type
     * @param out where to write; the unwritten rest of the site becomes NOPs
     * @return how the site was rewritten
     * @throws PatchBug if the site cannot take the rewrite
     */
    Strategy patch(PatchSite site, Op op, SiteWriter out);

    /** {@return the default policy: NOP-pad, inline-native or direct branch by the op's kind} */
    static Patcher standard() {
        return Strategies.STANDARD;
    }

    /** {@return the strategy that fills a site with NOPs, for {@link Op#nop()} at call sites} */
    static Patcher nopPad() {
        return Strategies.NOP_PAD;
    }

    /** {@return the strategy that copies a native sequence in, for {@link Op.Native} ops} */
    static Patcher inlineNative() {
        return Strategies.INLINE_NATIVE;
    }

    /** {@return the indirect-to-direct strategy, for {@link Op.Call} and {@link Op.Jump} ops} */
    static Patcher directBranch() {
        return Strategies.DIRECT_BRANCH;
    }
}
