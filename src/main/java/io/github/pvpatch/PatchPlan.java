package io.github.pvpatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The new bytes of every site of a batch, computed and checked before anything is written.
 *
 * <p>Planning reads each site's current bytes, looks up its op, and runs the
 * {@linkplain PatchOptions#patcher() patcher}; any broken rule throws a {@link PatchBug} (or, in
 * {@linkplain PatchOptions.Mode#LENIENT lenient} mode, leaves that site unpatched and records
 * why: see {@link #outcome(int)}). Only {@link #apply()} writes, and it writes every site or
 * none. The plan keeps the bytes in two flat arrays, so applying it allocates nothing per site.
 *
 * <p>The planner enforces, for every site: it lies inside the buffer
 * ({@link Violation#SITE_OUTSIDE_BUFFER}); it shares no byte with another site of the batch
 * ({@link Violation#SITES_OVERLAP}); it can hold an indirect call
 * ({@link Violation#SITE_TOO_SHORT}); the ops table has its op ({@link Violation#OP_MISSING});
 * the {@linkplain PatchOptions#check() check}, if any, accepts its current bytes; then whatever
 * the patcher enforces; then the check accepts the new bytes.
 *
 * <pre>{@code
 * CodeBuffer code = CodeBuffer.wrap(text, 0xc1000000L);
 * PatchPlan plan = PatchPlan.of(code, sites, ops);      // throws PatchBug, writes nothing
 * plan.countByStrategy();                               // {INLINE_NATIVE=2, DIRECT_CALL=1}
 * Journal journal = plan.apply();                       // writes all sites
 * journal.revert();                                     // and puts the old bytes back
 * }</pre>
 */
public final class PatchPlan {
    private static final Strategy[] STRATEGIES = Strategy.values();
    private final CodeBuffer code;
    private final PatchSite[] sites;
    private final OpsTable ops;
    private final PatchOptions options;
    /** Start of each site's bytes in {@link #original} and {@link #patched}; one more entry at the end. */
    private final int[] offsets;
    private final byte[] original;
    private final byte[] patched;
    /** Each site's outcome: its strategy's ordinal, or {@link PatchEngine#LEFT}. */
    private final byte[] outcomes;
    /** Why a site was left unpatched in lenient mode; null when none was. */
    private final PatchBug[] problems;
    /**
     * Serializes the writes of this plan and of every plan re-planned from it: {@link #apply()} and
     * the {@link Journal}s' revert and re-patch.
     */
    private final Object lock;

    private PatchPlan(CodeBuffer code, PatchSite[] sites, OpsTable ops, PatchOptions options, int[] offsets,
            byte[] original, byte[] patched, byte[] outcomes, PatchBug[] problems, Object lock) {
        this.lock = lock;
        this.code = code;
        this.sites = sites;
        this.ops = ops;
        this.options = options;
        this.offsets = offsets;
        this.original = original;
        this.patched = patched;
        this.outcomes = outcomes;
        this.problems = problems;
    }

    /**
     * {@return the plan of {@code sites} for {@code ops} with the {@linkplain PatchOptions#defaults()
     * default options}}
     *
     * @param code the code the sites are in
     * @param sites the sites, in any order
     * @param ops the ops installed now
     * @throws PatchBug if a site breaks a rule
     */
    public static PatchPlan of(CodeBuffer code, List<PatchSite> sites, OpsTable ops) {
        return of(code, sites, ops, PatchOptions.defaults());
    }

    /**
     * {@return the plan of {@code sites} for {@code ops}}
     *
     * @param code the code the sites are in
     * @param sites the sites, in any order
     * @param ops the ops installed now
     * @param options the patcher, NOP table and mode
     * @throws PatchBug if a site breaks a rule (in lenient mode only a batch-level rule)
     * @throws IllegalArgumentException if the NOP table does not support a site's ISA
     */
    public static PatchPlan of(CodeBuffer code, List<PatchSite> sites, OpsTable ops, PatchOptions options) {
        Objects.requireNonNull(code, "code");
        PatchSite[] array = Objects.requireNonNull(sites, "sites").toArray(new PatchSite[0]);
        int[] offsets = layout(array, options);
        PatchEngine.Rows rows = PatchEngine.of(array);
        PatchEngine.checkBatch(code, rows);
        byte[] original = new byte[offsets[array.length]];
        return plan(code, rows, array, ops, options, offsets, original, true, new Object());
    }

    /** A plan of a batch a {@link PatchPass} has already written, for {@link PatchPass#journal()}. */
    static PatchPlan applied(CodeBuffer code, PatchSite[] sites, OpsTable ops, PatchOptions options, int[] offsets,
            byte[] original, byte[] patched, byte[] outcomes, PatchBug[] problems) {
        return new PatchPlan(code, sites, ops, options, offsets, original, patched, outcomes, problems, new Object());
    }

    /** Re-plans the same sites from their original bytes, for {@link Journal#repatch}. */
    static PatchPlan replan(PatchPlan base, OpsTable ops, PatchOptions options) {
        layout(base.sites, options);
        return plan(base.code, PatchEngine.of(base.sites), base.sites, ops, options, base.offsets, base.original,
                false, base.lock);
    }

    private static int[] layout(PatchSite[] sites, PatchOptions options) {
        Objects.requireNonNull(options, "options");
        int[] offsets = new int[sites.length + 1];
        long total = 0;
        for (int i = 0; i < sites.length; i++) {
            PatchSite s = Objects.requireNonNull(sites[i], "sites[" + i + "]");
            if (!options.nops().supports(s.isa())) {
                throw new IllegalArgumentException("nops=" + options.nops() + " are not NOPs on isa="
                        + s.isa().displayName() + ", needed by " + s);
            }
            offsets[i] = (int) total;
            total += s.length();
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("the batch's sites hold more than 2 GiB; split it");
            }
        }
        offsets[sites.length] = (int) total;
        return offsets;
    }

    /** Plans with the engine, the one {@link PatchPass} uses: same loop, same rules. */
    private static PatchPlan plan(CodeBuffer code, PatchEngine.Rows rows, PatchSite[] sites, OpsTable ops,
            PatchOptions options, int[] offsets, byte[] original, boolean read, Object lock) {
        Objects.requireNonNull(ops, "ops");
        Objects.requireNonNull(options, "options");
        byte[] patched = new byte[original.length];
        byte[] outcomes = new byte[sites.length];
        PatchBug[][] problems = {null};
        new PatchEngine(options).plan(rows, read ? code : null, ops, original, patched, outcomes, (row, bug) -> {
            if (problems[0] == null) {
                problems[0] = new PatchBug[sites.length];
            }
            problems[0][row] = bug;
        });
        return new PatchPlan(code, sites, ops, options, offsets, original, patched, outcomes, problems[0], lock);
    }

    /**
     * Writes every site's new bytes, after checking that each site still holds the bytes the plan
     * was made from. Allocates nothing per site.
     *
     * <p>Applying twice without a revert in between is refused (the code then holds the patched
     * bytes, not the planned ones), and the refusal leaves the first journal live and able to
     * revert. Calls from several threads are serialized with the journals' revert and re-patch
     * (see {@link Journal}).
     *
     * @return the journal that can revert or re-patch this batch
     * @throws IllegalStateException if the code changed at a site since planning (nothing is
     *     written), or the buffer is read-only
     */
    public Journal apply() {
        synchronized (lock) {
            requireCurrent(original, "planned");
            writeAll(patched);
            return new Journal(this);
        }
    }

    /** The lock of this plan's batch; see {@link #lock}. */
    Object lock() {
        return lock;
    }

    void requireCurrent(byte[] expected, String what) {
        if (!code.isWritable()) {
            throw new IllegalStateException(code + " is read-only");
        }
        for (int i = 0; i < sites.length; i++) {
            if (!code.equalsAt(sites[i].address(), expected, offsets[i], sites[i].length())) {
                throw new IllegalStateException(sites[i] + ": the code no longer holds the bytes it was " + what
                        + " from; nothing was written");
            }
        }
    }

    void writeAll(byte[] bytes) {
        for (int i = 0; i < sites.length; i++) {
            code.write(sites[i].address(), bytes, offsets[i], sites[i].length());
        }
    }

    byte[] originalArray() {
        return original;
    }

    byte[] patchedArray() {
        return patched;
    }

    /** {@return the code buffer the plan reads and writes} */
    public CodeBuffer code() {
        return code;
    }

    /** {@return the ops table the plan was made for} */
    public OpsTable ops() {
        return ops;
    }

    /** {@return the options the plan was made with} */
    public PatchOptions options() {
        return options;
    }

    /** {@return the sites, in the order given} */
    public List<PatchSite> sites() {
        return Collections.unmodifiableList(Arrays.asList(sites));
    }

    /** {@return the number of sites} */
    public int size() {
        return sites.length;
    }

    /**
     * {@return what the plan does at site {@code i}: patch it with a strategy, or (in lenient
     * mode) leave it as it is, and why}
     *
     * @param i the site's index in {@link #sites()}
     */
    public SiteOutcome outcome(int i) {
        byte o = outcomes[Objects.checkIndex(i, sites.length)];
        return o == PatchEngine.LEFT ? SiteOutcome.leftUnpatched(problems[i])
                : SiteOutcome.patched(STRATEGIES[o]);
    }

    /**
     * {@return a copy of the bytes site {@code i} held when planned}
     *
     * @param i the site's index
     */
    public byte[] originalBytes(int i) {
        Objects.checkIndex(i, sites.length);
        return Arrays.copyOfRange(original, offsets[i], offsets[i + 1]);
    }

    /**
     * {@return a copy of the bytes site {@code i} will hold}
     *
     * @param i the site's index
     */
    public byte[] patchedBytes(int i) {
        Objects.checkIndex(i, sites.length);
        return Arrays.copyOfRange(patched, offsets[i], offsets[i + 1]);
    }

    /**
     * {@return why each site left unpatched in lenient mode was left, in site order: one refusal
     * per such site, so its size is how many were left; empty in strict mode}
     */
    public List<PatchBug> problems() {
        List<PatchBug> list = new ArrayList<>();
        if (problems != null) {
            for (PatchBug p : problems) {
                if (p != null) {
                    list.add(p);
                }
            }
        }
        return Collections.unmodifiableList(list);
    }

    /**
     * {@return how many sites each strategy rewrites; strategies used by no site are absent, and so
     * are the sites left unpatched (see {@link #problems()})}
     */
    public Map<Strategy, Integer> countByStrategy() {
        Map<Strategy, Integer> counts = new EnumMap<>(Strategy.class);
        for (byte o : outcomes) {
            if (o != PatchEngine.LEFT) {
                counts.merge(STRATEGIES[o], 1, Integer::sum);
            }
        }
        return Collections.unmodifiableMap(counts);
    }

    @Override
    public String toString() {
        int left = problems().size();
        return "PatchPlan{sites=" + sites.length + ", " + countByStrategy() + (left == 0 ? "" : ", leftUnpatched=" + left)
                + ", " + code + "}";
    }
}
