package io.github.pvpatch.linux;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.x86.IndirectForm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A Linux kernel image (a vmlinux, or a vmlinuz it is unpacked from) or module, as pvpatch sees
 * it: its {@code .parainstructions} sites, the {@code pv_ops} table they call through, and what
 * each slot of the table holds at boot. From that, {@link #prelink(Prelink.Options)} patches
 * every site for the native ops offline, the seed's "if the kernel comes up with all the sites
 * prelinked to the native versions, then it's the same as booting on the current kernel".
 *
 * <p>{@code pv_ops} is found from the symbol table when there is one, else from the sites
 * themselves: each site's indirect call names a slot, and the slot minus the pointer size times
 * the site's type is the table; every site must agree.
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
    private final ParaInstructions para;
    private final List<PatchSite> sites;
    /** The table's address; meaningless for a module, which has none (see {@link #pvOps()}). */
    private final long pvOps;
    private final String pvOpsSource;
    private final List<SlotTarget> slots;

    private KernelImage(byte[] bytes, boolean unpacked, Optional<ParaLayout> layout) {
        this.bytes = bytes;
        this.unpacked = unpacked;
        this.elf = ElfFile.parse(bytes);
        this.para = ParaInstructions.read(elf, layout);
        this.sites = Collections.unmodifiableList(buildSites());
        if (elf.isRelocatable()) {
            pvOps = 0;
            pvOpsSource = "a module: each call's relocation names its pv_ops slot";
            slots = List.of();
        } else {
            long[] found = new long[1];
            pvOpsSource = findPvOps(found);
            pvOps = found[0];
            slots = Collections.unmodifiableList(classifySlots());
        }
    }

    /**
     * {@return the image in {@code file}: a vmlinux or module ELF, or a bzImage (vmlinuz) whose
     * payload is unpacked first}
     *
     * @param file the file's bytes (kept, not copied)
     * @throws ImageFormatException if it is neither, has no {@code .parainstructions}, or its
     *     sites disagree on where {@code pv_ops} is
     */
    public static KernelImage read(byte[] file) {
        return read(file, Optional.empty());
    }

    /**
     * {@return the image in {@code file}, with its records read in {@code layout} when given}
     *
     * @param file the file's bytes
     * @param layout the {@code .parainstructions} layout, or empty to detect it
     */
    public static KernelImage read(byte[] file, Optional<ParaLayout> layout) {
        Objects.requireNonNull(file, "file");
        if (KernelPayload.isBzImage(file)) {
            return new KernelImage(KernelPayload.extract(file), true, layout);
        }
        return new KernelImage(file, false, layout);
    }

    /** {@return whether the image was unpacked from a bzImage} */
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

    /** {@return the {@code .parainstructions} records} */
    public ParaInstructions paraInstructions() {
        return para;
    }

    /**
     * {@return a site per record: its clobbers from the record (every register the kernel could
     * name, {@code CLBR_ANY}, when the layout has none), its call offset where its bytes hold an
     * indirect call}
     */
    public List<PatchSite> sites() {
        return sites;
    }

    /** {@return the address of {@code pv_ops}; empty for a module, which does not hold it} */
    public OptionalLong pvOps() {
        return elf.isRelocatable() ? OptionalLong.empty() : OptionalLong.of(pvOps);
    }

    /** {@return how {@code pv_ops} was found} */
    public String pvOpsSource() {
        return pvOpsSource;
    }

    /** {@return what each slot used by some site holds, by type} */
    public List<SlotTarget> slots() {
        return slots;
    }

    /** {@return the ops the image's slots hold at boot: the table a prelink patches for} */
    public OpsTable nativeOps() {
        OpsTable.Builder b = OpsTable.builder();
        for (SlotTarget s : slots) {
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
        ClobberSet ret = new SlotClassifier(elf).returnRegisters();
        return ret.containsAll(site.clobbers()) ? form.withSlotClobbers(ret) : form;
    }

    /**
     * {@return the section that holds site {@code i}} (By index: in a module, sites of different
     * sections can be equal, as each section's addresses start at 0.)
     *
     * @param i the site's index in {@link #sites()}
     */
    public ElfFile.Section sectionOf(int i) {
        return elf.sections().get(para.sites().get(java.util.Objects.checkIndex(i, sites.size())).section());
    }

    /** {@return the sites grouped by the section that holds them, in section order} */
    public Map<ElfFile.Section, List<PatchSite>> sitesBySection() {
        Map<Integer, List<PatchSite>> byIndex = new TreeMap<>();
        for (int i = 0; i < sites.size(); i++) {
            byIndex.computeIfAbsent(para.sites().get(i).section(), k -> new ArrayList<>()).add(sites.get(i));
        }
        Map<ElfFile.Section, List<PatchSite>> out = new LinkedHashMap<>();
        byIndex.forEach((k, v) -> out.put(elf.sections().get(k), v));
        return out;
    }

    /**
     * Patches every site for {@link #nativeOps()} in a copy of the ELF bytes.
     *
     * @param options strict or lenient, verified or not
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
        List<PatchSite> out = new ArrayList<>(para.sites().size());
        for (ParaSite p : para.sites()) {
            ClobberSet clobbers;
            try {
                clobbers = p.clobbers() < 0 ? ClobberSet.linuxAny(isa) : ClobberSet.fromLinuxMask(p.clobbers(), isa);
            } catch (IllegalArgumentException e) {
                throw new ImageFormatException("site 0x" + Long.toHexString(p.address()) + ": " + e.getMessage());
            }
            if (p.length() > PatchSite.MAX_LENGTH) {
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
            byte[] code = Arrays.copyOfRange(bytes, (int) (s.offset() + p.offset()),
                    (int) (s.offset() + p.offset() + p.length()));
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

    private String findPvOps(long[] out) {
        Optional<ElfFile.Symbol> symbol = elf.symbol("pv_ops");
        if (symbol.isPresent()) {
            out[0] = symbol.get().value();
            return "symbol pv_ops";
        }
        Map<Long, Integer> votes = new HashMap<>();
        int ptr = isa().pointerSize();
        for (int i = 0; i < sites.size(); i++) {
            PatchSite s = sites.get(i);
            if (s.callOffset().isEmpty()) {
                continue;
            }
            ParaSite p = para.sites().get(i);
            ElfFile.Section sec = elf.sections().get(p.section());
            int at = (int) (sec.offset() + p.offset()) + s.callOffset().getAsInt();
            IndirectForm f = IndirectForm.find(isa(), s.kind(), bytes, at, (int) (sec.offset() + p.offset() + s.length()));
            long slot = f.slotAddress(bytes, at, s.address() + s.callOffset().getAsInt());
            votes.merge(slot - (long) ptr * s.type(), 1, Integer::sum);
        }
        if (votes.isEmpty()) {
            throw new ImageFormatException("no symbol pv_ops, and no site holds an indirect call to find it from"
                    + " (already prelinked?)");
        }
        Map.Entry<Long, Integer> best = Collections.max(votes.entrySet(), Map.Entry.comparingByValue());
        out[0] = best.getKey();
        int agreeing = best.getValue();
        return "from the sites' calls (" + agreeing + " of " + sites.size() + " agree"
                + (votes.size() > 1 ? "; " + (votes.size() - 1) + " other tables named" : "") + ")";
    }

    private List<SlotTarget> classifySlots() {
        Map<Integer, int[]> minLength = new TreeMap<>();
        Map<Integer, ClobberSet> allowed = new HashMap<>();
        Map<Integer, Boolean> calleeSave = new HashMap<>();
        SlotClassifier classifier = new SlotClassifier(elf);
        ClobberSet ret = classifier.returnRegisters();
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
        return "KernelImage{" + elf + ", " + para.layout() + ", sites=" + sites.size() + "}";
    }
}
