package io.github.pvpatch.linux;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.x86.Encodings;
import io.github.pvpatch.x86.IndirectForm;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A Linux kernel image (a vmlinux, or a vmlinuz it is unpacked from) or module (a {@code .ko}, or
 * the {@code .ko.xz}, {@code .ko.zst} or {@code .ko.gz} distributions ship it as), as pvpatch sees
 * it: its paravirt call sites, the {@code pv_ops} table they call through, and what each slot of
 * the table holds at boot. From that, {@link #prelink(Prelink.Options)} patches every site
 * offline to what the kernel itself would leave there on a machine (a {@link CpuFeatures} profile).
 *
 * <p>Sites come from {@code .parainstructions} (Linux to 6.7), joined with the native
 * replacements {@code .altinstructions} attaches to them, and from the {@code ALT_FLAG_DIRECT_CALL}
 * entries of {@code .altinstructions} (Linux 6.8 and later), whose slot is the one the site's own
 * {@code call *disp32} reads. Reading needs no native code; what each slot holds is classified
 * with the disassembler only when {@link #slots()} (or a prelink) asks for it.
 *
 * <p>{@code pv_ops} is found, in this order: the address given in {@link ReadOptions}; the symbol
 * table; the kernel's own export table ({@code __ksymtab}, which even a stripped vmlinux has, and
 * which prelinking leaves alone, so pvpatch's own output is found the same way); the sites'
 * calls (each {@code .parainstructions} site's call names a slot, and the slot minus the pointer
 * size times the site's type is the table); and for a 6.8+ image with neither, the lowest slot
 * any site reads (the slot numbers then count from it).
 *
 * <pre>{@code
 * KernelImage k = KernelImage.read(Files.readAllBytes(Path.of("/boot/vmlinuz-6.1.0-56-cloud-amd64")));
 * k.sites().size();                                   // 3679
 * Prelink.Result r = k.prelink(Prelink.Options.defaults().withVerify(true));
 * Files.write(Path.of("vmlinux.prelinked"), r.image());
 * }</pre>
 */
public final class KernelImage {
    private final byte[] bytes;
    private final boolean unpacked;
    private final ElfFile elf;
    private final Optional<ParaInstructions> para;
    private final Optional<AltInstructions> alt;
    /** The sites with a known slot: {@link #sites()}, {@link #records} and {@link #entries} are parallel. */
    private final List<ParaSite> records;
    private final List<ParavirtSite.Source> sources;
    private final List<Optional<AltEntry>> directCalls;
    private final List<List<AltEntry>> entries;
    private final List<Boolean> prelinked;
    /** Prelinked 6.8+ sites whose slot could not be recovered: listed, never patched. */
    private final List<AltEntry> unslotted;
    private final List<PatchSite> sites;
    /** The table's address; meaningless for a module, which has none (see {@link #pvOps()}). */
    private final long pvOps;
    private final String pvOpsSource;
    /** Classified on first use (an immutable list: a race classifies twice, harmlessly). */
    private volatile List<SlotTarget> slots;
    /** Entries {@link #paravirtSites} has looked at (a plain field: a race loses counts, harmlessly). */
    private long entrySteps;

    /**
     * How to read an image: the {@code .parainstructions} layout to use or detect, and the address
     * of {@code pv_ops} to use or find (see {@link KernelImage}). Immutable; start from
     * {@link #defaults()}.
     */
    public static final class ReadOptions {
        private static final ReadOptions DEFAULTS = new ReadOptions(null, false, 0);

        /** The layout, or null to detect it (never seen outside: {@link #layout()} is an Optional). */
        private final ParaLayout layout;
        private final boolean pvOpsGiven;
        private final long pvOps;

        private ReadOptions(ParaLayout layout, boolean pvOpsGiven, long pvOps) {
            this.layout = layout;
            this.pvOpsGiven = pvOpsGiven;
            this.pvOps = pvOps;
        }

        /** {@return detect the layout, find pv_ops} */
        public static ReadOptions defaults() {
            return DEFAULTS;
        }

        /**
         * {@return these options with the {@code .parainstructions} layout given}
         *
         * @param l the layout
         */
        public ReadOptions withLayout(ParaLayout l) {
            return new ReadOptions(Objects.requireNonNull(l, "layout"), pvOpsGiven, pvOps);
        }

        /**
         * {@return these options with the address of {@code pv_ops} given}
         *
         * @param address the table's address
         */
        public ReadOptions withPvOps(long address) {
            return new ReadOptions(layout, true, address);
        }

        /** {@return the {@code .parainstructions} layout, or empty to detect it} */
        public Optional<ParaLayout> layout() {
            return Optional.ofNullable(layout);
        }

        /** {@return the address of {@code pv_ops}, or empty to find it} */
        public OptionalLong pvOps() {
            return pvOpsGiven ? OptionalLong.of(pvOps) : OptionalLong.empty();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ReadOptions r && layout == r.layout && pvOpsGiven == r.pvOpsGiven
                    && pvOps == r.pvOps;
        }

        @Override
        public int hashCode() {
            return Objects.hash(layout, pvOpsGiven, pvOps);
        }

        @Override
        public String toString() {
            return "ReadOptions{layout=" + (layout == null ? "detect" : layout.name()) + ", pvOps="
                    + (pvOpsGiven ? "0x" + Long.toHexString(pvOps) : "find") + "}";
        }
    }

    private KernelImage(byte[] bytes, boolean unpacked, ReadOptions options) {
        this.bytes = bytes;
        this.unpacked = unpacked;
        this.elf = ElfFile.parse(bytes);
        boolean hasPara = elf.section(ParaInstructions.SECTION).isPresent();
        // Beside .parainstructions, a table of a pre-5.13 layout is not read: no replacements then.
        this.alt = AltInstructions.read(elf, hasPara);
        List<AltEntry> direct = alt.map(AltInstructions::directCallSites).orElse(List.of());
        if (!hasPara && direct.isEmpty()) {
            throw new ImageFormatException("no paravirt call sites: no " + ParaInstructions.SECTION + " section, and "
                    + (alt.isEmpty() ? "no " + AltInstructions.SECTION + " section"
                            : "no ALT_FLAG_DIRECT_CALL entry among the " + alt.get().entries().size() + " of "
                            + AltInstructions.SECTION)
                    + " (a kernel built without CONFIG_PARAVIRT, or not a kernel image or module)");
        }
        this.para = hasPara ? Optional.of(options.layout().map(l -> ParaInstructions.read(elf, l))
                .orElseGet(() -> ParaInstructions.read(elf))) : Optional.empty();
        List<ParaSite> recs = new ArrayList<>();
        List<ParavirtSite.Source> src = new ArrayList<>();
        List<Optional<AltEntry>> dcs = new ArrayList<>();
        List<List<AltEntry>> attached = new ArrayList<>();
        java.util.Set<Long> covered = new java.util.HashSet<>();
        // Per site, not per record: records may repeat a site, each sharing its entries (immutable
        // lists, which ParavirtSite keeps without copying), not copying thousands of them each.
        Map<Long, Optional<AltEntry>> directAt = new HashMap<>();
        Map<Long, List<AltEntry>> replacementsAt = new HashMap<>();
        for (ParaSite p : para.map(ParaInstructions::sites).orElse(List.of())) {
            recs.add(p);
            src.add(ParavirtSite.Source.PARAINSTRUCTIONS);
            long key = (long) p.section() << 40 | p.offset();
            List<AltEntry> at = alt.map(a -> a.at(p.section(), p.offset())).orElse(List.of());
            dcs.add(directAt.computeIfAbsent(key, k -> at.stream().filter(AltEntry::directCall).findFirst()));
            attached.add(replacementsAt.computeIfAbsent(key, k -> replacements(at)));
            covered.add(key);
        }
        // 6.8+: the direct-call entries. First their slots' addresses (or, in a module, indices).
        List<AltEntry> fresh = new ArrayList<>();
        List<Long> slotAddresses = new ArrayList<>();
        List<AltEntry> marked = new ArrayList<>();
        for (AltEntry e : direct) {
            if (covered.contains((long) e.section() << 40 | e.offset())) {
                continue;
            }
            if (e.isPrelinkedMark()) {
                marked.add(e);
                continue;
            }
            if (e.feature() != CpuFeatures.ALWAYS || e.not()) {
                // The kernel's direct-call entries are all ALT_CALL_ALWAYS; another condition is no table
                // the kernel writes, and setting its NOT bit would not keep a boot from applying it.
                throw new ImageFormatException(e.where() + ": a direct-call entry under " + e.condition()
                        + ", where the kernel only writes ALWAYS");
            }
            fresh.add(e);
            slotAddresses.add(elf.isRelocatable() ? -1L : slotOf(e));
        }
        if (elf.isRelocatable()) {
            pvOps = 0;
            pvOpsSource = "a module: each call's relocation names its pv_ops slot";
        } else {
            long[] found = new long[1];
            pvOpsSource = findPvOps(options.pvOps(), recs, slotAddresses, found);
            pvOps = found[0];
        }
        int ptr = elf.isa().pointerSize();
        // A module's code sections' relocations by offset, each section's read once for all its sites.
        Map<Integer, Map<Long, ElfFile.Relocation>> codeRelocs = new HashMap<>();
        for (int i = 0; i < fresh.size(); i++) {
            AltEntry e = fresh.get(i);
            int type;
            OptionalInt relocated = OptionalInt.empty();
            if (elf.isRelocatable()) {
                relocated = ParaInstructions.callSlot(elf, codeRelocs.computeIfAbsent(e.section(),
                        k -> ParaInstructions.index(elf, elf.sections().get(k))), e.offset(), e.length());
                if (relocated.isEmpty()) {
                    throw new ImageFormatException(e.where() + ": the direct-call"
                            + " site at " + elf.sections().get(e.section()).name() + "+0x" + Long.toHexString(e.offset())
                            + " has no relocation naming a pv_ops slot");
                }
                type = relocated.getAsInt();
            } else {
                type = typeOf(e, slotAddresses.get(i), ptr);
            }
            addAltSite(recs, src, dcs, attached, e, type, relocated);
        }
        List<AltEntry> lost = new ArrayList<>();
        SlotValues slotValues = marked.isEmpty() || elf.isRelocatable() ? null : new SlotValues(recs, ptr);
        for (AltEntry e : marked) {
            OptionalInt type = elf.isRelocatable() ? OptionalInt.empty() : recoverSlot(e, slotValues, ptr);
            if (type.isPresent()) {
                addAltSite(recs, src, dcs, attached, e, type.getAsInt(), OptionalInt.empty());
                slotValues.add(type.getAsInt());
            } else {
                lost.add(e);
            }
        }
        this.records = List.copyOf(recs);
        this.sources = List.copyOf(src);
        this.directCalls = List.copyOf(dcs);
        this.entries = List.copyOf(attached);
        this.unslotted = List.copyOf(lost);
        this.sites = Collections.unmodifiableList(buildSites());
        List<Boolean> done = new ArrayList<>(sites.size());
        for (int i = 0; i < sites.size(); i++) {
            // pvpatch's own output: a 6.8+ site whose entry carries the mark, or a site that holds
            // no indirect call at all. (One through another slot is a bad site, which a prelink refuses.)
            boolean mark = directCalls.get(i).map(AltEntry::isPrelinkedMark).orElse(false);
            done.add(mark || sites.get(i).callOffset().isEmpty());
        }
        this.prelinked = List.copyOf(done);
    }

    private void addAltSite(List<ParaSite> recs, List<ParavirtSite.Source> src, List<Optional<AltEntry>> dcs,
            List<List<AltEntry>> attached, AltEntry e, int type, OptionalInt relocated) {
        recs.add(new ParaSite(e.section(), e.offset(), e.address(), type, e.length(), -1, relocated));
        src.add(ParavirtSite.Source.ALTINSTRUCTIONS);
        dcs.add(Optional.of(e));
        attached.add(replacements(alt.orElseThrow().at(e.section(), e.offset())));
    }

    /** {@return the entries of {@code at} that are no direct call: a site's native replacements, immutable} */
    private static List<AltEntry> replacements(List<AltEntry> at) {
        return List.copyOf(at.stream().filter(x -> !x.directCall()).collect(java.util.stream.Collectors.toList()));
    }

    /** The slot a direct-call site's own {@code call *disp32} (or {@code abs32} on i386) reads. */
    private long slotOf(AltEntry e) {
        ElfFile.Section s = elf.sections().get(e.section());
        int at = (int) (s.offset() + e.offset());
        IndirectForm f = IndirectForm.find(isa(), SiteKind.CALL, bytes, at, at + e.length());
        if (f == null) {
            throw new ImageFormatException(e.where() + ": the direct-call site at 0x"
                    + Long.toHexString(e.address()) + " holds " + java.util.HexFormat.ofDelimiter(" ").formatHex(bytes, at,
                    at + Math.min(e.length(), 8)) + ", not an indirect call (the kernel BUG()s on it at boot)");
        }
        return f.slotAddress(bytes, at, e.address());
    }

    private int typeOf(AltEntry e, long slot, int ptr) {
        long off = slot - pvOps;
        if (off < 0 || off % ptr != 0 || off / ptr > PatchSite.MAX_TYPE) {
            throw new ImageFormatException(e.where() + ": the site at 0x"
                    + Long.toHexString(e.address()) + " calls through 0x" + Long.toHexString(slot)
                    + ", which is no slot of pv_ops at 0x" + Long.toHexString(pvOps));
        }
        return (int) (off / ptr);
    }

    /**
     * A prelinked 6.8+ site whose bytes begin with {@code call rel32}: the one slot, among those
     * other sites use (or, when every site is prelinked, among the first 1024), that holds the
     * call's target. Empty when there is none or several: a site prelinked to native code or NOPs
     * no longer says which slot it had.
     */
    private OptionalInt recoverSlot(AltEntry e, SlotValues slots, int ptr) {
        ElfFile.Section s = elf.sections().get(e.section());
        int at = (int) (s.offset() + e.offset());
        if (e.length() < Encodings.BRANCH_REL32_LENGTH || (bytes[at] & 0xFF) != Encodings.CALL_REL32) {
            return OptionalInt.empty();
        }
        long target = e.address() + Encodings.BRANCH_REL32_LENGTH + (int) elf.readFileValue(at + 1, 4);
        if (ptr == 4) {
            target &= 0xFFFFFFFFL;
        }
        Integer type = slots.holding(target);
        return type == null || type < 0 ? OptionalInt.empty() : OptionalInt.of(type);
    }

    /**
     * What the slots of {@code pv_ops} hold, by value: each slot read once, not once per
     * prelinked site (a table of thousands of such sites tried up to 1024 slots for each).
     */
    private final class SlotValues {
        /** How many slots {@link #recoverSlot} tries when no site names one. */
        private static final int ANY = 1024;
        private final int ptr;
        /** The types the sites use so far. */
        private final java.util.Set<Integer> used = new java.util.HashSet<>();
        /** Value to the one used type whose slot holds it, or -1 when several do. */
        private final Map<Long, Integer> byValue = new HashMap<>();
        /** The same for types 0 to {@link #ANY}, for when no site names a slot; built on first need. */
        private Map<Long, Integer> anyByValue;

        SlotValues(List<ParaSite> known, int ptr) {
            this.ptr = ptr;
            known.forEach(p -> add(p.type()));
        }

        /** A site of {@code type} is known: its slot is among those a prelinked site may have had. */
        void add(int type) {
            if (used.add(type)) {
                put(byValue, type);
            }
        }

        /** {@return the one type whose slot holds {@code value}; null when none does, -1 when several} */
        Integer holding(long value) {
            if (used.isEmpty()) {
                if (anyByValue == null) {
                    anyByValue = new HashMap<>();
                    for (int type = 0; type < ANY; type++) {
                        put(anyByValue, type);
                    }
                }
                return anyByValue.get(value);
            }
            return byValue.get(value);
        }

        private void put(Map<Long, Integer> m, int type) {
            long slot = pvOps + (long) ptr * type;
            Optional<ElfFile.Section> d = elf.sectionAt(slot, ptr);
            if (d.isPresent()) {
                m.merge(elf.readFileValue(d.get().offset() + slot - d.get().address(), ptr), type, (x, y) -> -1);
            }
        }
    }

    /**
     * {@return the image in {@code file}: a vmlinux or module ELF, a bzImage (vmlinuz) whose
     * payload is unpacked first, or an ELF compressed whole with gzip, XZ or zstd (a module's
     * {@code .ko.xz}; see {@link KernelPayload#isCompressed})}
     *
     * @param file the file's bytes (kept, not copied)
     * @throws ImageFormatException if it is neither, has no paravirt sites, or a table is malformed
     */
    public static KernelImage read(byte[] file) {
        return read(file, ReadOptions.defaults());
    }

    /**
     * {@return the image in {@code file}, with its {@code .parainstructions} records read in
     * {@code layout}}
     *
     * @param file the file's bytes
     * @param layout the {@code .parainstructions} layout
     * @throws ImageFormatException as {@link #read(byte[])} does, or if the records do not fit the layout
     */
    public static KernelImage read(byte[] file, ParaLayout layout) {
        return read(file, ReadOptions.defaults().withLayout(layout));
    }

    /**
     * {@return the image in {@code file}, read as {@code options} say}
     *
     * @param file the file's bytes
     * @param options the layout and the address of {@code pv_ops}, when given
     */
    public static KernelImage read(byte[] file, ReadOptions options) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        if (KernelPayload.isBzImage(file)) {
            return new KernelImage(KernelPayload.extract(file), true, options);
        }
        if (KernelPayload.isCompressed(file)) {
            return new KernelImage(KernelPayload.unpack(file), true, options);   // a module's .ko.xz, say
        }
        return new KernelImage(file, false, options);
    }

    /** {@return whether the image was unpacked: from a bzImage, or from a compressed file such as a {@code .ko.xz}} */
    public boolean wasUnpacked() {
        return unpacked;
    }

    /** {@return the ELF bytes (the unpacked vmlinux for a bzImage); do not change them} */
    byte[] elfBytes() {
        return bytes;
    }

    /** {@return a copy of the ELF bytes} */
    public byte[] elfBytesCopy() {
        return bytes.clone();
    }

    /** {@return the ELF file} */
    public ElfFile elf() {
        return elf;
    }

    /** {@return the instruction set} */
    public Isa isa() {
        return elf.isa();
    }

    /** {@return the {@code .parainstructions} records; empty for a 6.8+ image, which has none} */
    public Optional<ParaInstructions> paraInstructions() {
        return para;
    }

    /** {@return the {@code .altinstructions} table; empty when the image has none} */
    public Optional<AltInstructions> altInstructions() {
        return alt;
    }

    /** {@return the tables the sites come from, such as {@code ".parainstructions ABSOLUTE_64 + .altinstructions CPUID_12"}} */
    public String tables() {
        List<String> out = new ArrayList<>();
        para.ifPresent(p -> out.add(ParaInstructions.SECTION + " " + p.layout()));
        alt.ifPresent(a -> out.add(AltInstructions.SECTION + " " + a.layout()));
        if (alt.isEmpty() && elf.section(AltInstructions.SECTION).isPresent()) {
            out.add(AltInstructions.SECTION + " of an older layout, not read (no replacements at paravirt sites before 5.13)");
        }
        return String.join(" + ", out);
    }

    /**
     * {@return a site per paravirt site with a known slot, in table order: {@code .parainstructions}
     * records first, then direct-call entries; its clobbers from the record (every register the
     * kernel could name, {@code CLBR_ANY}, when the table has none), its call offset where its
     * bytes hold an indirect call}
     */
    public List<PatchSite> sites() {
        return sites;
    }

    /**
     * {@return the resolved record of each of {@link #sites()}, parallel to it (a 6.8+ site's
     * record is built from its direct-call entry, with no clobbers)}
     */
    public List<ParaSite> records() {
        return records;
    }

    /**
     * {@return every paravirt site with what the kernel leaves there on a machine with
     * {@code features}: the sites of {@link #sites()} in order, then any prelinked 6.8+ sites
     * whose slot could not be recovered}
     *
     * @param features the machine's feature bits
     */
    public List<ParavirtSite> paravirtSites(CpuFeatures features) {
        Objects.requireNonNull(features, "features");
        List<ParavirtSite> out = new ArrayList<>(sites.size() + unslotted.size());
        int ptr = isa().pointerSize();
        // Records that repeat a site share one list of its entries: each list is looked through
        // once, not once per record (a crafted file repeating one site would cost records x entries).
        Map<List<AltEntry>, Applying> applying = new IdentityHashMap<>();
        for (int i = 0; i < sites.size(); i++) {
            ParaSite p = records.get(i);
            List<AltEntry> cands = entries.get(i);
            Applying a = cands.isEmpty() ? Applying.NONE : applying.computeIfAbsent(cands,
                    l -> Applying.of(l, features, this));
            // The last entry that applies decides: one of another length rewrites only part of the
            // site, or more than it, and leaves it to the kernel; one of its length is the replacement.
            boolean unmodelled = a.last != null && a.last.length() != p.length();
            Optional<AltEntry> chosen = unmodelled ? Optional.empty() : Optional.ofNullable(a.lastByLength.get(
                    p.length()));
            ParavirtSite.Outcome outcome = prelinked.get(i) ? ParavirtSite.Outcome.PRELINKED
                    : unmodelled ? ParavirtSite.Outcome.LEFT_TO_KERNEL
                    : chosen.isPresent() ? ParavirtSite.Outcome.REPLACEMENT
                    : features.isParavirtualized() ? ParavirtSite.Outcome.LEFT_TO_KERNEL : ParavirtSite.Outcome.SLOT;
            OptionalLong slotAddress = elf.isRelocatable() ? OptionalLong.empty() : OptionalLong.of(pvOps + (long) ptr * p.type());
            out.add(new ParavirtSite(p.address(), p.length(), elf.sections().get(p.section()).name(), sources.get(i),
                    OptionalInt.of(p.type()), slotAddress, directCalls.get(i), cands,
                    outcome == ParavirtSite.Outcome.REPLACEMENT ? chosen : Optional.empty(), outcome));
        }
        for (AltEntry e : unslotted) {
            out.add(new ParavirtSite(e.address(), e.length(), elf.sections().get(e.section()).name(),
                    ParavirtSite.Source.ALTINSTRUCTIONS, OptionalInt.empty(), OptionalLong.empty(), Optional.of(e),
                    replacements(alt.orElseThrow().at(e.section(), e.offset())), Optional.empty(),
                    ParavirtSite.Outcome.PRELINKED));
        }
        return Collections.unmodifiableList(out);
    }

    /** The entries of one site that apply on a machine: the last of all, and the last of each length. */
    private static final class Applying {
        static final Applying NONE = new Applying(null, Map.of());
        final AltEntry last;
        final Map<Integer, AltEntry> lastByLength;

        private Applying(AltEntry last, Map<Integer, AltEntry> lastByLength) {
            this.last = last;
            this.lastByLength = lastByLength;
        }

        static Applying of(List<AltEntry> entries, CpuFeatures features, KernelImage counted) {
            AltEntry last = null;
            Map<Integer, AltEntry> byLength = new HashMap<>();
            for (AltEntry e : entries) {
                counted.entrySteps++;
                if (e.appliesOn(features)) {
                    last = e;
                    byLength.put(e.length(), e);
                }
            }
            return new Applying(last, byLength);
        }
    }

    /** {@return how many entries {@link #paravirtSites} has looked at so far: the work a test counts} */
    long entrySteps() {
        return entrySteps;
    }

    /** {@return the address of {@code pv_ops}; empty for a module, which does not hold it} */
    public OptionalLong pvOps() {
        return elf.isRelocatable() ? OptionalLong.empty() : OptionalLong.of(pvOps);
    }

    /** {@return how {@code pv_ops} was found} */
    public String pvOpsSource() {
        return pvOpsSource;
    }

    /**
     * {@return what each slot used by some site holds, by type} Classified with the disassembler
     * on first use: this needs the native Zydis shim, reading the sites does not.
     *
     * @throws io.github.pvpatch.zydis.ZydisUnavailableException if the shim cannot be loaded
     */
    public List<SlotTarget> slots() {
        List<SlotTarget> s = slots;
        if (s == null) {
            s = elf.isRelocatable() ? List.of() : Collections.unmodifiableList(classifySlots());
            slots = s;
        }
        return s;
    }

    /** {@return the ops the image's slots hold at boot: the table a prelink patches for} */
    public OpsTable nativeOps() {
        OpsTable.Builder b = OpsTable.builder();
        for (SlotTarget s : slots()) {
            b.put(s.type(), s.op());
        }
        return b.build();
    }

    /**
     * {@return the unpatched form of {@code site}: the image's table, and the slot convention
     * its clobbers imply (a callee-save site calls thunks that destroy only the return registers)}
     *
     * @param site one of {@link #sites()}
     */
    public UnpatchedForm formOf(PatchSite site) {
        UnpatchedForm form = UnpatchedForm.of(isa(), pvOps);
        ClobberSet ret = SlotClassifier.returnRegisters(isa());
        return ret.containsAll(site.clobbers()) ? form.withSlotClobbers(ret) : form;
    }

    /**
     * {@return the section that holds site {@code i}} (By index: in a module, sites of different
     * sections can be equal, as each section's addresses start at 0.)
     *
     * @param i the site's index in {@link #sites()}
     */
    public ElfFile.Section sectionOf(int i) {
        return elf.sections().get(records.get(Objects.checkIndex(i, sites.size())).section());
    }

    /** {@return the sites grouped by the section that holds them, in section order} */
    public Map<ElfFile.Section, List<PatchSite>> sitesBySection() {
        Map<Integer, List<PatchSite>> byIndex = new TreeMap<>();
        for (int i = 0; i < sites.size(); i++) {
            byIndex.computeIfAbsent(records.get(i).section(), k -> new ArrayList<>()).add(sites.get(i));
        }
        Map<ElfFile.Section, List<PatchSite>> out = new LinkedHashMap<>();
        byIndex.forEach((k, v) -> out.put(elf.sections().get(k), v));
        return out;
    }

    /**
     * Patches every site in a copy of the ELF bytes to what the kernel would leave there on the
     * options' machine (see {@link Prelink}).
     *
     * @param options strict or lenient, verified or not, the machine's features
     * @return the new image and the summary
     * @throws io.github.pvpatch.PatchBug in strict mode, for the first site that cannot be
     *     patched (no image is produced then)
     * @throws ImageFormatException for a module, which has no pv_ops to prelink against
     */
    public Prelink.Result prelink(Prelink.Options options) {
        return Prelink.run(this, options);
    }

    private List<PatchSite> buildSites() {
        Isa isa = elf.isa();
        List<PatchSite> out = new ArrayList<>(records.size());
        for (ParaSite p : records) {
            ClobberSet clobbers;
            try {
                clobbers = p.clobbers() < 0 ? ClobberSet.linuxAny(isa) : ClobberSet.fromLinuxMask(p.clobbers(), isa);
            } catch (IllegalArgumentException e) {
                throw new ImageFormatException("site 0x" + Long.toHexString(p.address()) + ": " + e.getMessage());
            }
            if (p.length() > PatchSite.MAX_LENGTH || p.length() == 0) {
                throw new ImageFormatException("site 0x" + Long.toHexString(p.address()) + " is " + p.length()
                        + " bytes long");
            }
            PatchSite site;
            try {
                site = PatchSite.of(isa, p.address(), p.length(), p.type(), clobbers);
            } catch (IllegalArgumentException e) {
                // A section address that puts the site past the top of the address space.
                throw new ImageFormatException("record of site 0x" + Long.toHexString(p.address()) + ": "
                        + e.getMessage(), e);
            }
            ElfFile.Section s = elf.sections().get(p.section());
            byte[] code = elf.read(s, p.offset(), p.length());   // checked: the readers' promise, kept twice
            for (int at = 0; at + 6 <= code.length; at++) {
                if (IndirectForm.find(isa, SiteKind.CALL, code, at, code.length) != null) {
                    site = site.withCallOffset(at);
                    break;
                }
                if (IndirectForm.find(isa, SiteKind.JUMP, code, at, code.length) != null) {
                    site = site.withKind(SiteKind.JUMP).withCallOffset(at);
                    break;
                }
            }
            out.add(site);
        }
        return out;
    }

    private String findPvOps(OptionalLong given, List<ParaSite> paraSites, List<Long> slotAddresses, long[] out) {
        if (given.isPresent()) {
            out[0] = given.getAsLong();
            return "given";
        }
        Optional<ElfFile.Symbol> symbol = elf.symbol("pv_ops");
        if (symbol.isPresent()) {
            out[0] = symbol.get().value();
            return "symbol pv_ops";
        }
        OptionalLong exported = KernelSymbols.exported(elf, "pv_ops");
        if (exported.isPresent()) {
            out[0] = exported.getAsLong();
            return "exported symbol pv_ops (__ksymtab)";
        }
        Map<Long, Integer> votes = new HashMap<>();
        int ptr = isa().pointerSize();
        int voters = 0;
        for (ParaSite p : paraSites) {
            ElfFile.Section sec = elf.sections().get(p.section());
            int start = (int) (sec.offset() + p.offset());
            for (int at = start; at + 6 <= start + p.length(); at++) {
                IndirectForm f = IndirectForm.find(isa(), SiteKind.CALL, bytes, at, start + p.length());
                if (f == null) {
                    f = IndirectForm.find(isa(), SiteKind.JUMP, bytes, at, start + p.length());
                }
                if (f != null) {
                    long slot = f.slotAddress(bytes, at, p.address() + (at - start));
                    votes.merge(slot - (long) ptr * p.type(), 1, Integer::sum);
                    voters++;
                    break;
                }
            }
        }
        if (!votes.isEmpty()) {
            Map.Entry<Long, Integer> best = Collections.max(votes.entrySet(), Map.Entry.comparingByValue());
            out[0] = best.getKey();
            return "from the sites' calls (" + best.getValue() + " of " + paraSites.size() + " agree"
                    + (votes.size() > 1 ? "; " + (votes.size() - 1) + " other tables named" : "") + ")";
        }
        if (!slotAddresses.isEmpty()) {
            out[0] = Collections.min(slotAddresses, Long::compareUnsigned);
            return "the lowest slot the direct-call sites read (no symbol, no export: slot numbers count from it)";
        }
        throw new ImageFormatException("no symbol pv_ops, no exported pv_ops in __ksymtab, and no site holds an"
                + " indirect call to find it from (already prelinked?): give its address (--pv-ops ADDR)");
    }

    private List<SlotTarget> classifySlots() {
        Map<Integer, int[]> minLength = new TreeMap<>();
        Map<Integer, ClobberSet> allowed = new HashMap<>();
        Map<Integer, Boolean> calleeSave = new HashMap<>();
        SlotClassifier classifier = new SlotClassifier(elf);
        ClobberSet ret = SlotClassifier.returnRegisters(isa());
        for (PatchSite s : sites) {
            minLength.merge(s.type(), new int[] {s.length()}, (a, b) -> a[0] <= b[0] ? a : b);
            allowed.merge(s.type(), s.clobbers(), (a, b) -> ClobberSet.ofBits(a.bits() & b.bits()));
            calleeSave.merge(s.type(), ret.containsAll(s.clobbers()), Boolean::logicalOr);
        }
        List<SlotTarget> out = new ArrayList<>();
        int ptr = isa().pointerSize();
        for (int type : minLength.keySet()) {
            long slot = pvOps + (long) ptr * type;
            Optional<ElfFile.Section> data = elf.sectionAt(slot, ptr);
            if (data.isEmpty()) {
                throw new ImageFormatException("pv_ops slot " + type + " at 0x" + Long.toHexString(slot)
                        + " is outside every section with bytes");
            }
            long target = elf.readFileValue(data.get().offset() + (slot - data.get().address()), ptr);
            if (target == 0) {
                continue;   // an empty slot: its sites stay as they are (OP_MISSING when strict)
            }
            out.add(classifier.classify(type, target, minLength.get(type)[0], allowed.get(type), calleeSave.get(type)));
        }
        return out;
    }

    @Override
    public String toString() {
        return "KernelImage{" + elf + ", " + tables() + ", sites=" + sites.size() + "}";
    }
}
