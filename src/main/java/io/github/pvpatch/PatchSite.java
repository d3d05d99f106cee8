package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One patchable run of bytes in code: where it is, how long, which op it calls, and what the
 * code around it allows.
 *
 * <p>A site as compiled holds an indirect call (or jump) through the ops-table slot of its
 * {@link #type()}, with push/pop pairs around it for every register a C call may destroy that the
 * site's {@link #clobbers()} do not allow, so it is always correct to run unpatched. The record
 * mirrors the kernel's {@code .parainstructions} entry ({@code instr, type, len, clobbers}) and
 * adds two fields the kernel's entry lacks: the {@linkplain #callOffset() offset of the call
 * instruction} inside the site, and how many of the op's {@linkplain #stackArguments() arguments
 * are on the stack} (pushes inside the site would move them).
 *
 * <p>Structural checks happen here and throw {@link IllegalArgumentException}; whether a site can
 * take a given rewrite is the patcher's question, answered with a {@link PatchBug}.
 *
 * <pre>{@code
 * // i386 irq_disable site of 2.6.21: push ecx; push edx; call *pv_ops+slot; pop edx; pop ecx
 * PatchSite site = PatchSite.of(Isa.X86_32, 0xc1024745L, 10, 7, ClobberSet.of(Register.EAX))
 *         .withCallOffset(2);
 * }</pre>
 */
public final class PatchSite {
    static {
        io.github.pvpatch.internal.SiteFields.register(site -> ((PatchSite) site).callOffset);
    }

    /** The largest site length: the kernel's record holds the length in one byte. */
    public static final int MAX_LENGTH = 255;
    /** The largest op type: ops tables are indexed by an unsigned 16-bit number. */
    public static final int MAX_TYPE = 0xFFFF;

    private final Isa isa;
    private final long address;
    private final int length;
    private final int type;
    private final SiteKind kind;
    private final ClobberSet clobbers;
    private final int callOffset;
    private final int stackArguments;

    private PatchSite(Isa isa, long address, int length, int type, SiteKind kind, ClobberSet clobbers,
            int callOffset, int stackArguments) {
        this.isa = isa;
        this.kind = kind;
        this.clobbers = clobbers;
        check(isa, address, length, type, kind, clobbers, callOffset, stackArguments);
        this.address = address;
        this.length = length;
        this.type = type;
        this.callOffset = callOffset;
        this.stackArguments = stackArguments;
    }

    /**
     * The one validation of a site's fields, for a {@code PatchSite} and for a {@link SiteTable}
     * row alike.
     *
     * @throws IllegalArgumentException if a value is out of range
     */
    static void check(Isa isa, long address, int length, int type, SiteKind kind, ClobberSet clobbers,
            int callOffset, int stackArguments) {
        Objects.requireNonNull(isa, "isa");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(clobbers, "clobbers").requireIn(isa);
        if (length < 1 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("length=" + length + " is outside 1.." + MAX_LENGTH);
        }
        if (!isa.isRange(address, length)) {
            throw new IllegalArgumentException("address=0x" + Long.toHexString(address) + " length=" + length
                    + " is not a range of isa=" + isa.displayName());
        }
        if (type < 0 || type > MAX_TYPE) {
            throw new IllegalArgumentException("type=" + type + " is outside 0.." + MAX_TYPE);
        }
        if (callOffset < -1 || callOffset >= length) {
            throw new IllegalArgumentException("callOffset=" + callOffset + " is outside the site (length=" + length + ")");
        }
        if (stackArguments < 0 || stackArguments > 255) {
            throw new IllegalArgumentException("stackArguments=" + stackArguments + " is outside 0..255");
        }
    }

    /**
     * {@return a call site with no recorded call offset and all arguments in registers}
     *
     * @param isa the instruction set of the code
     * @param address the address of the site's first byte
     * @param length the site's length in bytes, 1 to {@value #MAX_LENGTH}
     * @param type the op type: the index of the op's slot in the ops table, 0 to {@value #MAX_TYPE}
     * @param clobbers the registers the code around the site lets it destroy
     * @throws IllegalArgumentException if a value is out of range, or a clobbered register does
     *     not exist on {@code isa}
     */
    public static PatchSite of(Isa isa, long address, int length, int type, ClobberSet clobbers) {
        return new PatchSite(isa, address, length, type, SiteKind.CALL, clobbers, -1, 0);
    }

    /**
     * {@return this site with the call instruction recorded at {@code offset} bytes into the site}
     *
     * @param offset where the indirect call (or jump) starts, 0 to {@code length() - 1}
     * @throws IllegalArgumentException if {@code offset} is outside the site
     */
    public PatchSite withCallOffset(int offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("callOffset=" + offset + " is negative");
        }
        return new PatchSite(isa, address, length, type, kind, clobbers, offset, stackArguments);
    }

    /** {@return this site with no recorded call offset} */
    public PatchSite withoutCallOffset() {
        return new PatchSite(isa, address, length, type, kind, clobbers, -1, stackArguments);
    }

    /**
     * {@return this site with {@code count} of the op's arguments passed on the stack}
     *
     * @param count 0 (registers only) to 255
     * @throws IllegalArgumentException if {@code count} is out of range
     */
    public PatchSite withStackArguments(int count) {
        return new PatchSite(isa, address, length, type, kind, clobbers, callOffset, count);
    }

    /**
     * {@return this site reached through {@code kind}}
     *
     * @param kind call or jump
     */
    public PatchSite withKind(SiteKind kind) {
        return new PatchSite(isa, address, length, type, kind, clobbers, callOffset, stackArguments);
    }

    /**
     * {@return this site at another address}, as after the code around it was moved
     *
     * @param newAddress the address of the first byte
     * @throws IllegalArgumentException if the site does not fit at {@code newAddress}
     */
    public PatchSite withAddress(long newAddress) {
        return new PatchSite(isa, newAddress, length, type, kind, clobbers, callOffset, stackArguments);
    }

    /**
     * {@return this site with other clobbers}
     *
     * @param newClobbers the registers the site lets its code destroy
     */
    public PatchSite withClobbers(ClobberSet newClobbers) {
        return new PatchSite(isa, address, length, type, kind, newClobbers, callOffset, stackArguments);
    }

    /** {@return the instruction set of the code around the site} */
    public Isa isa() {
        return isa;
    }

    /** {@return the address of the site's first byte} */
    public long address() {
        return address;
    }

    /** {@return the address just past the site's last byte} */
    public long addressAfter() {
        return address + length;
    }

    /** {@return the site's length in bytes} */
    public int length() {
        return length;
    }

    /** {@return the op type: the slot index in the ops table} */
    public int type() {
        return type;
    }

    /** {@return whether the site calls or jumps to its op} */
    public SiteKind kind() {
        return kind;
    }

    /** {@return the registers the code around the site lets the site destroy} */
    public ClobberSet clobbers() {
        return clobbers;
    }

    /** {@return where the call instruction starts inside the site, when it was recorded} */
    public OptionalInt callOffset() {
        return callOffset < 0 ? OptionalInt.empty() : OptionalInt.of(callOffset);
    }

    /** A site from every field at once ({@code callOffset} -1 for none), checked as {@link #check} checks. */
    static PatchSite ofFields(Isa isa, long address, int length, int type, SiteKind kind, ClobberSet clobbers,
            int callOffset, int stackArguments) {
        return new PatchSite(isa, address, length, type, kind, clobbers, callOffset, stackArguments);
    }

    /** The call offset or -1, without an {@code OptionalInt}, for the planner's hot path. */
    int callOffsetOrMinusOne() {
        return callOffset;
    }

    /** {@return how many of the op's arguments are on the stack; 0 when all are in registers} */
    public int stackArguments() {
        return stackArguments;
    }

    /**
     * {@return the site in the {@code key=value} form used by every message of the library,
     * such as {@code site=0xc1024745 len=10 type=7 clobbers=[eax]}}
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(64)
                .append("site=0x").append(Long.toHexString(address))
                .append(" len=").append(length)
                .append(" type=").append(type);
        if (kind == SiteKind.JUMP) {
            sb.append(" kind=jump");
        }
        sb.append(" clobbers=").append(clobbers.toString(isa));
        if (callOffset >= 0) {
            sb.append(" callOffset=").append(callOffset);
        }
        if (stackArguments > 0) {
            sb.append(" stackArgs=").append(stackArguments);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof PatchSite)) {
            return false;
        }
        PatchSite s = (PatchSite) o;
        return isa == s.isa && address == s.address && length == s.length && type == s.type && kind == s.kind
                && clobbers.equals(s.clobbers) && callOffset == s.callOffset && stackArguments == s.stackArguments;
    }

    @Override
    public int hashCode() {
        return Objects.hash(isa, address, length, type, kind, clobbers, callOffset, stackArguments);
    }
}
