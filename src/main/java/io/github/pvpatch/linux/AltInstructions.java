package io.github.pvpatch.linux;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads the {@code .altinstructions} table of a kernel image or module: detects the entry layout
 * from the table itself (see {@link AltLayout}), resolves each entry's site and replacement, and
 * groups the entries by site. Since Linux 6.8 the paravirt call sites are the entries flagged
 * {@code ALT_FLAG_DIRECT_CALL}; every other entry at the same site is a conditional native
 * replacement. In a relocatable module the two offsets are resolved through the relocations, as
 * the module loader would.
 *
 * <p>Bad tables are refused with an {@link ImageFormatException} naming the entry's index and
 * address: a table no layout parses, a site outside every code section, a replacement outside
 * {@code .altinstr_replacement} or longer than its site, and two direct-call entries for one site.
 *
 * <pre>{@code
 * AltInstructions alt = AltInstructions.read(elf).orElseThrow();
 * alt.layout();                  // FT_FLAGS_14 for Debian's 6.12
 * alt.entries().size();          // 9038
 * alt.directCallSites().size();  // 4068
 * }</pre>
 */
public final class AltInstructions {
    /** The table's section name. */
    public static final String SECTION = ".altinstructions";
    /** The section holding the replacement bytes. */
    public static final String REPLACEMENTS = ".altinstr_replacement";
    /** {@code ALT_FLAG_NOT}, in the flags half of {@code ft_flags}. */
    public static final int ALT_FLAG_NOT = 1;
    /** {@code ALT_FLAG_DIRECT_CALL}, in the flags half of {@code ft_flags}. */
    public static final int ALT_FLAG_DIRECT_CALL = 2;
    /** The NOT flag of the 12-byte layout: bit 15 of {@code cpuid}. */
    public static final int CPUID_NOT = 0x8000;

    private final ElfFile.Section section;
    private final AltLayout layout;
    private final List<AltEntry> entries;
    private final Map<Long, List<AltEntry>> bySite;

    private AltInstructions(ElfFile.Section section, AltLayout layout, List<AltEntry> entries) {
        this.section = section;
        this.layout = layout;
        this.entries = List.copyOf(entries);
        Map<Long, List<AltEntry>> m = new LinkedHashMap<>();
        for (AltEntry e : entries) {
            m.computeIfAbsent(key(e.section(), e.offset()), k -> new ArrayList<>()).add(e);
        }
        m.replaceAll((k, v) -> List.copyOf(v));
        this.bySite = Collections.unmodifiableMap(m);
    }

    /**
     * {@return the table of {@code elf}, or empty when it has no {@code .altinstructions}}
     *
     * @param elf the image or module
     * @throws ImageFormatException if the table does not parse in any layout, or breaks a rule
     *     (see the class description)
     */
    public static Optional<AltInstructions> read(ElfFile elf) {
        return read(elf, false);
    }

    /**
     * {@link #read(ElfFile)}, or, with {@code olderLayoutsAllowed}, empty for a table of a layout
     * older than both (its size fits neither, or its very first entry names no code in either):
     * kernels before 5.13, whose entries were 13 bytes or absolute pointers, attach no
     * alternatives to paravirt sites, so a kernel image with {@code .parainstructions} loses
     * nothing. A table whose first site resolves and whose replacement or a later entry does not is
     * still refused.
     */
    static Optional<AltInstructions> read(ElfFile elf, boolean olderLayoutsAllowed) {
        Objects.requireNonNull(elf, "elf");
        Optional<ElfFile.Section> found = elf.section(SECTION);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        // Its size counts the entries: checked against the file before anything is sized from it.
        ElfFile.Section section = elf.requireContents(found.get());
        if (section.size() == 0) {
            return Optional.of(new AltInstructions(section, AltLayout.FT_FLAGS_14, List.of()));
        }
        List<ImageFormatException> failures = new ArrayList<>();
        int[] failedAt = {-1, 0};   // the failing entry, and whether its site resolved
        boolean laterEntryFailed = false;
        List<AltInstructions> fits = new ArrayList<>();
        for (AltLayout l : AltLayout.values()) {
            if (section.size() % l.entrySize() != 0) {
                continue;
            }
            try {
                fits.add(new AltInstructions(section, l, decode(elf, section, l, failedAt)));
            } catch (ImageFormatException e) {
                failures.add(e);
                laterEntryFailed |= failedAt[0] > 0 || failedAt[1] == 1;
            }
        }
        if (fits.size() == 1) {
            AltInstructions t = fits.get(0);
            t.checkOneDirectCallPerSite();
            return Optional.of(t);
        }
        if (fits.size() > 1) {
            throw new ImageFormatException(SECTION + " of " + section.size() + " bytes parses both as 12-byte and as"
                    + " 14-byte entries; the layout is ambiguous");
        }
        if (olderLayoutsAllowed && fits.isEmpty() && !laterEntryFailed) {
            return Optional.empty();
        }
        if (failures.isEmpty()) {
            long a = section.address();
            long s = section.size();
            throw new ImageFormatException(SECTION + " does not parse: " + s + " bytes is not a whole number of 12- or"
                    + " 14-byte entries; entry " + s / 14 + " at 0x" + Long.toHexString(a + s / 14 * 14) + " (14-byte)"
                    + " or entry " + s / 12 + " at 0x" + Long.toHexString(a + s / 12 * 12) + " (12-byte) is cut short");
        }
        if (failures.size() == 1) {
            throw failures.get(0);
        }
        StringBuilder why = new StringBuilder();
        for (ImageFormatException e : failures) {
            why.append("; ").append(e.getMessage());
        }
        throw new ImageFormatException(SECTION + " of " + section.size() + " bytes does not parse as 12-byte or"
                + " 14-byte entries" + why);
    }

    /** {@return the layout the entries were read in} */
    public AltLayout layout() {
        return layout;
    }

    /** {@return every entry, in table order (the order the kernel applies them)} */
    public List<AltEntry> entries() {
        return entries;
    }

    /** {@return the table's section} */
    public ElfFile.Section section() {
        return section;
    }

    /**
     * {@return the entries at the site at {@code offset} of section {@code sectionIndex}, in table
     * order; empty when there are none}
     *
     * @param sectionIndex the index of the site's section
     * @param offset the site's offset in it
     */
    public List<AltEntry> at(int sectionIndex, long offset) {
        return bySite.getOrDefault(key(sectionIndex, offset), List.of());
    }

    /** {@return the {@code ALT_FLAG_DIRECT_CALL} entries: the paravirt call sites of a 6.8+ kernel, in table order} */
    public List<AltEntry> directCallSites() {
        List<AltEntry> out = new ArrayList<>();
        for (AltEntry e : entries) {
            if (e.directCall()) {
                out.add(e);
            }
        }
        return out;
    }

    private static long key(int sectionIndex, long offset) {
        return (long) sectionIndex << 40 | offset;
    }

    private void checkOneDirectCallPerSite() {
        Map<Long, AltEntry> seen = new HashMap<>();
        for (AltEntry e : entries) {
            if (!e.directCall()) {
                continue;
            }
            AltEntry first = seen.putIfAbsent(key(e.section(), e.offset()), e);
            if (first != null) {
                throw new ImageFormatException(e.where() + " is a second direct-call entry for"
                        + " the site at 0x" + Long.toHexString(e.address()) + " (entry " + first.index() + " is the first)");
            }
        }
    }

    private static List<AltEntry> decode(ElfFile elf, ElfFile.Section section, AltLayout layout, int[] failedAt) {
        int size = layout.entrySize();
        int count = (int) (section.size() / size);
        Optional<ElfFile.Section> replacements = elf.section(REPLACEMENTS);
        Map<Long, ElfFile.Relocation> relocs = new HashMap<>();
        if (elf.isRelocatable()) {
            for (ElfFile.Relocation r : elf.relocations(section)) {
                long at = r.offset() % size;
                if (at != 0 && at != 4) {
                    throw new ImageFormatException(SECTION + " has a relocation at +0x" + Long.toHexString(r.offset())
                            + ", which is no offset field of a " + size + "-byte entry");
                }
                relocs.put(r.offset(), r);
            }
        }
        List<AltEntry> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            failedAt[0] = i;
            failedAt[1] = 0;
            long field = (long) i * size;
            long rec = section.offset() + field;
            String where = SECTION + " entry " + i + " at 0x" + Long.toHexString(section.address() + field);
            int feature;
            boolean not;
            boolean directCall;
            if (layout == AltLayout.CPUID_12) {
                int cpuid = (int) elf.readFileValue(rec + 8, 2);
                feature = cpuid & ~CPUID_NOT;
                not = (cpuid & CPUID_NOT) != 0;
                directCall = false;
            } else {
                long ftFlags = elf.readFileValue(rec + 8, 4);
                feature = (int) (ftFlags & 0xFFFF);
                int flags = (int) (ftFlags >>> 16);
                not = (flags & ALT_FLAG_NOT) != 0;
                directCall = (flags & ALT_FLAG_DIRECT_CALL) != 0;
            }
            int length = (int) elf.readFileValue(rec + size - 2, 1);
            int replacementLength = (int) elf.readFileValue(rec + size - 1, 1);
            Target site = resolve(elf, section, relocs, field, rec, where, "site");
            Target repl = resolve(elf, section, relocs, field + 4, rec + 4, where, "replacement");
            ElfFile.Section code;
            if (site.section >= 0) {
                code = elf.sections().get(site.section);
            } else {
                code = elf.sectionAt(site.address, Math.max(1, length)).orElse(null);
            }
            long siteOffset = code == null ? 0 : site.address - code.address();
            if (code == null || !code.isExecutable() || !code.hasBytes()
                    || !within(code, siteOffset, length)) {
                throw new ImageFormatException(where + " puts its " + length + "-byte site at " + site.describe()
                        + ", outside every code section");
            }
            failedAt[1] = 1;
            ElfFile.Section rs;
            if (repl.section >= 0) {
                rs = elf.sections().get(repl.section);
            } else {
                rs = replacements.orElseGet(() -> elf.sectionAt(repl.address, Math.max(1, replacementLength))
                        .orElse(null));
            }
            long replOffset = rs == null ? 0 : repl.address - rs.address();
            if (rs == null || !rs.hasBytes() || !within(rs, replOffset, replacementLength)
                    || replacements.isPresent() && rs.index() != replacements.get().index()) {
                throw new ImageFormatException(where + " puts its " + replacementLength + "-byte replacement at "
                        + repl.describe() + ", outside " + replacements.map(ElfFile.Section::name).orElse("every section"));
            }
            if (replacementLength > length) {
                throw new ImageFormatException(where + " has a " + replacementLength + "-byte replacement for its "
                        + length + "-byte site at 0x" + Long.toHexString(site.address));
            }
            out.add(new AltEntry(i, rec, section.address() + field, code.index(), siteOffset, code.address() + siteOffset, length, feature, not,
                    directCall, rs.index(), replOffset, rs.address() + replOffset, replacementLength));
        }
        return out;
    }

    private static boolean within(ElfFile.Section s, long offset, int length) {
        return offset >= 0 && offset <= s.size() && length <= s.size() - offset;
    }

    /** Where an offset field points: a run-time address, or in a module a section and offset. */
    private record Target(int section, long address) {
        String describe() {
            return section >= 0 ? "section " + section + "+0x" + Long.toHexString(address) : "0x" + Long.toHexString(address);
        }
    }

    private static Target resolve(ElfFile elf, ElfFile.Section table, Map<Long, ElfFile.Relocation> relocs, long field,
            long fileOffset, String where, String what) {
        if (!elf.isRelocatable()) {
            long rel = (int) elf.readFileValue(fileOffset, 4);
            return new Target(-1, table.address() + field + rel);
        }
        ElfFile.Relocation r = relocs.get(field);
        if (r == null) {
            throw new ImageFormatException(where + " has no relocation for its " + what + " offset");
        }
        ElfFile.Symbol sym = elf.symbolAt(r.symbol());
        if (sym.section() <= 0 || sym.section() >= elf.sections().size()) {
            throw new ImageFormatException(where + " names symbol '" + sym.name() + "' for its " + what
                    + ", which is in no section");
        }
        // A PC-relative field holds S + A - P and points at P + field: S + A, in the symbol's section.
        ElfFile.Section s = elf.sections().get(sym.section());
        return new Target(sym.section(), s.address() + sym.value() + r.addend());
    }
}
