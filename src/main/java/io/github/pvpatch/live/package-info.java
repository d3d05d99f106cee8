/**
 * Live patching: writing a batch's new bytes while other CPUs (vCPUs, threads) run the code.
 *
 * <p>A {@link io.github.pvpatch.live.WritePlan} is built from a {@link io.github.pvpatch.PatchPlan}
 * or a {@link io.github.pvpatch.Journal} (patch, revert, re-patch) through a
 * {@link io.github.pvpatch.live.SiteState}. It is either a {@link io.github.pvpatch.live.LivePlan}
 * (the int3 protocol of Linux's {@code text_poke_bp}: int3 on each site's first byte, sync; the
 * bytes after the first, sync; the first byte, sync; only an int3 written over or removed from a
 * site's first byte takes one step),
 * carried out through a {@link io.github.pvpatch.live.LiveHost} the host implements, with a trap
 * resolver ({@link io.github.pvpatch.live.LivePlan#resolve(long)}) for the host's int3 handler; or a
 * {@link io.github.pvpatch.live.QuiescentPlan}, when a point inside a site where a CPU may be or
 * return to would change meaning ({@link io.github.pvpatch.Violation#LIVE_BOUNDARY_CHANGED}): the
 * host must stop every CPU for it.
 *
 * <p>Planning decodes the sites' bytes with Zydis (instruction boundaries, calls, NOPs), so it
 * needs the shim; when it cannot be loaded the planners throw
 * {@link io.github.pvpatch.zydis.ZydisUnavailableException}.
 */
package io.github.pvpatch.live;
