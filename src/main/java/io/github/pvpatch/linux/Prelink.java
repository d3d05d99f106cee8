package io.github.pvpatch.linux;

import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.verify.NativeScanner;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.SiteCheck;
import io.github.pvpatch.SiteOutcome;
import io.github.pvpatch.Violation;
import io.github.pvpatch.x86.IndirectForm;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.verify.SiteVerifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Offline prelinking of a kernel image: every paravirt site patched to what the kernel itself
 * would leave there when it boots on a machine with the options' {@link CpuFeatures}, in a copy
 * of the ELF. All sections are planned before anything is written.
 *
 * <p>Per site ({@link ParavirtSite.Outcome}): the native replacement {@code .altinstructions}
 * attaches to it when its condition holds (the last that applies, in table order, as the kernel
 * applies them), relocated to the site and NOP-padded; else what the slot holds, as a direct
 * call or NOPs, or, beyond the kernel, its body inlined when it is short enough. Never a call
 * where the kernel would inline. On a paravirtualized profile a site no replacement covers is
 * left to the kernel, and so is a site already prelinked.
 *
 * <p><b>Bytes changed outside the sites.</b> A 6.8+ kernel's boot-time pass ({@code
 * alt_replace_call}) {@code BUG()}s on a direct-call entry whose site is no longer {@code ff 15};
 * so for each prelinked site the prelink sets {@code ALT_FLAG_NOT} in its direct-call entry: one
 * bit, bit 0 of byte 10 of the 14-byte entry ({@code ft_flags} bit 16), turning its condition
 * {@code ALWAYS} into {@code ALT_NOT(ALWAYS)}, which no machine meets, so the kernel skips the
 * entry ({@code !boot_cpu_has(cpuid) == !(flags & ALT_FLAG_NOT)}). It also marks the site as
 * prelinked for a later read. The attached replacements are left as they are: on the profile,
 * the one that applies is the one the prelink wrote, and the kernel writing the same
 * instructions again changes nothing. {@link Result#edits()} lists every such byte; a 6.1 image
 * needs none (its boot re-patches {@code .parainstructions} sites from their type, whatever they hold).
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
     * @param features the feature bits of the machine the image will boot on
     */
    public record Options(PatchOptions.Mode mode, boolean verify, CpuFeatures features) {
        /**
         * Checks the components.
         *
         * @param mode strict or lenient
         * @param verify whether to verify
         * @param features the machine's features
         */
        public Options {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(features, "features");
        }

        /**
         * Options for the default machine (bare metal or an emulator).
         *
         * @param mode strict or lenient
         * @param verify whether to verify
         */
        public Options(PatchOptions.Mode mode, boolean verify) {
            this(mode, verify, CpuFeatures.defaults());
        }

        /** {@return strict, not verified, bare metal} */
        public static Options defaults() {
            return new Options(PatchOptions.Mode.STRICT, false, CpuFeatures.defaults());
        }

        /**
         * {@return these options with verification on or off}
         *
         * @param on whether to verify
         */
        public Options withVerify(boolean on) {
            return new Options(mode, on, features);
        }

        /**
         * {@return these options in another mode}
         *
         * @param newMode strict or lenient
         */
        public Options withMode(PatchOptions.Mode newMode) {
            return new Options(newMode, verify, features);
        }

        /**
         * {@return these options for a machine with {@code newFeatures}}
         *
         * @param newFeatures the machine's feature bits
         */
        public Options withFeatures(CpuFeatures newFeatures) {
            return new Options(mode, verify, newFeatures);
        }
    }

    /**
     * One byte a prelink changed outside every site.
     *
     * @param fileOffset where in the ELF file
     * @param address its run-time address
     * @param before the byte before
     * @param after the byte after
     * @param why what it is, such as {@code ".altinstructions entry 12: ALT_FLAG_NOT set"}
     */
    public record Edit(long fileOffset, long address, int before, int after, String why) {
    }

    /**
     * A prelinked image: its bytes, the plans that made them, and what the prelink counted. Made
     * only by {@link KernelImage#prelink}; immutable (the image is copied out on each call of
     * {@link #image()}, so keep the array you get).
     */
    public static final class Result {
        private final byte[] image;
        private final Map<String, PatchPlan> plans;
        private final List<PatchPlan> replacementPlans;
        private final int verified;
        private final Map<ParavirtSite.Outcome, Integer> outcomes;
        private final List<Edit> edits;

        Result(byte[] image, Map<String, PatchPlan> plans, List<PatchPlan> replacementPlans, int verified,
                Map<ParavirtSite.Outcome, Integer> outcomes, List<Edit> edits) {
            this.image = image;   // the prelink's own copy, handed over: no one else holds it
            this.plans = Collections.unmodifiableMap(new LinkedHashMap<>(plans));
            this.replacementPlans = List.copyOf(replacementPlans);
            this.verified = verified;
            this.outcomes = Collections.unmodifiableMap(new EnumMap<>(outcomes));
            this.edits = List.copyOf(edits);
        }

        /** {@return a copy of the new ELF bytes} */
        public byte[] image() {
            return image.clone();
        }

        /** {@return the length of the new ELF image in bytes, without copying it} */
        public int imageLength() {
            return image.length;
        }

        /** {@return the plan of each section's slot sites (those patched for what their slot holds), by section name} */
        public Map<String, PatchPlan> plans() {
            return plans;
        }

        /** {@return the plans of the sites patched with a native replacement} */
        public List<PatchPlan> replacementPlans() {
            return replacementPlans;
        }

        /** {@return how many sites the disassembler checked (0 when not asked)} */
        public int verified() {
            return verified;
        }

        /** {@return how many sites had each outcome on the options' machine} */
        public Map<ParavirtSite.Outcome, Integer> outcomes() {
            return outcomes;
        }

        /** {@return every byte changed outside the sites, by file offset} */
        public List<Edit> edits() {
            return edits;
        }

        /**
         * {@return how many sites each strategy rewrote, over all sections and plans; the sites
         * left unpatched in lenient mode are not counted (see {@link #problems()})}
         */
        public Map<Strategy, Integer> countByStrategy() {
            Map<Strategy, Integer> all = new EnumMap<>(Strategy.class);
            allPlans().forEach(p -> p.countByStrategy().forEach((k, v) -> all.merge(k, v, Integer::sum)));
            return Collections.unmodifiableMap(all);
        }

        /**
         * {@return why each site left unpatched in lenient mode was left, over all plans in
         * {@link #allPlans()} order: one refusal per such site; empty in strict mode}
         */
        public List<PatchBug> problems() {
            List<PatchBug> all = new ArrayList<>();
            allPlans().forEach(p -> all.addAll(p.problems()));
            return Collections.unmodifiableList(all);
        }

        /** {@return every plan: the slot plans, then the replacement plans} */
        public List<PatchPlan> allPlans() {
            List<PatchPlan> all = new ArrayList<>(plans.values());
            all.addAll(replacementPlans);
            return Collections.unmodifiableList(all);
        }

        /** {@return the number of sites planned (those left to the kernel or already prelinked are not)} */
        public int sites() {
            return allPlans().stream().mapToInt(PatchPlan::size).sum();
        }

        @Override
        public String toString() {
            return "Prelink.Result[image=" + image.length + " bytes, sites=" + sites() + ", verified=" + verified
                    + ", outcomes=" + outcomes + ", edits=" + edits.size() + "]";
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
        List<ParavirtSite> infos = k.paravirtSites(options.features());
        Map<ParavirtSite.Outcome, Integer> outcomes = new EnumMap<>(ParavirtSite.Outcome.class);
        infos.forEach(s -> outcomes.merge(s.outcome(), 1, Integer::sum));
        Map<Integer, List<PatchSite>> slotSites = new TreeMap<>();
        Map<String, List<PatchSite>> replSites = new LinkedHashMap<>();
        Map<String, Op> replOps = new HashMap<>();
        Map<String, Integer> replSection = new HashMap<>();
        Map<Long, AltEntry> directCallOf = new HashMap<>();
        for (int i = 0; i < k.sites().size(); i++) {
            ParavirtSite info = infos.get(i);
            PatchSite site = k.sites().get(i);
            int section = k.records().get(i).section();
            if (info.outcome() == ParavirtSite.Outcome.SLOT) {
                slotSites.computeIfAbsent(section, x -> new ArrayList<>()).add(site);
            } else if (info.outcome() == ParavirtSite.Outcome.REPLACEMENT) {
                AltEntry e = info.chosen().orElseThrow();
                byte[] code = k.elf().read(k.elf().sections().get(e.replacementSection()), e.replacementOffset(),
                        e.replacementLength());
                Op.Native op;
                try {
                    op = NativeScanner.scan(k.isa(), e.replacementAddress(), code);
                } catch (IllegalArgumentException bad) {   // bytes that are no instructions, or cut one short
                    throw new ImageFormatException(".altinstructions entry " + e.index() + " at 0x"
                            + Long.toHexString(e.entryAddress()) + ": its replacement at 0x"
                            + Long.toHexString(e.replacementAddress()) + " is not code: " + bad.getMessage(), bad);
                }
                // Sites of one slot and one position-independent replacement share a plan.
                String key = section + ":" + site.type() + ":" + HexFormat.of().formatHex(code)
                        + (op.relocations().isEmpty() ? "" : "@" + Long.toHexString(e.replacementAddress()));
                replSites.computeIfAbsent(key, x -> new ArrayList<>()).add(site);
                replOps.put(key, op);
                replSection.put(key, section);
            } else {
                continue;
            }
            info.directCall().ifPresent(e -> directCallOf.put(site.address(), e));
        }
        requireNoOverlap(slotSites.values(), replSites.values());
        Map<String, PatchPlan> plans = new LinkedHashMap<>();
        List<PatchPlan> ordered = new ArrayList<>();
        OpsTable nativeOps = slotSites.isEmpty() ? OpsTable.empty() : k.nativeOps();
        for (Map.Entry<Integer, List<PatchSite>> e : slotSites.entrySet()) {
            ElfFile.Section s = k.elf().sections().get(e.getKey());
            // The buffer is the section's bytes inside the copy: applying writes the new image.
            PatchPlan plan = PatchPlan.of(buffer(image, s), e.getValue(), nativeOps, patch);
            plans.put(s.name(), plan);
            ordered.add(plan);
        }
        List<PatchPlan> replacementPlans = new ArrayList<>();
        for (Map.Entry<String, List<PatchSite>> e : replSites.entrySet()) {
            ElfFile.Section s = k.elf().sections().get(replSection.get(e.getKey()));
            OpsTable ops = OpsTable.builder().put(e.getValue().get(0).type(), replOps.get(e.getKey())).build();
            PatchPlan plan = PatchPlan.of(buffer(image, s), e.getValue(), ops, patch);
            replacementPlans.add(plan);
            ordered.add(plan);
        }
        for (PatchPlan plan : ordered) {
            plan.apply();
        }
        // 6.8+: turn off the direct-call entry of every site now prelinked, so the boot leaves it.
        List<Edit> edits = new ArrayList<>();
        for (PatchPlan plan : ordered) {
            for (int i = 0; i < plan.size(); i++) {
                AltEntry e = directCallOf.get(plan.sites().get(i).address());
                if (e == null || plan.outcome(i) instanceof SiteOutcome.LeftUnpatched || e.isPrelinkedMark()) {
                    continue;
                }
                int at = (int) e.entryOffset() + 10;
                int before = image[at] & 0xFF;
                image[at] = (byte) (before | AltInstructions.ALT_FLAG_NOT);
                ElfFile.Section table = k.altInstructions().orElseThrow().section();
                edits.add(new Edit(at, table.address() + (at - table.offset()), before, image[at] & 0xFF,
                        AltInstructions.SECTION + " entry " + e.index() + " (site 0x" + Long.toHexString(e.address())
                        + "): ALT_FLAG_NOT set, ALWAYS DIRECT_CALL -> ALT_NOT(ALWAYS) DIRECT_CALL, skipped at boot"));
            }
        }
        edits.sort(java.util.Comparator.comparingLong(Edit::fileOffset));
        int verified = 0;
        if (options.verify()) {
            for (PatchPlan plan : ordered) {
                verified += plan.size() - plan.problems().size();   // every site but those left unpatched
            }
        }
        return new Result(image, plans, replacementPlans, verified, outcomes, edits);
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

    /**
     * Sites planned apart (a slot's plan, each replacement's) must not share bytes: one plan's
     * writes would change the bytes another was planned from.
     */
    @SafeVarargs
    private static void requireNoOverlap(java.util.Collection<List<PatchSite>>... groups) {
        List<PatchSite> all = new ArrayList<>();
        for (java.util.Collection<List<PatchSite>> g : groups) {
            g.forEach(all::addAll);
        }
        all.sort((x, y) -> Long.compareUnsigned(x.address(), y.address()));
        for (int i = 1; i < all.size(); i++) {
            PatchSite a = all.get(i - 1);
            PatchSite b = all.get(i);
            if (Long.compareUnsigned(b.address(), a.address() + a.length()) < 0) {
                throw new ImageFormatException("sites 0x" + Long.toHexString(a.address()) + " (len " + a.length()
                        + ") and 0x" + Long.toHexString(b.address()) + " (len " + b.length() + ") overlap");
            }
        }
    }

    private static CodeBuffer buffer(byte[] image, ElfFile.Section s) {
        return CodeBuffer.wrap(image, (int) s.offset(), (int) s.size(), s.address());
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
