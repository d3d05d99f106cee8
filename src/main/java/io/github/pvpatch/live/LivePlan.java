package io.github.pvpatch.live;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A write that is safe while other CPUs run the code: Linux's int3 protocol
 * ({@code text_poke_bp}), for a batch of sites.
 *
 * <ol>
 * <li>{@code CC} (int3) over the first byte of every site that changes; sync;
 * <li>the changed bytes after the first; sync;
 * <li>the new first bytes; sync.
 * </ol>
 *
 * <p>A site whose only change is an int3 written over its first byte, or removed from it, takes
 * that one write in the last phase: it is the protocol's own step, the one write the SDM lets
 * other CPUs see unsynchronized. Any other change, even of one byte (a call's rel32, an opcode),
 * goes under an int3, as Linux does it: an instruction modified while another CPU may fetch it,
 * without that CPU serializing first, executes unpredictably.
 *
 * <p>While it runs, a CPU that reaches a site's start traps on the int3; the host's trap handler
 * asks {@link #resolve(long)} what it does. A plan is live only if no point inside a site where a
 * CPU may be or return to changes meaning (see {@link io.github.pvpatch.Violation#LIVE_BOUNDARY_CHANGED});
 * else the planner returns a {@link QuiescentPlan}.
 *
 * <p><b>Guarantee.</b> With a host whose {@link LiveHost#sync()} serializes every CPU, every
 * CPU that starts or goes on executing at a site's start, at an instruction boundary of the bytes
 * being replaced, or at the return address of a call the site holds or held (as the {@link
 * SiteState} remembers) executes, in every intermediate state, either the whole old instruction
 * there, the whole new one, or the int3; an int3 resolved as told ends up running the new code.
 * Between two syncs no byte of an instruction such a CPU may be fetching changes, except its first
 * byte becoming or ceasing to be an int3, unless an int3 written before the last sync guards it.
 * It does not cover code that jumps into a site's middle from outside, nor an int3 the old bytes
 * themselves start with. Immutable and thread-safe; {@link #resolve} allocates nothing.
 */
public final class LivePlan implements WritePlan {
    private static final TrapAction NOT_OURS = new TrapAction.NotOurs();

    private final Writes writes;
    private final Map<Long, TrapAction> traps;

    LivePlan(Transition transition, SiteState before, SiteState after, List<Step> steps, List<ByteRange> ranges,
            Map<Long, TrapAction> traps) {
        this.writes = new Writes(transition, before, after, steps, ranges);
        this.traps = Collections.unmodifiableMap(traps);
    }

    @Override
    public Transition transition() {
        return writes.transition();
    }

    @Override
    public SiteState before() {
        return writes.before();
    }

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

    @Override
    public LivePlan requireLive() {
        return this;
    }

    /**
     * Runs every step on {@code host}, in order, from the calling thread. Meanwhile the host's
     * int3 handler must answer traps with {@link #resolve(long)}.
     *
     * @param host the writer and synchronizer
     */
    public void execute(LiveHost host) {
        writes.runOn(host);
    }

    /**
     * {@return what a CPU that executed an int3 at {@code int3Address} must do} The answer does
     * not depend on how far the plan has run, so a trap handled late (after the last sync) is
     * answered correctly too. On x86 the CPU reports the address after the int3: pass that minus 1.
     *
     * @param int3Address the address of the int3 byte
     */
    public TrapAction resolve(long int3Address) {
        TrapAction a = traps.get(int3Address);
        return a == null ? NOT_OURS : a;
    }

    /** {@return the addresses where the plan writes an int3 that {@link #resolve} answers for} */
    public List<Long> trapAddresses() {
        return Collections.unmodifiableList(new ArrayList<>(traps.keySet()));
    }

    @Override
    public String toString() {
        return writes.describe("LivePlan") + ", steps=" + writes.steps().size() + ", writes=" + writes.ranges() + "}";
    }
}
