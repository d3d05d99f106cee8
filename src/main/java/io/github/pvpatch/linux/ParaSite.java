package io.github.pvpatch.linux;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * One {@code .parainstructions} record, resolved: where the site is (its section and the
 * offset in it, and its run-time address), its op type, length and clobber mask as recorded,
 * and, in a relocatable module, the ops-table slot its call's relocation names.
 *
 * <p>An immutable value read from an image ({@link ParaInstructions#sites()},
 * {@link KernelImage#records()}); it has no public constructor, so no caller hands in an
 * {@code Optional}.
 */
public final class ParaSite {
    private final int section;
    private final long offset;
    private final long address;
    private final int type;
    private final int length;
    private final int clobbers;
    private final OptionalInt relocatedSlot;

    /**
     * A record as read.
     */
    ParaSite(int section, long offset, long address, int type, int length, int clobbers, OptionalInt relocatedSlot) {
        this.section = section;
        this.offset = offset;
        this.address = address;
        this.type = type;
        this.length = length;
        this.clobbers = clobbers;
        this.relocatedSlot = Objects.requireNonNull(relocatedSlot, "relocatedSlot");
    }

    /** {@return the index of the section that holds the site's bytes} */
    public int section() {
        return section;
    }

    /** {@return the site's offset in that section} */
    public long offset() {
        return offset;
    }

    /** {@return the site's run-time address (section address plus offset; in a module the section address is 0)} */
    public long address() {
        return address;
    }

    /** {@return the op type: the slot index} */
    public int type() {
        return type;
    }

    /** {@return the site's length in bytes} */
    public int length() {
        return length;
    }

    /** {@return the Linux {@code CLBR_*} mask, or -1 when the layout has none} */
    public int clobbers() {
        return clobbers;
    }

    /** {@return in a module, the slot named by the relocation of the site's call} */
    public OptionalInt relocatedSlot() {
        return relocatedSlot;
    }


    /**
     * {@return whether {@code o} is a ParaSite with equal components}
     *
     * @param o the other object
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ParaSite)) {
            return false;
        }
        ParaSite that = (ParaSite) o;
        return section == that.section
                && offset == that.offset
                && address == that.address
                && type == that.type
                && length == that.length
                && clobbers == that.clobbers
                && relocatedSlot.equals(that.relocatedSlot);
    }

    /** {@return a hash of the components} */
    @Override
    public int hashCode() {
        return Objects.hash(section, offset, address, type, length, clobbers, relocatedSlot);
    }

    /** {@return the components, as {@code ParaSite[section=..., ...]}} */
    @Override
    public String toString() {
        return "ParaSite[section=" + section + ", offset=" + offset + ", address=" + address + ", type=" + type
                + ", length=" + length + ", clobbers=" + clobbers + ", relocatedSlot=" + relocatedSlot + "]";
    }
}
