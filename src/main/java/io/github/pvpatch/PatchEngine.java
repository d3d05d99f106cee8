package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.internal.Bytes;
import io.github.pvpatch.x86.Encodings;
import java.util.Arrays;
import java.util.Objects;

/**
 * The one planner behind {@link PatchPlan} and {@link PatchPass}: one loop, one set of batch
 * rules (inside the buffer, no overlap), one set of site rules (long enough for the indirect call,
 * op present, the check before and after, the patcher's own rules), and a template cache.
 *
 * <p>The cache holds no rules of its own. With the {@linkplain Patcher#standard() standard
 * patcher} and no check, the bytes of a site are a function of its shape (ISA, length, type,
 * kind, clobbers, call offset, stack arguments) and its op, except for at most one {@code rel32}
 * branch aimed at a fixed target. So the first site of a shape is planned by the patcher, and
 * when the writer saw it read neither the site's original bytes nor its address, relocate no
 * native field, and write at most one branch, its bytes become the shape's template. Later sites
 * of the shape get the template, with the branch re-aimed from their address (a target out of
 * reach from there falls back to the patcher, which refuses it). Refusals are never cached.
 *
 * <p>An engine keeps its working state between batches; one engine per thread.
 */
final class PatchEngine {
    /** The rows of a batch: {@link PatchSite} objects, or a {@link SiteTable}'s columns. */
    interface Rows {
        int size();

        Isa isa(int i);

        long address(int i);

        int length(int i);

        int type(int i);

        SiteKind kind(int i);

        int clobberBits(int i);

        /** -1 when not recorded. */
        int callOffset(int i);

        int stackArguments(int i);

        /** {@return the row as a site object, made if need be} */
        PatchSite site(int i);

        /** {@return the row's site object when the rows are objects, else null (made on demand)} */
        PatchSite siteOrNull(int i);

        /** {@return the row at position {@code k} in address order} */
        int rowByAddress(int k);
    }

    /** Rows over site objects, in the order given. */
    static Rows of(PatchSite[] sites) {
        return new ArrayRows(sites);
    }

    /** Rows over a table's columns. */
    static Rows of(SiteTable table) {
        return new TableRows(table);
    }

    /** Where a lenient batch's refusals go. */
    interface Problems {
        void add(int row, PatchBug bug);
    }

    /** The outcome code of a row a lenient batch left unpatched; a patched row's is its strategy's ordinal. */
    static final byte LEFT = -1;

    private final PatchOptions options;
    private final SiteWriter writer = new SiteWriter();
    private final Templates templates = new Templates();
    /** The rows {@link #slowRow} last planned through, kept so that a table pass allocates nothing per row. */
    private TableRows tableRows;

    PatchEngine(PatchOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    PatchOptions options() {
        return options;
    }

    /**
     * Checks, in address order, that every row lies inside {@code code} and shares no byte with
     * another: the batch rules, which no mode tolerates.
     */
    static void checkBatch(CodeBuffer code, Rows rows) {
        long prevEnd = 0;
        int prev = -1;
        for (int k = 0; k < rows.size(); k++) {
            int i = rows.rowByAddress(k);
            long address = rows.address(i);
            int len = rows.length(i);
            if (!code.contains(address, len)) {
                throw PatchBug.of(Violation.SITE_OUTSIDE_BUFFER, rows.site(i), len, code.bytesFrom(address),
                        "the site is not inside " + code);
            }
            if (prev >= 0 && Long.compareUnsigned(prevEnd, address) > 0) {
                throw PatchBug.of(Violation.SITES_OVERLAP, rows.site(i), prevEnd, address,
                        "the site shares bytes with " + rows.site(prev));
            }
            prev = i;
            prevEnd = address + len;
        }
    }

    /**
     * Plans every row, in row order, each at the next {@code length} bytes of {@code original} and
     * {@code patched}. When {@code code} is given, each row's current bytes are read from it first
     * (the batch rules must have been checked); otherwise {@code original} already holds them.
     *
     * <p>Each row's outcome goes to {@code strategies}: its {@link Strategy}'s ordinal, or
     * {@link #LEFT} (and a call to {@code problems}) for a row a lenient batch left unpatched.
     *
     * @return how many rows were patched
     * @throws PatchBug for the first row that breaks a rule (in lenient mode, a batch-level one)
     */
    int plan(Rows rows, CodeBuffer code, OpsTable ops, byte[] original, byte[] patched, byte[] strategies,
            Problems problems) {
        boolean lenient = options.mode() == PatchOptions.Mode.LENIENT;
        Patcher patcher = options.patcher();
        boolean standard = Strategies.isStandard(patcher);
        SiteCheck check = options.checkOrNull();
        boolean cached = standard && check == null;
        int n = rows.size();
        int count = 0;
        int at = 0;
        for (int i = 0; i < n; i++) {
            int len = rows.length(i);
            if (code != null) {
                code.readUnchecked(rows.address(i), original, at, len);
            }
            Strategy s;
            try {
                s = planRow(rows, i, ops, patcher, standard, check, cached, original, patched, at, len);
                count++;
            } catch (PatchBug bug) {
                if (!lenient || !bug.violation().isPerSite()) {
                    throw bug;
                }
                problems.add(i, bug);
                s = null;   // left unpatched: no strategy
                System.arraycopy(original, at, patched, at, len);
            }
            strategies[i] = s == null ? LEFT : (byte) s.ordinal();
            at += len;
        }
        return count;
    }

    /**
     * How many bytes past the end of {@code original} and {@code patched} {@link #planTable} needs:
     * it moves a site of up to this many bytes as two or four 8-byte words whatever its length, and the
     * bytes past the site's end land where the next site's are written next (or in this slack).
     */
    static final int SLACK = 32;

    /**
     * A table pass's loop, for the standard patcher without a check over a heap buffer and a table
     * in address order: the batch rules, the read of each row's current bytes and the stamping of
     * its shape's template fused into one walk over the table's columns, with the patcher called
     * only for the first row of a shape. It decides nothing itself: at the first row that breaks a
     * batch rule, or that the patcher refuses, it gives way (returns -1 having written only the
     * working arrays), and {@link #checkBatch} then {@link #plan} run over the whole batch and
     * report exactly what they always do.
     *
     * <p>A site of up to {@link #SLACK} bytes is read and stamped as two (up to 16 bytes) or four
     * 8-byte words, with no further branch on its length: what lands past its end in
     * {@code original} and {@code patched} is overwritten by the next site's bytes, or falls in the
     * slack both arrays must have past the batch's total length (without it, the loop gives way at
     * once).
     *
     * @return how many rows were patched (all of them), or -1 when the batch must take the general path
     */
    int planTable(SiteTable table, CodeBuffer code, OpsTable ops, byte[] original, byte[] patched,
            byte[] strategies) {
        byte[] mem = code.arrayOrNull();
        long total = table.totalLength();
        if (!Strategies.isStandard(options.patcher()) || options.checkOrNull() != null || !table.inAddressOrder()
                || mem == null || original.length - SLACK < total || patched.length - SLACK < total) {
            return -1;
        }
        templates.begin(ops);
        return tableLoop(table, mem, code.arrayOffset(), code.baseAddress(), code.size(), ops, original, patched,
                strategies);
    }

    /**
     * Writes a planned table pass: each row's {@code length} bytes of {@code patched}, in row
     * order, to {@code code}. The rows must lie inside {@code code} (the batch rules were checked).
     */
    static void writeTable(SiteTable table, CodeBuffer code, byte[] patched) {
        long[] address = table.addressArray();
        long[] shape = table.shapeArray();
        int n = table.size();
        byte[] mem = code.arrayOrNull();
        if (mem == null) {
            for (int i = 0, at = 0; i < n; i++) {
                int len = SiteTable.lengthOf(shape[i]);
                code.writeUnchecked(address[i], patched, at, len);
                at += len;
            }
            return;
        }
        long memBase = code.baseAddress() - code.arrayOffset();   // the address of mem[0]
        for (int i = 0, at = 0; i < n; i++) {
            int len = SiteTable.lengthOf(shape[i]);
            Bytes.copy(patched, at, mem, (int) (address[i] - memBase), len);
            at += len;
        }
    }

    /**
     * {@link #planTable}'s walk: {@link #fastRows} takes every row it can, and each row it stops
     * at is planned here in full (the batch rules, the read, the cache or the patcher).
     */
    private int tableLoop(SiteTable table, byte[] mem, int memOffset, long base, long size, OpsTable ops,
            byte[] original, byte[] patched, byte[] strategies) {
        long[] address = table.addressArray();
        long[] shape = table.shapeArray();
        int n = table.size();
        int i = 0;
        int at = 0;
        long prevEnd = 0;   // the offset just past the previous row
        while (true) {
            i = fastRows(table, mem, memOffset, base, size, original, patched, strategies, i, at, prevEnd);
            at = fastAt;
            if (i == n) {
                return n;
            }
            if (i > 0) {
                prevEnd = address[i - 1] - base + SiteTable.lengthOf(shape[i - 1]);
            }
            int len = SiteTable.lengthOf(shape[i]);
            long offset = address[i] - base;
            // Inside the buffer (0 <= offset <= size - len) and not before the previous row's end;
            // when the first two terms are not negative the third cannot overflow.
            if ((offset | size - len - offset | offset - prevEnd) < 0) {
                return -1;
            }
            Bytes.copy(mem, memOffset + (int) offset, original, at, len);
            int s = slowRow(table, i, ops, original, patched, at, len);
            if (s < 0) {
                return -1;
            }
            strategies[i] = (byte) s;
            prevEnd = offset + len;
            at += len;
            i++;
        }
    }

    /** Where {@link #fastRows} stopped in the working arrays. */
    private int fastAt;

    /**
     * Plans rows from {@code i} on (at {@code at} in the working arrays, the previous row ending at
     * offset {@code prevEnd}) for as long as each is one of the common case: it keeps the batch
     * rules, lies at least {@link #SLACK} bytes before the buffer's end, has at most {@link #SLACK}
     * bytes, and its shape's template is at hand in {@link Templates#byType} with any branch in
     * reach. The loop calls nothing, so the JIT keeps its values in registers (the JVM saves no
     * register across a call). {@return the first row it did not plan, or the row count}, with
     * its place in the working arrays in {@link #fastAt}.
     */
    private int fastRows(SiteTable table, byte[] mem, int memOffset, long base, long size, byte[] original,
            byte[] patched, byte[] strategies, int i, int at, long prevEnd) {
        long[] address = table.addressArray();
        long[] shape = table.shapeArray();
        Templates.Entry[] recent = templates.byType;
        int n = table.size();
        for (; i < n; i++) {
            long key = shape[i];
            int len = SiteTable.lengthOf(key);
            long a = address[i];
            long offset = a - base;
            // The batch rules as in tableLoop, and room for the words past the site's start.
            if ((offset | size - len - offset | offset - prevEnd | size - SLACK - offset | SLACK - len) < 0) {
                break;
            }
            int type = SiteTable.typeOf(key);
            if (type >= recent.length) {
                break;
            }
            Templates.Entry e = recent[type];
            if (e == null || e.key != key) {
                break;
            }
            // The branch's reach, as one unsigned test on the row's address (always true without a branch).
            if (!e.reaches(a)) {
                break;
            }
            int from = memOffset + (int) offset;
            if (len <= 8) {
                Bytes.putLong(original, at, Bytes.getLong(mem, from));
                Bytes.putLong(patched, at, e.w0);
            } else if (len <= SLACK / 2) {
                Bytes.copy16(mem, from, original, at);
                Bytes.putLong(patched, at, e.w0);
                Bytes.putLong(patched, at + 8, e.w1);
            } else {
                Bytes.copy16(mem, from, original, at);
                Bytes.copy16(mem, from + 16, original, at + 16);
                Bytes.putLong(patched, at, e.w0);
                Bytes.putLong(patched, at + 8, e.w1);
                Bytes.putLong(patched, at + 16, e.w2);
                Bytes.putLong(patched, at + 24, e.w3);
            }
            // The branch's displacement; without a branch, the template's first four bytes again.
            Bytes.putInt(patched, at + e.fixAt, e.fix(a));
            strategies[i] = (byte) e.ordinal;
            prevEnd = offset + len;
            at += len;
        }
        fastAt = at;
        return i;
    }

    /**
     * Plans a table row the fused loop had no template at hand for: through the cache, else the
     * patcher. {@return the strategy's ordinal, or -1 when the patcher refused the row}
     */
    private int slowRow(SiteTable table, int i, OpsTable ops, byte[] original, byte[] patched, int at, int len) {
        long key = table.shapeArray()[i];
        int s = templates.stampWide(key, ops, table.isa(), table.address(i), patched, at);
        if (s >= 0) {
            return s;
        }
        TableRows rows = tableRows;
        if (rows == null || rows.table != table) {
            rows = new TableRows(table);
            tableRows = rows;
        }
        try {
            return planRow(rows, i, ops, options.patcher(), true, null, true, original, patched, at, len).ordinal();
        } catch (PatchBug bug) {
            return -1;
        }
    }

    private Strategy planRow(Rows rows, int i, OpsTable ops, Patcher patcher, boolean standard, SiteCheck check,
            boolean cached, byte[] original, byte[] patched, int at, int len) {
        if (len < Encodings.MIN_INDIRECT_LENGTH) {
            throw PatchBug.of(Violation.SITE_TOO_SHORT, rows.site(i), Encodings.MIN_INDIRECT_LENGTH, len,
                    "the site is shorter than the indirect call it must have held");
        }
        int type = rows.type(i);
        Op op = ops.lookup(type);
        if (op == null) {
            throw PatchBug.of(Violation.OP_MISSING, rows.site(i), type, -1,
                    "the ops table has no op for type=" + type);
        }
        long key = 0;
        if (cached) {
            key = Templates.key(rows, i, len);
            Strategy s = templates.stamp(key, op, rows.isa(i), rows.address(i), patched, at);
            if (s != null) {
                return s;
            }
        }
        Isa isa = rows.isa(i);
        writer.reset(isa, rows.address(i), len, type, rows.kind(i), rows.clobberBits(i), rows.callOffset(i),
                rows.stackArguments(i), original, at, patched, at, options.nops());
        writer.useSite(rows.siteOrNull(i));
        if (check != null) {
            check.checkOriginal(writer.site(), op, original, at);
        }
        Strategy s = standard ? Strategies.standard(op, writer) : patcher.patch(writer.site(), op, writer);
        if (s == null) {
            throw new IllegalStateException(patcher + " returned no strategy for " + writer.site());
        }
        writer.finish();
        if (check != null) {
            check.checkPatched(writer.site(), op, s, original, at, patched, at);
        }
        if (cached && writer.isTemplate()) {
            templates.put(key, op, isa, s, patched, at, len, writer.branchAt(), writer.branchTarget());
        }
        return s;
    }

    /** Site bytes by shape, learnt from the patcher; see the class comment. */
    static final class Templates {
        private static final Strategy[] STRATEGIES = Strategy.values();
        private long[] keys = new long[64];
        private Entry[] entries = new Entry[64];
        private int count;
        /**
         * The entry last found for each op type: most types have one shape, so most rows hit here.
         * Each holds a template learnt for the op {@link #batchOps} has for its type, so a hit
         * needs no op test; they are forgotten when the ops change or any entry is (re)learnt.
         */
        Entry[] byType = new Entry[16];
        /** The ops {@link #byType}'s entries are valid for; null when none. */
        private OpsTable batchOps;

        /** Starts a table pass over {@code ops}: {@link #byType} holds only entries valid for them. */
        void begin(OpsTable ops) {
            if (ops != batchOps) {
                Arrays.fill(byType, null);
                batchOps = ops;
            }
        }

        static final class Entry {
            long key;
            Op op;
            byte[] bytes;
            int branchAt;
            long target;
            Strategy strategy;
            int ordinal;
            /** Whether the bytes fit in {@link #w0} to {@link #w3}: at most {@link #SLACK} of them. */
            boolean wide;
            /** The bytes as four little-endian words, zero past their end. */
            long w0;
            long w1;
            long w2;
            long w3;
            /**
             * Whether {@link PatchEngine#fastRows} may stamp it: a wide template whose branch, if it has
             * one, reaches from some row (an i386 branch to a target past 4 GiB reaches from none).
             */
            boolean fast;
            /**
             * The rows the branch reaches from: those whose address less {@code reachLow} is at most
             * {@code reachSpan}, unsigned; every row when there is no branch.
             */
            long reachLow;
            long reachSpan;
            /**
             * Where and what to write over the stamped words for a row at address {@code a}: the int
             * {@code (int) (fixBase - (a & fixMask))} at {@code fixAt}, the branch's rel32, or without a
             * branch the template's first four bytes (a mask of 0), so no branch on its kind is needed.
             */
            int fixAt;
            long fixBase;
            long fixMask;

            /** {@return whether the branch, if any, reaches its target from a row at {@code a}} */
            boolean reaches(long a) {
                return Long.compareUnsigned(a - reachLow, reachSpan) <= 0;
            }

            /** {@return the int to write at {@link #fixAt} for a row at {@code a}} */
            int fix(long a) {
                return (int) (fixBase - (a & fixMask));
            }

            /** Sets the fields {@link PatchEngine#fastRows} reads in place of {@link Encodings#reachesRel32}. */
            void prepareFast(Isa isa) {
                if (branchAt < 0) {
                    fast = wide;
                    reachLow = 0;
                    reachSpan = -1;   // every address, unsigned
                    fixAt = 0;
                    fixBase = (int) w0;
                    fixMask = 0;
                    return;
                }
                // The displacement from a row at a is fixBase - a: target less the branch's end.
                long base = target - (branchAt + Encodings.BRANCH_REL32_LENGTH);
                fixAt = branchAt + 1;
                fixBase = base;
                fixMask = -1;
                reachSpan = 0xFFFF_FFFFL;
                if (isa == Isa.X86_32) {
                    // Both ends 32-bit addresses: the branch's address a + branchAt in [0, 2^32).
                    fast = wide && isa.isAddress(target);
                    reachLow = -branchAt;
                } else {
                    // base - a in [-2^31, 2^31 - 1], that is a - (base - (2^31 - 1)) in [0, 2^32 - 1].
                    fast = wide;
                    reachLow = base - Integer.MAX_VALUE;
                }
            }
        }

        /** Every field of a row but its address, packed as a {@link SiteTable} row's shape; never 0. */
        static long key(Rows rows, int i, int len) {
            return SiteTable.shape(rows.isa(i) == Isa.X86_32, len, rows.type(i), rows.clobberBits(i),
                    rows.kind(i) == SiteKind.JUMP, rows.callOffset(i), rows.stackArguments(i));
        }

        /**
         * {@return the strategy's ordinal after writing the template of {@code key} (a row's
         * shape) for {@link PatchEngine#planTable}, or -1 when there is none to use: no template
         * yet, one learnt for another op, or a branch that does not reach from here} A template
         * of up to {@link #SLACK} bytes is written as four words, so {@code out} must have
         * {@link #SLACK} bytes from {@code at} on, and what lands past the template's end must be
         * written over by the caller. Remembers the entry in {@link #byType} for the batch's ops.
         */
        int stampWide(long key, OpsTable ops, Isa isa, long address, byte[] out, int at) {
            Entry e = entries[slot(key)];
            int type = SiteTable.typeOf(key);
            if (e == null || e.op != ops.lookup(type)) {
                return -1;
            }
            if (ops == batchOps) {
                remember(type, e);
            }
            if (!e.wide) {
                return write(e, isa, address, out, at) ? e.ordinal : -1;
            }
            int branchAt = e.branchAt;
            long from = address + branchAt;
            if (branchAt >= 0 && !Encodings.reachesRel32(isa, from, e.target)) {
                return -1;
            }
            Bytes.putLong(out, at, e.w0);
            Bytes.putLong(out, at + 8, e.w1);
            Bytes.putLong(out, at + 16, e.w2);
            Bytes.putLong(out, at + 24, e.w3);
            if (branchAt >= 0) {
                Bytes.putInt(out, at + branchAt + 1, (int) Encodings.rel32Displacement(from, e.target));
            }
            return e.ordinal;
        }

        /**
         * Writes {@code e}'s bytes at {@code out[at]}, its branch (if any) aimed from
         * {@code address}; false, writing nothing, when the branch cannot reach its target from there.
         */
        static boolean write(Entry e, Isa isa, long address, byte[] out, int at) {
            byte[] t = e.bytes;
            int branchAt = e.branchAt;
            if (branchAt >= 0) {
                long from = address + branchAt;
                if (!Encodings.reachesRel32(isa, from, e.target)) {
                    return false;
                }
                Bytes.copy(t, 0, out, at, t.length);
                Bytes.putInt(out, at + branchAt + 1, (int) Encodings.rel32Displacement(from, e.target));
            } else {
                Bytes.copy(t, 0, out, at, t.length);
            }
            return true;
        }

        private void remember(int type, Entry e) {
            if (!e.fast) {
                return;
            }
            if (type >= byType.length) {
                byType = Arrays.copyOf(byType, Math.max(Integer.highestOneBit(type) << 1, byType.length));
            }
            byType[type] = e;
        }

        private int slot(long key) {
            int mask = keys.length - 1;
            int h = (int) (key ^ key >>> 29 ^ key >>> 47) * 0x9E3779B9;
            int s = h >>> 7 & mask;
            while (keys[s] != 0 && keys[s] != key) {
                s = s + 1 & mask;
            }
            return s;
        }

        /** {@return the strategy after writing the template of {@code key}, or null when there is none to use} */
        Strategy stamp(long key, Op op, Isa isa, long address, byte[] out, int at) {
            Entry e = entries[slot(key)];
            return e != null && e.op == op && write(e, isa, address, out, at) ? e.strategy : null;
        }

        void put(long key, Op op, Isa isa, Strategy strategy, byte[] bytes, int at, int len, int branchAt,
                long target) {
            Arrays.fill(byType, null);   // an entry of byType may be relearnt for another op: forget them all
            if (2 * (count + 1) > keys.length) {
                rehash();
            }
            int s = slot(key);
            Entry e = entries[s];
            if (e == null) {
                e = new Entry();
                entries[s] = e;
                keys[s] = key;
                e.key = key;
                count++;
            }
            e.op = op;
            e.bytes = Arrays.copyOfRange(bytes, at, at + len);
            e.branchAt = branchAt;
            e.target = target;
            e.strategy = STRATEGIES[strategy.ordinal()];
            e.ordinal = strategy.ordinal();
            e.wide = len <= SLACK;
            if (e.wide) {
                byte[] words = Arrays.copyOf(e.bytes, SLACK);
                e.w0 = Bytes.getLong(words, 0);
                e.w1 = Bytes.getLong(words, 8);
                e.w2 = Bytes.getLong(words, 16);
                e.w3 = Bytes.getLong(words, 24);
            }
            e.prepareFast(isa);
        }

        private void rehash() {
            long[] oldKeys = keys;
            Entry[] oldEntries = entries;
            keys = new long[2 * oldKeys.length];
            entries = new Entry[2 * oldKeys.length];
            for (int k = 0; k < oldKeys.length; k++) {
                if (oldKeys[k] != 0) {
                    int s = slot(oldKeys[k]);
                    keys[s] = oldKeys[k];
                    entries[s] = oldEntries[k];
                }
            }
        }
    }

    /** Rows over site objects. */
    private static final class ArrayRows implements Rows {
        private final PatchSite[] sites;
        private int[] order;
        private boolean ordered;

        ArrayRows(PatchSite[] sites) {
            this.sites = sites;
        }

        @Override
        public int size() {
            return sites.length;
        }

        @Override
        public Isa isa(int i) {
            return sites[i].isa();
        }

        @Override
        public long address(int i) {
            return sites[i].address();
        }

        @Override
        public int length(int i) {
            return sites[i].length();
        }

        @Override
        public int type(int i) {
            return sites[i].type();
        }

        @Override
        public SiteKind kind(int i) {
            return sites[i].kind();
        }

        @Override
        public int clobberBits(int i) {
            return sites[i].clobbers().bits();
        }

        @Override
        public int callOffset(int i) {
            return sites[i].callOffsetOrMinusOne();
        }

        @Override
        public int stackArguments(int i) {
            return sites[i].stackArguments();
        }

        @Override
        public PatchSite site(int i) {
            return sites[i];
        }

        @Override
        public PatchSite siteOrNull(int i) {
            return sites[i];
        }

        @Override
        public int rowByAddress(int k) {
            if (!ordered) {
                ordered = true;
                for (int i = 1; i < sites.length && order == null; i++) {
                    if (Long.compareUnsigned(sites[i - 1].address(), sites[i].address()) > 0) {
                        Integer[] boxed = new Integer[sites.length];
                        Arrays.setAll(boxed, x -> x);
                        Arrays.sort(boxed, (a, b) -> Long.compareUnsigned(sites[a].address(), sites[b].address()));
                        order = new int[sites.length];
                        Arrays.setAll(order, x -> boxed[x]);
                    }
                }
            }
            return order == null ? k : order[k];
        }
    }

    /** Rows over a table's columns: no object per row unless one is asked for. */
    private static final class TableRows implements Rows {
        final SiteTable table;
        private final Isa isa;
        private final long[] address;

        TableRows(SiteTable table) {
            this.table = table;
            this.isa = table.isa();
            this.address = table.addressArray();
        }

        @Override
        public int size() {
            return table.size();
        }

        @Override
        public Isa isa(int i) {
            return isa;
        }

        @Override
        public long address(int i) {
            return address[i];
        }

        @Override
        public int length(int i) {
            return table.length(i);
        }

        @Override
        public int type(int i) {
            return table.type(i);
        }

        @Override
        public SiteKind kind(int i) {
            return table.kind(i);
        }

        @Override
        public int clobberBits(int i) {
            return table.clobberBits(i);
        }

        @Override
        public int callOffset(int i) {
            return table.callOffset(i);
        }

        @Override
        public int stackArguments(int i) {
            return table.stackArguments(i);
        }

        @Override
        public PatchSite site(int i) {
            return table.site(i);
        }

        @Override
        public PatchSite siteOrNull(int i) {
            return null;
        }

        @Override
        public int rowByAddress(int k) {
            return table.rowByAddress(k);
        }
    }
}
