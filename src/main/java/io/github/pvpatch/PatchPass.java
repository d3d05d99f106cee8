package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.internal.Bytes;
import io.github.pvpatch.x86.Encodings;
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
 * {@link #revert()}, {@link #strategy(int)}, {@link #countByStrategy()} and {@link #problems()}
 * still concern the last pass that was applied, and the original bytes it kept are not touched
 * (a pass plans into working arrays of its own, and keeps them only once it has written).
 *
 * <p>Thread-safety: not thread-safe; use one pass object per thread (the {@link CodeBuffer} it
 * writes must not be written by anyone else meanwhile either). A pass object used from two threads
 * at once fails fast: the call that finds another {@code apply} or {@code revert} running throws
 * {@link IllegalStateException} and writes nothing.
 *
 * <pre>{@code
 * PatchPass pass = PatchPass.create(PatchOptions.defaults());
 * pass.apply(code, sites, nativeOps);        // every site, or none
 * pass.countByStrategy();                    // {INLINE_NATIVE=2411, DIRECT_CALL=1186, NOP_PAD=82}
 * pass.revert();                             // the original bytes again
 * }</pre>
 */
public final class PatchPass {
    private static final Strategy[] STRATEGIES = Strategy.values();

    private final PatchOptions options;
    private final SiteWriter writer = new SiteWriter();
    /** Working arrays of the pass being planned: what it read, what it will write, how. */
    private byte[] original = new byte[0];
    private byte[] patched = new byte[0];
    private byte[] strategies = new byte[0];
    private List<PatchBug> problems = new ArrayList<>();
    /**
     * The last applied pass: its original bytes, strategies and problems. A pass that succeeds
     * swaps its working arrays with these; one that is refused leaves them alone.
     */
    private byte[] keptOriginal = new byte[0];
    private byte[] keptStrategies = new byte[0];
    private List<PatchBug> keptProblems = new ArrayList<>();
    /** Set while an apply or revert runs, so that use from a second thread fails fast. */
    private final AtomicBoolean busy = new AtomicBoolean();
    /**
     * Per op type, the bytes a site of {@link #templateLength} bytes gets for a NOP or
     * position-independent native op: they depend on nothing else, so a pass builds them once
     * and stamps them per site. Rebuilt for each pass (the ops may differ).
     */
    private byte[][] template = new byte[0][];
    private int[] templateLength = new int[0];
    private Op[] templateOp = new Op[0];
    /** NOP padding after a direct call, by its length. */
    private final byte[][] pad = new byte[PatchSite.MAX_LENGTH + 1][];
    private CodeBuffer code;
    private SiteTable table;
    private boolean applied;

    private PatchPass(PatchOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * {@return a pass with these options}
     *
     * @param options the patcher, NOP table, mode and check
     */
    public static PatchPass create(PatchOptions options) {
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
        // A table in address order (the usual case) is checked for bounds and overlaps while it is
        // planned: one walk over the rows fewer. Every check still runs before the first write.
        boolean ordered = sites.inAddressOrder();
        if (!ordered) {
            checkBatch(code, sites);
        }
        if (strategies.length < n) {
            strategies = new byte[n];
        }
        boolean lenient = options.mode() == PatchOptions.Mode.LENIENT;
        Patcher patcher = options.patcher();
        boolean standard = Strategies.isStandard(patcher);
        SiteCheck check = options.checkOrNull();
        boolean fast = standard && check == null;
        Isa isa = sites.isa();
        if (fast) {
            resetTemplates(isa);
        }
        int patchedCount = 0;
        int at = 0;
        long prevEnd = 0;
        long[] addresses = sites.addressArray();
        byte[] lengths = sites.lengthArray();
        for (int i = 0; i < n; i++) {
            int len = lengths[i] & 0xFF;
            long address = addresses[i];
            if (ordered) {
                if (!code.contains(address, len)) {
                    throw outside(code, sites, i);
                }
                if (i > 0 && Long.compareUnsigned(prevEnd, address) > 0) {
                    throw overlap(sites, i - 1, i, prevEnd);
                }
                prevEnd = address + len;
            }
            // After a swap with the kept arrays the two working arrays may differ in size.
            if (at + len > original.length || at + len > patched.length) {
                grow(at + len, n, i);
            }
            code.readChecked(address, original, at, len);
            Strategy s;
            try {
                s = fast ? fastPath(sites, i, address, isa, ops, at, len) : null;
                if (s == null) {
                    s = planSite(sites, i, isa, ops, patcher, standard, check, at, len);
                }
                patchedCount++;
            } catch (PatchBug bug) {
                if (!lenient || !bug.violation().isPerSite()) {
                    throw bug;
                }
                problems.add(bug);
                s = Strategy.LEFT_UNPATCHED;
                System.arraycopy(original, at, patched, at, len);
            }
            strategies[i] = (byte) s.ordinal();
            at += len;
        }
        at = 0;
        for (int i = 0; i < n; i++) {
            int len = lengths[i] & 0xFF;
            code.writeChecked(addresses[i], patched, at, len);
            at += len;
        }
        keep(code, sites);
        return patchedCount;
    }

    /** Makes the pass just written the one {@link #revert()} and the queries concern. */
    private void keep(CodeBuffer code, SiteTable sites) {
        byte[] o = keptOriginal;
        keptOriginal = original;
        original = o;
        byte[] st = keptStrategies;
        keptStrategies = strategies;
        strategies = st;
        List<PatchBug> p = keptProblems;
        keptProblems = problems;
        problems = p;
        this.code = code;
        this.table = sites;
        applied = true;
    }

    /**
     * Templates and pads depend on the op (checked by identity), the length, the ISA and the NOP
     * table, which is fixed per pass object: only a change of ISA throws them away.
     */
    private void resetTemplates(Isa isa) {
        if (padIsa == isa) {
            return;
        }
        Arrays.fill(templateOp, null);
        for (int len = 0; len <= PatchSite.MAX_LENGTH; len++) {
            pad[len] = new byte[len];
            options.nops().fill(pad[len], 0, len, isa);
        }
        padIsa = isa;
    }

    /** The ISA {@link #pad} and {@link #template} were made for; null before the first pass. */
    private Isa padIsa;

    /**
     * The common cases without the general machinery: a NOP or position-independent native op
     * whose every rule holds, stamped from its template; a direct call that needs no saves.
     * {@return null for anything else}, which the general path then handles, errors included.
     */
    private Strategy fastPath(SiteTable sites, int i, long address, Isa isa, OpsTable ops, int at, int len) {
        int type = sites.typeArray()[i] & 0xFFFF;
        Op op = ops.lookup(type);
        if (op == null || len < Encodings.MIN_INDIRECT_LENGTH || SiteTable.isJump(sites.flagArray()[i])) {
            return null;
        }
        int allowed = sites.clobberArray()[i] & 0xFFFF;
        if (op instanceof Op.Call) {
            Op.Call call = (Op.Call) op;
            long target = call.target();
            if ((call.clobbers().bits() & ~allowed) != 0 || !Encodings.reachesRel32(isa, address, target)) {
                return null;
            }
            patched[at] = (byte) Encodings.CALL_REL32;
            Bytes.putInt(patched, at + 1, (int) Encodings.rel32Displacement(address, target));
            byte[] p = pad[len - Encodings.BRANCH_REL32_LENGTH];
            Bytes.copy(p, 0, patched, at + Encodings.BRANCH_REL32_LENGTH, p.length);
            return Strategy.DIRECT_CALL;
        }
        Strategy strategy;
        if (op instanceof Op.Native) {
            Op.Native nat = (Op.Native) op;
            if (nat.length() > len || (nat.clobbers().bits() & ~allowed) != 0 || nat.relocationArray().length > 0) {
                return null;
            }
            strategy = Strategy.INLINE_NATIVE;
        } else if (op instanceof Op.Nop) {
            strategy = Strategy.NOP_PAD;
        } else {
            return null;
        }
        Bytes.copy(template(type, op, len), 0, patched, at, len);
        return strategy;
    }

    /** {@return the bytes of a {@code len}-byte site for a NOP or native op of {@code type}} */
    private byte[] template(int type, Op op, int len) {
        if (type >= templateOp.length) {
            int cap = Math.max(type + 1, 2 * templateOp.length);
            templateOp = Arrays.copyOf(templateOp, cap);
            template = Arrays.copyOf(template, cap);
            templateLength = Arrays.copyOf(templateLength, cap);
        }
        if (templateOp[type] != op || templateLength[type] != len) {
            byte[] t = new byte[len];
            int n = 0;
            if (op instanceof Op.Native) {
                ((Op.Native) op).copyTo(t, 0);
                n = ((Op.Native) op).length();
            }
            options.nops().fill(t, n, len - n, padIsa);
            template[type] = t;
            templateLength[type] = len;
            templateOp[type] = op;
        }
        return template[type];
    }

    private Strategy planSite(SiteTable sites, int i, Isa isa, OpsTable ops, Patcher patcher, boolean standard,
            SiteCheck check, int at, int len) {
        writer.reset(isa, sites.address(i), len, sites.type(i), sites.kind(i), sites.clobberBits(i),
                sites.callOffset(i), sites.stackArguments(i), original, at, patched, at, options.nops());
        if (len < Encodings.MIN_INDIRECT_LENGTH) {
            throw PatchBug.of(Violation.SITE_TOO_SHORT, writer.site(), Encodings.MIN_INDIRECT_LENGTH, len,
                    "the site is shorter than the indirect call it must have held");
        }
        Op op = ops.lookup(sites.type(i));
        if (op == null) {
            throw PatchBug.of(Violation.OP_MISSING, writer.site(), sites.type(i), -1,
                    "the ops table has no op for type=" + sites.type(i));
        }
        if (check != null) {
            check.checkOriginal(writer.site(), op, Arrays.copyOfRange(original, at, at + len));
        }
        Strategy s = standard ? Strategies.standard(op, writer) : patcher.patch(writer.site(), op, writer);
        if (s == null) {
            throw new IllegalStateException(patcher + " returned no strategy for " + writer.site());
        }
        writer.finish();
        if (check != null) {
            check.checkPatched(writer.site(), op, s, Arrays.copyOfRange(original, at, at + len),
                    Arrays.copyOfRange(patched, at, at + len));
        }
        return s;
    }

    /** Checks, in address order, that the sites of an unordered table are inside the buffer and do not overlap. */
    private static void checkBatch(CodeBuffer code, SiteTable sites) {
        long prevEnd = 0;
        int prev = -1;
        for (int k = 0; k < sites.size(); k++) {
            int i = sites.rowByAddress(k);
            long address = sites.address(i);
            if (!code.contains(address, sites.length(i))) {
                throw outside(code, sites, i);
            }
            if (prev >= 0 && Long.compareUnsigned(prevEnd, address) > 0) {
                throw overlap(sites, prev, i, prevEnd);
            }
            prev = i;
            prevEnd = address + sites.length(i);
        }
    }

    private static PatchBug outside(CodeBuffer code, SiteTable sites, int i) {
        return PatchBug.of(Violation.SITE_OUTSIDE_BUFFER, sites.site(i), sites.length(i),
                code.bytesFrom(sites.address(i)), "the site is not inside " + code);
    }

    private static PatchBug overlap(SiteTable sites, int prev, int i, long prevEnd) {
        return PatchBug.of(Violation.SITES_OVERLAP, sites.site(i), prevEnd, sites.address(i),
                "the site shares bytes with " + sites.site(prev));
    }

    /** Grows the byte arrays for a table of {@code n} rows of which {@code i} fit, keeping what is in them. */
    private void grow(long needed, int n, int i) {
        long estimate = Math.max(needed, needed / Math.max(1, i + 1) * (long) n + 64);
        if (estimate > Integer.MAX_VALUE - 8) {
            if (needed > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("the table's sites hold more than 2 GiB; split it");
            }
            estimate = Integer.MAX_VALUE - 8;
        }
        original = Arrays.copyOf(original, (int) estimate);
        patched = Arrays.copyOf(patched, (int) estimate);
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
     * {@return how site {@code i} of the last pass was rewritten}
     *
     * @param i the row
     * @throws IllegalStateException if no pass ran
     */
    public Strategy strategy(int i) {
        if (table == null) {
            throw new IllegalStateException("no pass ran yet");
        }
        return STRATEGIES[keptStrategies[Objects.checkIndex(i, table.size())]];
    }

    /** {@return how many sites of the last pass each strategy rewrote} */
    public Map<Strategy, Integer> countByStrategy() {
        Map<Strategy, Integer> counts = new EnumMap<>(Strategy.class);
        for (int i = 0; table != null && i < table.size(); i++) {
            counts.merge(STRATEGIES[keptStrategies[i]], 1, Integer::sum);
        }
        return Collections.unmodifiableMap(counts);
    }

    /** {@return why sites of the last (lenient) pass were left unpatched} */
    public List<PatchBug> problems() {
        return Collections.unmodifiableList(new ArrayList<>(keptProblems));
    }

    @Override
    public String toString() {
        return "PatchPass{" + options + (table == null ? "" : ", last " + table) + "}";
    }
}
