package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.SiteKind;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Many sites of one ISA in a compact, immutable table: two arrays (the addresses, and every other
 * field packed in a long) instead of one object per site, 16 bytes a site
 * ({@value #BYTES_PER_SITE}), for binary rewriters with millions of sites. {@link PatchPass} patches a table without making an object per site.
 *
 * <p>Each row holds what a {@link PatchSite} holds and is checked by the same code when added, so
 * every valid {@code PatchSite} is a valid row (call offsets up to 254 included).
 * {@link #site(int)} makes the {@code PatchSite} of a row when one is wanted.
 *
 * <pre>{@code
 * SiteTable.Builder b = SiteTable.builder(Isa.X86_64, records.size());
 * for (Record r : records) {
 *     b.add(r.address(), r.length(), r.type(), r.clobberBits(), SiteKind.CALL, 0, 0);
 * }
 * SiteTable sites = b.build();
 * }</pre>
 */
public final class SiteTable {
    /** Heap bytes a row takes in the table's arrays: an 8-byte address and an 8-byte shape. */
    public static final int BYTES_PER_SITE = 16;

    // A row's shape: every field but the address, packed in one long so that a pass loads two
    // arrays per row and the engine uses the shape as its template key as it stands.
    private static final int LENGTH_SHIFT = 16;
    private static final int JUMP_SHIFT = 24;
    private static final int ISA32_SHIFT = 25;
    /** The call offset plus one, unsigned: 0 when not recorded, so every offset a site allows fits. */
    private static final int CALL_SHIFT = 26;
    private static final int STACK_SHIFT = 34;
    private static final int CLOBBER_SHIFT = 42;

    private final Isa isa;
    private final int size;
    private final long[] address;
    private final long[] shape;
    /** Rows in address order; null when the rows were added in address order (the usual case). */
    private final int[] byAddress;
    /** The rows' lengths summed: the size of a pass's original and patched arrays. */
    private final long totalLength;

    private SiteTable(Builder b) {
        this.isa = b.isa;
        this.size = b.size;
        this.address = Arrays.copyOf(b.address, size);
        this.shape = Arrays.copyOf(b.shape, size);
        this.byAddress = b.sorted ? null : order(address, size);
        long total = 0;
        for (int i = 0; i < size; i++) {
            total += lengthOf(shape[i]);
        }
        this.totalLength = total;
    }

    private static int[] order(long[] address, int size) {
        Integer[] boxed = new Integer[size];
        Arrays.setAll(boxed, i -> i);
        Arrays.sort(boxed, (a, c) -> Long.compareUnsigned(address[a], address[c]));
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            out[i] = boxed[i];
        }
        return out;
    }

    /**
     * {@return a builder for a table of {@code isa} sites}
     *
     * @param isa the instruction set of every site
     * @param expectedSize how many rows to make room for at first (it grows)
     */
    public static Builder builder(Isa isa, int expectedSize) {
        return new Builder(isa, expectedSize);
    }

    /**
     * {@return a table of {@code sites}, in their order}
     *
     * @param isa the instruction set of every site
     * @param sites the sites
     * @throws IllegalArgumentException if a site is of another ISA
     */
    public static SiteTable of(Isa isa, List<PatchSite> sites) {
        Builder b = builder(isa, sites.size());
        for (PatchSite s : sites) {
            b.add(s);
        }
        return b.build();
    }

    /** {@return the instruction set} */
    public Isa isa() {
        return isa;
    }

    /** {@return the number of rows} */
    public int size() {
        return size;
    }

    /**
     * {@return row {@code i} as a site (made on each call)}
     *
     * @param i the row
     */
    public PatchSite site(int i) {
        Objects.checkIndex(i, size);
        PatchSite s = PatchSite.of(isa, address[i], length(i), type(i), ClobberSet.ofBits(clobberBits(i)))
                .withKind(kind(i)).withStackArguments(stackArguments(i));
        return callOffset(i) >= 0 ? s.withCallOffset(callOffset(i)) : s;
    }

    /**
     * {@return the address of row {@code i}}
     *
     * @param i the row
     */
    public long address(int i) {
        return address[i];
    }

    /**
     * {@return the length of row {@code i}}
     *
     * @param i the row
     */
    public int length(int i) {
        return lengthOf(shape[i]);
    }

    /**
     * {@return the op type of row {@code i}}
     *
     * @param i the row
     */
    public int type(int i) {
        return (int) shape[i] & 0xFFFF;
    }

    /**
     * {@return the clobbers of row {@code i}, as {@link ClobberSet#bits()}}
     *
     * @param i the row
     */
    public int clobberBits(int i) {
        return (int) (shape[i] >>> CLOBBER_SHIFT) & 0xFFFF;
    }

    /**
     * {@return the call offset of row {@code i}, or -1 when not recorded}
     *
     * @param i the row
     */
    public int callOffset(int i) {
        return ((int) (shape[i] >>> CALL_SHIFT) & 0xFF) - 1;
    }

    /**
     * {@return the stack arguments of row {@code i}}
     *
     * @param i the row
     */
    public int stackArguments(int i) {
        return (int) (shape[i] >>> STACK_SHIFT) & 0xFF;
    }

    /**
     * {@return the kind of row {@code i}}
     *
     * @param i the row
     */
    public SiteKind kind(int i) {
        return isJump(shape[i]) ? SiteKind.JUMP : SiteKind.CALL;
    }

    // The arrays themselves, for PatchPass's loop (package-private: a pass reads, never writes them).
    long[] addressArray() {
        return address;
    }

    /** Each row's fields but its address, packed; see {@link #shape}. */
    long[] shapeArray() {
        return shape;
    }

    /**
     * {@return the fields of a row but its address, packed in a long that is never 0}: the op type
     * in bits 0-15, the length in 16-23, jump in 24, x86-32 in 25, the call offset plus one (0: not
     * recorded) in 26-33, the stack arguments in 34-41 and the clobbers in 42-57. Equal shapes
     * mean equal rows but for the address, which is what the engine's template cache keys on.
     */
    static long shape(boolean isa32, int length, int type, int clobberBits, boolean jump, int callOffset,
            int stackArguments) {
        return (long) type
                | (long) length << LENGTH_SHIFT
                | (long) (jump ? 1 : 0) << JUMP_SHIFT
                | (long) (isa32 ? 1 : 0) << ISA32_SHIFT
                | (long) (callOffset + 1) << CALL_SHIFT
                | (long) stackArguments << STACK_SHIFT
                | (long) clobberBits << CLOBBER_SHIFT;
    }

    /** {@return the length field of a shape} */
    static int lengthOf(long shape) {
        return (int) (shape >>> LENGTH_SHIFT) & 0xFF;
    }

    /** {@return the op type field of a shape} */
    static int typeOf(long shape) {
        return (int) shape & 0xFFFF;
    }

    /** {@return whether a shape is a jump site's} */
    static boolean isJump(long shape) {
        return (shape >>> JUMP_SHIFT & 1) != 0;
    }

    /** {@return the rows' lengths summed} */
    long totalLength() {
        return totalLength;
    }

    /** {@return whether the rows are in address order} */
    boolean inAddressOrder() {
        return byAddress == null;
    }

    /** The row at position {@code k} in address order. */
    int rowByAddress(int k) {
        return byAddress == null ? k : byAddress[k];
    }

    @Override
    public String toString() {
        return "SiteTable{" + isa.displayName() + ", " + size + " sites}";
    }

    /** Adds rows for a new {@link SiteTable}; not thread-safe. */
    public static final class Builder {
        private final Isa isa;
        private int size;
        private long[] address;
        private long[] shape;
        private boolean sorted = true;

        private Builder(Isa isa, int expected) {
            this.isa = Objects.requireNonNull(isa, "isa");
            if (expected < 0) {
                throw new IllegalArgumentException("expectedSize=" + expected + " is negative");
            }
            grow(Math.max(16, expected));
        }

        private void grow(int capacity) {
            address = Arrays.copyOf(address == null ? new long[0] : address, capacity);
            shape = Arrays.copyOf(shape == null ? new long[0] : shape, capacity);
        }

        /**
         * Adds a row, checked as {@link PatchSite} checks its fields.
         *
         * @param at the site's address
         * @param len its length, 1 to {@value PatchSite#MAX_LENGTH}
         * @param opType its op type, 0 to {@value PatchSite#MAX_TYPE}
         * @param clobberBits its clobbers, as {@link ClobberSet#bits()}
         * @param kind call or jump
         * @param call where its call starts, or -1 when not recorded
         * @param stackArgs how many of the op's arguments are on the stack, 0 to 255
         * @return this builder
         * @throws IllegalArgumentException if a field is out of range
         */
        public Builder add(long at, int len, int opType, int clobberBits, SiteKind kind, int call, int stackArgs) {
            PatchSite.check(isa, at, len, opType, kind, ClobberSet.ofBits(clobberBits), call, stackArgs);
            if (size == address.length) {
                grow((int) Math.min(Integer.MAX_VALUE - 8L, 2L * size));
            }
            if (size > 0 && Long.compareUnsigned(address[size - 1], at) > 0) {
                sorted = false;
            }
            address[size] = at;
            shape[size] = shape(isa == Isa.X86_32, len, opType, clobberBits, kind == SiteKind.JUMP, call, stackArgs);
            size++;
            return this;
        }

        /**
         * Adds a site's row.
         *
         * @param site the site
         * @return this builder
         * @throws IllegalArgumentException if it is of another ISA
         */
        public Builder add(PatchSite site) {
            if (site.isa() != isa) {
                throw new IllegalArgumentException(site + " is not of isa=" + isa.displayName());
            }
            return add(site.address(), site.length(), site.type(), site.clobbers().bits(), site.kind(),
                    site.callOffsetOrMinusOne(), site.stackArguments());
        }

        /** {@return the table} */
        public SiteTable build() {
            return new SiteTable(this);
        }
    }
}
