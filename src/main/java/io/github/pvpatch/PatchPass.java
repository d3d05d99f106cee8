package io.github.pvpatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A reusable patch pass over a {@link SiteTable}: the allocation-free path for millions of sites.
 * Like a {@link PatchPlan} it checks every site before it writes any (a failed pass leaves the
 * code byte-for-byte unchanged), and keeps the original bytes so the last pass can be reverted.
 * Unlike a plan it keeps its working arrays between passes, so once they have grown to the
 * largest table, a pass with the {@linkplain Patcher#standard() standard patcher} and no check
 * allocates nothing per site (a custom patcher gets a {@link PatchSite} object per site; a
 * {@link SiteCheck} gets copies of the bytes).
 *
 * <p>A refused pass (one that throws) writes nothing and changes nothing the object reports:
 * {@link #revert()}, {@link #outcome(int)}, {@link #countByStrategy()} and {@link #problems()}
 * still concern the last pass that was applied, and the original bytes it kept are not touched
 * (a pass plans into working arrays of its own, and keeps them only once it has written).
 *
 * <p>Thread-safety: not thread-safe; use one pass object per thread (the {@link CodeBuffer} it
 * writes must not be written by anyone else meanwhile either). A pass object used from two threads
 * at once fails fast: the call that finds another {@code apply} or {@code revert} running throws
 * {@link IllegalStateException} and writes nothing.
 *
 * <pre>{@code
 * PatchPass pass = PatchPass.of(PatchOptions.defaults());
 * pass.apply(code, sites, nativeOps);        // every site, or none
 * pass.countByStrategy();                    // {INLINE_NATIVE=2411, DIRECT_CALL=1186, NOP_PAD=82}
 * pass.revert();                             // the original bytes again
 * }</pre>
 */
public final class PatchPass {
    private static final Strategy[] STRATEGIES = Strategy.values();

    private final PatchOptions options;
    /** The planner, with its template cache, kept warm between passes. */
    private final PatchEngine engine;
    /** Where the engine reports a lenient pass's refusals: the working list, and their rows. */
    private final PatchEngine.Problems sink = this::addProblem;
    /**
     * Working arrays of the pass being planned: what it read, what it will write, how (each row's
     * outcome code, see {@link PatchEngine#plan}), and the refusals with their rows, in row order.
     */
    private byte[] original = new byte[0];
    private byte[] patched = new byte[0];
    private byte[] outcomes = new byte[0];
    private List<PatchBug> problems = new ArrayList<>();
    private int[] problemRows = new int[0];
    /**
     * The last applied pass: its original bytes, strategies and problems. A pass that succeeds
     * swaps its working arrays with these; one that is refused leaves them alone.
     */
    private byte[] keptOriginal = new byte[0];
    private byte[] keptOutcomes = new byte[0];
    private List<PatchBug> keptProblems = new ArrayList<>();
    private int[] keptProblemRows = new int[0];
    /** Set while an apply or revert runs, so that use from a second thread fails fast. */
    private final AtomicBoolean busy = new AtomicBoolean();
    private CodeBuffer code;
    private SiteTable table;
    private OpsTable ops;
    private boolean applied;

    private PatchPass(PatchOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        this.engine = new PatchEngine(options);
    }

    /**
     * {@return a pass with these options}
     *
     * @param options the patcher, NOP table, mode and check
     */
    public static PatchPass of(PatchOptions options) {
        return new PatchPass(options);
    }

    /** {@return the options} */
    public PatchOptions options() {
        return options;
    }

    /**
     * Patches every site of {@code sites} for {@code ops}: checks all of them, then writes all.
     *
     * @param code the code the sites are in
     * @param sites the sites
     * @param ops the ops installed now
     * @return how many sites were patched (all of them in strict mode)
     * @throws PatchBug if a site breaks a rule (in lenient mode only a batch-level rule); nothing
     *     is written then
     * @throws IllegalArgumentException if the NOP table does not support the table's ISA
     * @throws IllegalStateException if the buffer is read-only, or another thread is using this
     *     pass object
     */
    public int apply(CodeBuffer code, SiteTable sites, OpsTable ops) {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(sites, "sites");
        Objects.requireNonNull(ops, "ops");
        enter();
        try {
            return applyOnce(code, sites, ops);
        } finally {
            busy.set(false);
        }
    }

    private void enter() {
        if (!busy.compareAndSet(false, true)) {
            throw new IllegalStateException(this + " is in use by another thread: one pass object per thread");
        }
    }

    private int applyOnce(CodeBuffer code, SiteTable sites, OpsTable ops) {
        if (!options.nops().supports(sites.isa())) {
            throw new IllegalArgumentException("nops=" + options.nops() + " are not NOPs on isa="
                    + sites.isa().displayName());
        }
        if (!code.isWritable()) {
            throw new IllegalStateException(code + " is read-only");
        }
        problems.clear();
        int n = sites.size();
        long total = sites.totalLength();
        if (total > Integer.MAX_VALUE - 8 - PatchEngine.SLACK) {
            throw new IllegalArgumentException("the table's sites hold more than 2 GiB; split it");
        }
        // The engine's table loop moves short sites as two words, so both arrays have slack.
        if (original.length < total + PatchEngine.SLACK) {
            original = new byte[(int) total + PatchEngine.SLACK];
        }
        if (patched.length < total + PatchEngine.SLACK) {
            patched = new byte[(int) total + PatchEngine.SLACK];
        }
        if (outcomes.length < n) {
            outcomes = new byte[n];
        }
        int patchedCount = engine.planTable(sites, code, ops, original, patched, outcomes);
        if (patchedCount < 0) {
            PatchEngine.Rows rows = PatchEngine.of(sites);
            PatchEngine.checkBatch(code, rows);
            patchedCount = engine.plan(rows, code, ops, original, patched, outcomes, sink);
        }
        PatchEngine.writeTable(sites, code, patched);
        keep(code, sites);
        this.ops = ops;
        return patchedCount;
    }

    private void addProblem(int row, PatchBug bug) {
        if (problemRows.length == problems.size()) {
            problemRows = Arrays.copyOf(problemRows, Math.max(8, 2 * problemRows.length));
        }
        problemRows[problems.size()] = row;
        problems.add(bug);
    }

    /** Makes the pass just written the one {@link #revert()} and the queries concern. */
    private void keep(CodeBuffer code, SiteTable sites) {
        byte[] o = keptOriginal;
        keptOriginal = original;
        original = o;
        byte[] st = keptOutcomes;
        keptOutcomes = outcomes;
        outcomes = st;
        List<PatchBug> p = keptProblems;
        keptProblems = problems;
        problems = p;
        int[] pr = keptProblemRows;
        keptProblemRows = problemRows;
        problemRows = pr;
        this.code = code;
        this.table = sites;
        applied = true;
    }

    /**
     * Writes the original bytes of the last applied pass back.
     *
     * A pass refused since then does not count: it wrote nothing, and the last applied pass is
     * still the one reverted.
     *
     * @throws IllegalStateException if no pass was applied since the last revert, or another
     *     thread is using this pass object
     */
    public void revert() {
        enter();
        try {
            if (!applied) {
                throw new IllegalStateException("no applied pass to revert");
            }
            int at = 0;
            for (int i = 0; i < table.size(); i++) {
                int len = table.length(i);
                code.write(table.address(i), keptOriginal, at, len);
                at += len;
            }
            applied = false;
        } finally {
            busy.set(false);
        }
    }

    /**
     * {@return the {@link Journal} of the last applied pass}, which reverts it or re-patches its
     * sites for new ops exactly as a plan's journal does; from then on the journal owns the batch,
     * and this pass's {@link #revert()} refuses it. Made on demand: it copies the pass's bytes and
     * makes a {@link PatchSite} per row.
     *
     * @throws IllegalStateException if no pass was applied since the last revert or journal, or
     *     another thread is using this pass object
     */
    public Journal journal() {
        enter();
        try {
            if (!applied) {
                throw new IllegalStateException("no applied pass to make a journal of");
            }
            int n = table.size();
            PatchSite[] sites = new PatchSite[n];
            int[] offsets = new int[n + 1];
            PatchBug[] bugs = keptProblems.isEmpty() ? null : new PatchBug[n];
            for (int i = 0; i < n; i++) {
                sites[i] = table.site(i);
                offsets[i + 1] = offsets[i] + table.length(i);
            }
            for (int k = 0; k < keptProblems.size(); k++) {
                bugs[keptProblemRows[k]] = keptProblems.get(k);
            }
            byte[] written = new byte[offsets[n]];
            for (int i = 0; i < n; i++) {
                code.read(table.address(i), written, offsets[i], table.length(i));
            }
            PatchPlan plan = PatchPlan.applied(code, sites, ops, options, offsets,
                    Arrays.copyOf(keptOriginal, offsets[n]), written, Arrays.copyOf(keptOutcomes, n), bugs);
            applied = false;
            return new Journal(plan);
        } finally {
            busy.set(false);
        }
    }

    /**
     * {@return what the last pass did at row {@code i}: patched it with a strategy, or (in lenient
     * mode) left it as it was, and why}
     *
     * @param i the row
     * @throws IllegalStateException if no pass ran
     */
    public SiteOutcome outcome(int i) {
        if (table == null) {
            throw new IllegalStateException("no pass ran yet");
        }
        byte o = keptOutcomes[Objects.checkIndex(i, table.size())];
        if (o != PatchEngine.LEFT) {
            return SiteOutcome.patched(STRATEGIES[o]);
        }
        int k = Arrays.binarySearch(keptProblemRows, 0, keptProblems.size(), i);
        return SiteOutcome.leftUnpatched(keptProblems.get(k));
    }

    /**
     * {@return how many sites of the last pass each strategy rewrote; the sites left unpatched are
     * not counted (see {@link #problems()})}
     */
    public Map<Strategy, Integer> countByStrategy() {
        Map<Strategy, Integer> counts = new EnumMap<>(Strategy.class);
        for (int i = 0; table != null && i < table.size(); i++) {
            byte o = keptOutcomes[i];
            if (o != PatchEngine.LEFT) {
                counts.merge(STRATEGIES[o], 1, Integer::sum);
            }
        }
        return Collections.unmodifiableMap(counts);
    }

    /**
     * {@return why sites of the last (lenient) pass were left unpatched, in row order: one refusal
     * per such site, so its size is how many were left}
     */
    public List<PatchBug> problems() {
        return Collections.unmodifiableList(new ArrayList<>(keptProblems));
    }

    @Override
    public String toString() {
        return "PatchPass{" + options + (table == null ? "" : ", last " + table) + "}";
    }
}
