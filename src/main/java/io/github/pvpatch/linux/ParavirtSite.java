package io.github.pvpatch.linux;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One paravirt call site of an image as the kernel sees it at boot on a given machine: where it
 * is, which table records it, the {@code pv_ops} slot it calls through, the native replacements
 * attached to it, and which of them the kernel applies under a {@link CpuFeatures} profile.
 * {@link KernelImage#paravirtSites(CpuFeatures)} lists them.
 *
 * @param address the site's run-time address
 * @param length its length in bytes
 * @param section the name of the section holding it
 * @param source the table that records it as a paravirt site
 * @param slot the {@code pv_ops} slot index; empty for a prelinked 6.8+ site whose slot could not
 *     be recovered
 * @param slotAddress the slot's address; empty in a module (its relocation names the slot) or when
 *     the slot is unknown
 * @param directCall the site's {@code ALT_FLAG_DIRECT_CALL} entry, for 6.8+ kernels
 * @param candidates the other entries at the site, in table order: the conditional native replacements
 * @param chosen the candidate the kernel leaves at the site on the profile (the last that applies)
 * @param outcome what the kernel leaves at the site on the profile
 */
public record ParavirtSite(long address, int length, String section, Source source, OptionalInt slot,
        OptionalLong slotAddress, Optional<AltEntry> directCall, List<AltEntry> candidates, Optional<AltEntry> chosen,
        Outcome outcome) {

    /**
     * Copies the list.
     *
     * @param address the address
     * @param length the length
     * @param section the section name
     * @param source the table
     * @param slot the slot
     * @param slotAddress the slot's address
     * @param directCall the direct-call entry
     * @param candidates the replacements
     * @param chosen the chosen one
     * @param outcome the outcome
     */
    public ParavirtSite {
        candidates = List.copyOf(candidates);
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
}
