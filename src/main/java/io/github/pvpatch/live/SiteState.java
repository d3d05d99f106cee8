package io.github.pvpatch.live;

import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Journal;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Violation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What a batch of sites holds now, as live patching sees it: each site's current bytes, its
 * original (unpatched) bytes, and the return addresses into the site that calls made from bytes
 * the site held earlier may still come back to. Every {@link WritePlan} starts from one and
 * {@linkplain WritePlan#after() leads to the next}, so a chain of live patches remembers every
 * frame that may still return into a site. Immutable.
 *
 * <pre>{@code
 * SiteState now = SiteState.unpatched(plan);           // the sites hold plan's original bytes
 * WritePlan patch = now.toPatched(plan);               // LivePlan or QuiescentPlan
 * WritePlan back = patch.after().toOriginal();         // the revert, planned from there
 * }</pre>
 */
public final class SiteState {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    private final List<PatchSite> sites;
    private final byte[][] original;
    private final byte[][] current;
    /** Per site, sorted offsets of return addresses of calls in bytes it held before {@link #current}. */
    private final int[][] earlierReturns;

    SiteState(List<PatchSite> sites, byte[][] original, byte[][] current, int[][] earlierReturns) {
        this.sites = sites;
        this.original = original;
        this.current = current;
        this.earlierReturns = earlierReturns;
    }

    /**
     * {@return the sites of {@code plan} holding its original bytes, with no earlier frames}
     *
     * @param plan a plan not yet applied: its code buffer holds the plan's original bytes at every
     *     site
     * @throws PatchBug {@link Violation#ORIGINAL_MISMATCH} if the buffer holds other bytes at a
     *     site: the plan's patched bytes (it was applied, or made by a pass that wrote it; start
     *     from {@link #patched} or the journal instead) or bytes written since planning
     */
    public static SiteState unpatched(PatchPlan plan) {
        SiteState state = original(plan);
        state.requireOriginalIn(plan);
        return state;
    }

    /** The sites of {@code plan} holding its original bytes, whatever its buffer holds now. */
    private static SiteState original(PatchPlan plan) {
        int n = Objects.requireNonNull(plan, "plan").size();
        byte[][] original = new byte[n][];
        for (int i = 0; i < n; i++) {
            original[i] = plan.originalBytes(i);
        }
        return new SiteState(plan.sites(), original, original, new int[n][0]);
    }

    /**
     * Refuses a plan whose buffer does not hold its original bytes at every site: a write planned
     * from them would take for the old instructions bytes that are not there, and patching an
     * applied plan again would write its int3 over code it already holds.
     */
    private void requireOriginalIn(PatchPlan plan) {
        CodeBuffer code = plan.code();
        for (int i = 0; i < sites.size(); i++) {
            PatchSite site = sites.get(i);
            byte[] now = code.read(site.address(), site.length());
            if (Arrays.equals(now, original[i])) {
                continue;
            }
            boolean applied = Arrays.equals(now, plan.patchedBytes(i));
            throw PatchBug.of(Violation.ORIGINAL_MISMATCH, site, 0, 0, "site " + i + " of " + sites.size()
                    + ": the code holds " + HEX.formatHex(now) + (applied ? ", the plan's patched bytes," : "")
                    + " not its original " + HEX.formatHex(original[i]) + (applied ? ": the plan was already"
                    + " applied; plan the write from SiteState.patched(plan) or the journal"
                    : ": the code changed since planning; plan again"));
        }
    }

    /**
     * {@return the sites of {@code plan} holding its patched bytes, as after {@link
     * PatchPlan#apply()} or a live patch: calls made from the original bytes may still return}
     *
     * @param plan a plan whose bytes are installed
     */
    public static SiteState patched(PatchPlan plan) {
        SiteState unpatched = original(plan);
        byte[][] patched = new byte[plan.size()][];
        for (int i = 0; i < patched.length; i++) {
            patched[i] = plan.patchedBytes(i);
        }
        return unpatched.next(patched, true);
    }

    /**
     * {@return the state a journal's batch is in: its plan's patched bytes installed}
     *
     * @param journal a live journal
     * @throws IllegalStateException if the journal was already reverted or re-patched
     */
    public static SiteState of(Journal journal) {
        if (!Objects.requireNonNull(journal, "journal").isLive()) {
            throw new IllegalStateException("the journal was already reverted or re-patched: " + journal);
        }
        return patched(journal.plan());
    }

    /** The state after {@code target} is written; {@code live}: earlier frames may still return. */
    SiteState next(byte[][] target, boolean live) {
        int[][] returns = new int[sites.size()][];
        for (int i = 0; i < returns.length; i++) {
            if (!live) {
                returns[i] = new int[0];
                continue;
            }
            TreeSet<Integer> set = new TreeSet<>();
            for (int r : earlierReturns[i]) {
                set.add(r);
            }
            for (int r : Planner.returnOffsets(sites.get(i), current[i])) {
                if (r < current[i].length) {   // a call that returns past the site leaves no point inside it
                    set.add(r);
                }
            }
            returns[i] = set.stream().mapToInt(Integer::intValue).toArray();
        }
        return new SiteState(sites, original, target, returns);
    }

    /**
     * {@return this state once the host knows that no CPU still has a frame that returns into a
     * site from bytes it held earlier} (for example after every CPU has passed a point outside the
     * sites, as RCU-tasks waits for): the earlier return addresses stop constraining live plans.
     */
    public SiteState quiesced() {
        return new SiteState(sites, original, current, new int[sites.size()][0]);
    }

    /** {@return the sites, in the plan's order} */
    public List<PatchSite> sites() {
        return sites;
    }

    /** {@return the number of sites} */
    public int size() {
        return sites.size();
    }

    /**
     * {@return a copy of the bytes site {@code i} holds now}
     *
     * @param i the site's index
     */
    public byte[] bytes(int i) {
        return current[Objects.checkIndex(i, sites.size())].clone();
    }

    /**
     * {@return a copy of the unpatched bytes of site {@code i}}
     *
     * @param i the site's index
     */
    public byte[] originalBytes(int i) {
        return original[Objects.checkIndex(i, sites.size())].clone();
    }

    /**
     * {@return the addresses inside site {@code i} that calls made from bytes it held before now
     * may still return to, in increasing order}
     *
     * @param i the site's index
     */
    public List<Long> earlierReturnAddresses(int i) {
        List<Long> list = new ArrayList<>();
        for (int r : earlierReturns[Objects.checkIndex(i, sites.size())]) {
            list.add(sites.get(i).address() + r);
        }
        return Collections.unmodifiableList(list);
    }

    /** {@return whether every site holds its original bytes} */
    public boolean isOriginal() {
        for (int i = 0; i < current.length; i++) {
            if (!Arrays.equals(current[i], original[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@return the plan that writes {@code plan}'s patched bytes over these}
     *
     * @param plan a plan of the same sites and original bytes
     * @throws IllegalArgumentException if {@code plan} has other sites or original bytes
     */
    public WritePlan toPatched(PatchPlan plan) {
        Objects.requireNonNull(plan, "plan");
        if (!plan.sites().equals(sites)) {
            throw new IllegalArgumentException("plan=" + plan + " has other sites than this state's " + sites.size());
        }
        byte[][] target = new byte[sites.size()][];
        for (int i = 0; i < target.length; i++) {
            if (!Arrays.equals(plan.originalBytes(i), original[i])) {
                throw new IllegalArgumentException(sites.get(i) + ": plan=" + plan
                        + " was made from other original bytes");
            }
            target[i] = plan.patchedBytes(i);
        }
        return Planner.plan(this, target, isOriginal() ? Transition.PATCH : Transition.REPATCH);
    }

    /** {@return the plan that writes the original bytes back} */
    public WritePlan toOriginal() {
        return Planner.plan(this, original, Transition.REVERT);
    }

    /**
     * {@return the plan that writes the bytes a fresh patch of the original code with {@code ops}
     * would}: late paravirtualization, live
     *
     * @param ops the ops installed now
     * @param options the patcher, NOP table and mode
     * @throws io.github.pvpatch.PatchBug if a site cannot take the new ops (strict mode)
     */
    public WritePlan toOps(OpsTable ops, PatchOptions options) {
        Objects.requireNonNull(ops, "ops");
        Objects.requireNonNull(options, "options");
        byte[][] target = new byte[sites.size()][];
        for (int i = 0; i < target.length; i++) {
            // Planned from a copy of the original bytes at the site's own address, so branches and
            // relocations come out as a patch of the unpatched code would write them.
            PatchSite site = sites.get(i);
            CodeBuffer scratch = CodeBuffer.wrap(original[i].clone(), site.address());
            target[i] = PatchPlan.of(scratch, List.of(site), ops, options).patchedBytes(0);
        }
        return Planner.plan(this, target, isOriginal() ? Transition.PATCH : Transition.REPATCH);
    }

    /**
     * {@return the plan that writes {@code target} over these bytes}, for hosts that compute
     * their own bytes
     *
     * @param target per site, its new bytes, as long as the site
     * @param transition what the plan does
     * @throws IllegalArgumentException if the list or a length does not match the sites
     */
    public WritePlan toBytes(List<byte[]> target, Transition transition) {
        Objects.requireNonNull(transition, "transition");
        if (Objects.requireNonNull(target, "target").size() != sites.size()) {
            throw new IllegalArgumentException("target has " + target.size() + " entries for " + sites.size() + " sites");
        }
        byte[][] copy = new byte[sites.size()][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = Objects.requireNonNull(target.get(i), "target[" + i + "]").clone();
            if (copy[i].length != sites.get(i).length()) {
                throw new IllegalArgumentException(sites.get(i) + ": target[" + i + "] has " + copy[i].length
                        + " bytes");
            }
        }
        return Planner.plan(this, copy, transition);
    }

    byte[] currentArray(int i) {
        return current[i];
    }

    int[] earlierReturnOffsets(int i) {
        return earlierReturns[i];
    }

    @Override
    public String toString() {
        return "SiteState{sites=" + sites.size() + ", original=" + isOriginal() + "}";
    }
}
