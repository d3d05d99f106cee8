package io.github.pvpatch.linux;

import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.Op;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.SiteCheck;
import io.github.pvpatch.Violation;
import io.github.pvpatch.x86.IndirectForm;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.verify.SiteVerifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Offline prelinking of a kernel image: every {@code .parainstructions} site patched for the ops
 * the image's {@code pv_ops} holds at boot, in a copy of the ELF in which no byte outside the
 * sites changes. All sections are planned before anything is written.
 */
public final class Prelink {
    private Prelink() {
    }

    /**
     * How to prelink. Immutable.
     *
     * @param mode strict (a site that cannot be patched stops the prelink) or lenient (it stays
     *     as it is and is reported)
     * @param verify whether every site is checked with the disassembler before and after
     */
    public record Options(PatchOptions.Mode mode, boolean verify) {
        /**
         * Checks the components.
         *
         * @param mode strict or lenient
         * @param verify whether to verify
         */
        public Options {
            Objects.requireNonNull(mode, "mode");
        }

        /** {@return strict, not verified} */
        public static Options defaults() {
            return new Options(PatchOptions.Mode.STRICT, false);
        }

        /**
         * {@return these options with verification on or off}
         *
         * @param on whether to verify
         */
        public Options withVerify(boolean on) {
            return new Options(mode, on);
        }

        /**
         * {@return these options in another mode}
         *
         * @param newMode strict or lenient
         */
        public Options withMode(PatchOptions.Mode newMode) {
            return new Options(newMode, verify);
        }
    }

    /**
     * A prelinked image.
     *
     * @param image the new ELF bytes
     * @param plans the plan of each section that has sites, by section name
     * @param verified how many sites the disassembler checked (0 when not asked)
     */
    public record Result(byte[] image, Map<String, PatchPlan> plans, int verified) {
        /** {@return how many sites each strategy rewrote, over all sections} */
        public Map<Strategy, Integer> countByStrategy() {
            Map<Strategy, Integer> all = new EnumMap<>(Strategy.class);
            plans.values().forEach(p -> p.countByStrategy().forEach((k, v) -> all.merge(k, v, Integer::sum)));
            return Collections.unmodifiableMap(all);
        }

        /** {@return the number of sites} */
        public int sites() {
            return plans.values().stream().mapToInt(PatchPlan::size).sum();
        }
    }

    static Result run(KernelImage k, Options options) {
        Objects.requireNonNull(options, "options");
        if (k.elf().isRelocatable()) {
            throw new ImageFormatException("a module has no pv_ops of its own to prelink against: prelink the"
                    + " kernel image; list a module's sites with `pvpatch sites`");
        }
        byte[] image = k.elfBytesCopy();
        // Without the disassembler, the bytes are still checked: each site must hold the indirect
        // call through its own slot, or it is not the site its record says.
        SiteCheck check = options.verify() ? SiteVerifier.perSite(k::formOf) : new SlotCallCheck(k);
        PatchOptions patch = PatchOptions.defaults().withMode(options.mode()).withCheck(check);
        requireDisjoint(k.sitesBySection().keySet());
        Map<String, PatchPlan> plans = new LinkedHashMap<>();
        List<PatchPlan> ordered = new ArrayList<>();
        for (Map.Entry<ElfFile.Section, List<PatchSite>> e : k.sitesBySection().entrySet()) {
            ElfFile.Section s = e.getKey();
            // The buffer is the section's bytes inside the copy: applying writes the new image.
            CodeBuffer code = CodeBuffer.wrap(image, (int) s.offset(), (int) s.size(), s.address());
            PatchPlan plan = PatchPlan.of(code, e.getValue(), k.nativeOps(), patch);
            plans.put(s.name(), plan);
            ordered.add(plan);
        }
        for (PatchPlan plan : ordered) {
            plan.apply();
        }
        int verified = 0;
        if (options.verify()) {
            for (PatchPlan plan : ordered) {
                for (int i = 0; i < plan.size(); i++) {
                    verified += plan.strategy(i) == Strategy.LEFT_UNPATCHED ? 0 : 1;
                }
            }
        }
        return new Result(image, Collections.unmodifiableMap(plans), verified);
    }

    /**
     * Sections with sites must not share file bytes: one section's patches would change the bytes
     * another's plan was made from.
     */
    private static void requireDisjoint(java.util.Collection<ElfFile.Section> sections) {
        List<ElfFile.Section> list = new ArrayList<>(sections);
        for (int i = 0; i < list.size(); i++) {
            for (int j = i + 1; j < list.size(); j++) {
                ElfFile.Section a = list.get(i);
                ElfFile.Section b = list.get(j);
                if (a.offset() < b.offset() + b.size() && b.offset() < a.offset() + a.size()) {
                    throw new ImageFormatException("sections " + a.name() + " (file offset 0x"
                            + Long.toHexString(a.offset()) + " size 0x" + Long.toHexString(a.size()) + ") and "
                            + b.name() + " (file offset 0x" + Long.toHexString(b.offset()) + " size 0x"
                            + Long.toHexString(b.size()) + ") hold sites and overlap in the file");
                }
            }
        }
    }

    /** The site's bytes hold, at its call offset, an indirect call or jump reading its own slot. */
    private static final class SlotCallCheck implements SiteCheck {
        private final KernelImage k;

        SlotCallCheck(KernelImage k) {
            this.k = k;
        }

        @Override
        public void checkOriginal(PatchSite site, Op op, byte[] original) {
            long slot = k.pvOps().getAsLong() + (long) k.isa().pointerSize() * site.type();
            if (site.callOffset().isPresent()) {
                int at = site.callOffset().getAsInt();
                IndirectForm f = IndirectForm.find(site.isa(), site.kind(), original, at, original.length);
                if (f != null && f.slotAddress(original, at, site.address() + at) == slot) {
                    return;
                }
            }
            throw PatchBug.of(Violation.ORIGINAL_MISMATCH, site, 0, 0, "bytes " + java.util.HexFormat.ofDelimiter(" ")
                    .formatHex(original) + " hold no indirect call through slot 0x" + Long.toHexString(slot));
        }

        @Override
        public void checkPatched(PatchSite site, Op op, Strategy strategy, byte[] original, byte[] patched) {
        }
    }
}
