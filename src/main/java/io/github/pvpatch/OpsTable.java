package io.github.pvpatch;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * The ops installed now: op type (slot index) &rarr; {@link Op}. Immutable; {@link #with(int, Op)}
 * gives a changed copy, which is how a late ("relink") patch pass gets its new table.
 *
 * <pre>{@code
 * OpsTable ops = OpsTable.builder()
 *         .put(0, Op.nativeCode("fa", ClobberSet.none()))          // irq_disable: cli
 *         .put(1, Op.nativeCode("fb", ClobberSet.none()))          // irq_enable: sti
 *         .put(2, Op.nop())                                        // flush_tlb: nothing here
 *         .build();
 * ops.op(0);   // Optional[native[fa] clobbers=[]]
 * }</pre>
 */
public final class OpsTable {
    private static final OpsTable EMPTY = new OpsTable(new Op[0]);

    /** Indexed by type; null where no op is installed. Never escapes. */
    private final Op[] ops;

    private OpsTable(Op[] ops) {
        this.ops = ops;
    }

    /** {@return the table with no ops} */
    public static OpsTable empty() {
        return EMPTY;
    }

    /**
     * {@return a table holding the given ops}
     *
     * @param ops type &rarr; op
     * @throws IllegalArgumentException if a type is outside 0..{@value PatchSite#MAX_TYPE}
     */
    public static OpsTable of(Map<Integer, ? extends Op> ops) {
        Builder b = builder();
        Objects.requireNonNull(ops, "ops").forEach((t, op) -> b.put(Objects.requireNonNull(t, "type"), op));
        return b.build();
    }

    /** {@return a builder for a new table} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@return the op installed for {@code type}, if any}
     *
     * @param type the op type
     */
    public Optional<Op> op(int type) {
        return Optional.ofNullable(lookup(type));
    }

    /** The hot-path form of {@link #op(int)}: null when absent. */
    Op lookup(int type) {
        return type >= 0 && type < ops.length ? ops[type] : null;
    }

    /**
     * {@return a copy of this table with {@code op} installed for {@code type}}
     *
     * @param type the op type
     * @param op the op
     */
    public OpsTable with(int type, Op op) {
        return toBuilder().put(type, op).build();
    }

    /**
     * {@return a copy of this table without an op for {@code type}}
     *
     * @param type the op type
     */
    public OpsTable without(int type) {
        return toBuilder().remove(type).build();
    }

    /** {@return a builder that starts from this table's ops} */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.ops = ops.clone();
        return b;
    }

    /** {@return how many types have an op} */
    public int size() {
        int n = 0;
        for (Op op : ops) {
            if (op != null) {
                n++;
            }
        }
        return n;
    }

    /** {@return the types that have an op, in increasing order} */
    public int[] types() {
        int[] types = new int[size()];
        int n = 0;
        for (int t = 0; t < ops.length; t++) {
            if (ops[t] != null) {
                types[n++] = t;
            }
        }
        return types;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OpsTable && Arrays.equals(trimmed(ops), trimmed(((OpsTable) o).ops));
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(trimmed(ops));
    }

    private static Op[] trimmed(Op[] ops) {
        int n = ops.length;
        while (n > 0 && ops[n - 1] == null) {
            n--;
        }
        return n == ops.length ? ops : Arrays.copyOf(ops, n);
    }

    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "OpsTable{", "}");
        for (int t = 0; t < ops.length; t++) {
            if (ops[t] != null) {
                j.add(t + "=" + ops[t]);
            }
        }
        return j.toString();
    }

    /** Collects ops for a new {@link OpsTable}; not thread-safe, single use per {@link #build()}. */
    public static final class Builder {
        private Op[] ops = new Op[0];

        private Builder() {
        }

        /**
         * Installs {@code op} for {@code type}, replacing any earlier one.
         *
         * @param type the op type, 0 to {@value PatchSite#MAX_TYPE}
         * @param op the op
         * @return this builder
         * @throws IllegalArgumentException if {@code type} is out of range
         */
        public Builder put(int type, Op op) {
            Objects.requireNonNull(op, "op");
            if (type < 0 || type > PatchSite.MAX_TYPE) {
                throw new IllegalArgumentException("type=" + type + " is outside 0.." + PatchSite.MAX_TYPE);
            }
            if (type >= ops.length) {
                ops = Arrays.copyOf(ops, Math.max(type + 1, Math.min(PatchSite.MAX_TYPE + 1, ops.length * 2)));
            }
            ops[type] = op;
            return this;
        }

        /**
         * Removes the op of {@code type}, if any.
         *
         * @param type the op type
         * @return this builder
         */
        public Builder remove(int type) {
            if (type >= 0 && type < ops.length) {
                ops[type] = null;
            }
            return this;
        }

        /** {@return the table} */
        public OpsTable build() {
            return new OpsTable(trimmed(ops).clone());
        }
    }
}
