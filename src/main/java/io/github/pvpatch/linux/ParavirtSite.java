package io.github.pvpatch.linux;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One paravirt call site of an image as the kernel sees it at boot on a given machine: where it
 * is, which table records it, the {@code pv_ops} slot it calls through, the native replacements
 * attached to it, and which of them the kernel applies under a {@link CpuFeatures} profile.
 * {@link KernelImage#paravirtSites(CpuFeatures)} lists them.
 *
 * <p>An immutable value; it has no public constructor, so no caller hands in an {@code Optional}.
 */
public final class ParavirtSite {
    private final long address;
    private final int length;
    private final String section;
    private final Source source;
    private final OptionalInt slot;
    private final OptionalLong slotAddress;
    private final Optional<AltEntry> directCall;
    private final List<AltEntry> candidates;
    private final Optional<AltEntry> chosen;
    private final Outcome outcome;

    /**
     * A site as read; copies the list.
     */
    ParavirtSite(long address, int length, String section, Source source, OptionalInt slot, OptionalLong slotAddress,
            Optional<AltEntry> directCall, List<AltEntry> candidates, Optional<AltEntry> chosen, Outcome outcome) {
        this.candidates = List.copyOf(candidates);
        this.address = address;
        this.length = length;
        this.section = Objects.requireNonNull(section, "section");
        this.source = Objects.requireNonNull(source, "source");
        this.slot = Objects.requireNonNull(slot, "slot");
        this.slotAddress = Objects.requireNonNull(slotAddress, "slotAddress");
        this.directCall = Objects.requireNonNull(directCall, "directCall");
        this.chosen = Objects.requireNonNull(chosen, "chosen");
        this.outcome = Objects.requireNonNull(outcome, "outcome");
    }

    /** {@return the site's run-time address} */
    public long address() {
        return address;
    }

    /** {@return its length in bytes} */
    public int length() {
        return length;
    }

    /** {@return the name of the section holding it} */
    public String section() {
        return section;
    }

    /** {@return the table that records it as a paravirt site} */
    public Source source() {
        return source;
    }

    /** {@return the {@code pv_ops} slot index; empty for a prelinked 6.8+ site whose slot could not be recovered} */
    public OptionalInt slot() {
        return slot;
    }

    /** {@return the slot's address; empty in a module (its relocation names the slot) or when the slot is unknown} */
    public OptionalLong slotAddress() {
        return slotAddress;
    }

    /** {@return the site's {@code ALT_FLAG_DIRECT_CALL} entry, for 6.8+ kernels} */
    public Optional<AltEntry> directCall() {
        return directCall;
    }

    /** {@return the other entries at the site, in table order: the conditional native replacements} */
    public List<AltEntry> candidates() {
        return candidates;
    }

    /** {@return the candidate the kernel leaves at the site on the profile (the last that applies)} */
    public Optional<AltEntry> chosen() {
        return chosen;
    }

    /** {@return what the kernel leaves at the site on the profile} */
    public Outcome outcome() {
        return outcome;
    }

    /** The table that records a site as a paravirt site. */
    public enum Source {
        /** {@code .parainstructions} (to Linux 6.7); replacements joined from {@code .altinstructions}. */
        PARAINSTRUCTIONS,
        /** An {@code ALT_FLAG_DIRECT_CALL} entry of {@code .altinstructions} (Linux 6.8 and later). */
        ALTINSTRUCTIONS
    }

    /** What the kernel leaves at a site when it boots on a profile, and so what a prelink writes there. */
    public enum Outcome {
        /** A native replacement applies: the kernel writes it (NOP-padded), and so does a prelink. */
        REPLACEMENT,
        /**
         * No replacement applies: the kernel calls what the slot holds, or NOPs the site when it holds
         * a function that does nothing; a prelink does the same, or inlines a short body.
         */
        SLOT,
        /**
         * No replacement applies and the profile is paravirtualized: the hypervisor's setup re-points
         * slots before the kernel patches, so what the image's slot holds is not what runs. The site
         * is left to the kernel.
         */
        LEFT_TO_KERNEL,
        /** The site is already prelinked (pvpatch's own output): it is left as it is. */
        PRELINKED
    }

    /**
     * {@return whether {@code o} is a ParavirtSite with equal components}
     *
     * @param o the other object
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ParavirtSite)) {
            return false;
        }
        ParavirtSite that = (ParavirtSite) o;
        return address == that.address
                && length == that.length
                && section.equals(that.section)
                && source.equals(that.source)
                && slot.equals(that.slot)
                && slotAddress.equals(that.slotAddress)
                && directCall.equals(that.directCall)
                && candidates.equals(that.candidates)
                && chosen.equals(that.chosen)
                && outcome.equals(that.outcome);
    }

    /** {@return a hash of the components} */
    @Override
    public int hashCode() {
        return Objects.hash(address, length, section, source, slot, slotAddress, directCall, candidates, chosen,
                outcome);
    }

    /** {@return the components, as {@code ParavirtSite[address=..., ...]}} */
    @Override
    public String toString() {
        return "ParavirtSite[address=" + address + ", length=" + length + ", section=" + section + ", source=" + source
                + ", slot=" + slot + ", slotAddress=" + slotAddress + ", directCall=" + directCall
                + ", candidates=" + candidates + ", chosen=" + chosen + ", outcome=" + outcome + "]";
    }
}
