package io.github.pvpatch.linux;

import io.github.pvpatch.arch.Isa;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.StringJoiner;

/**
 * Reads the {@code .parainstructions} section of a kernel image or module: detects the record
 * layout, resolves each record to its site, and in a relocatable module resolves the site's
 * address and its call's slot through the relocations, as the module loader would.
 *
 * <pre>{@code
 * ParaInstructions p = ParaInstructions.read(elf);
 * p.layout();            // ABSOLUTE_64 for Debian's 6.1
 * p.sites().size();      // 3679
 * }</pre>
 */
public final class ParaInstructions {
    /** The section's name. */
    public static final String SECTION = ".parainstructions";

    private final ParaLayout layout;
    private final List<ParaSite> sites;

    private ParaInstructions(ParaLayout layout, List<ParaSite> sites) {
        this.layout = layout;
        this.sites = List.copyOf(sites);
    }

    /**
     * {@return the records of {@code elf}, in a layout detected from the ELF class and the section}
     * The layouts that could fit the section's size are tried in turn; the first whose every
     * record names a site inside an executable section wins.
     *
     * @param elf the image or module
     * @throws ImageFormatException if there is no {@code .parainstructions}, or no layout fits
     */
    public static ParaInstructions read(ElfFile elf) {
        Objects.requireNonNull(elf, "elf");
        return detect(elf, section(elf));
    }

    /**
     * {@return the records of {@code elf} in {@code layout}}
     *
     * @param elf the image or module
     * @param layout the layout to use
     * @throws ImageFormatException if there is no {@code .parainstructions}, or it does not fit the layout
     */
    public static ParaInstructions read(ElfFile elf, ParaLayout layout) {
        Objects.requireNonNull(elf, "elf");
        Objects.requireNonNull(layout, "layout");
        return new ParaInstructions(layout, decode(elf, section(elf), layout));
    }

    private static ElfFile.Section section(ElfFile elf) {
        // Its size counts the records: checked against the file before anything is sized from it.
        return elf.requireContents(elf.section(SECTION).orElseThrow(() -> new ImageFormatException(
                "no " + SECTION + " section (Linux 6.8 and later record paravirt sites in .altinstructions: see"
                + " AltInstructions and KernelImage)")));
    }

    private static ParaInstructions detect(ElfFile elf, ElfFile.Section section) {
        List<ParaLayout> candidates = elf.is64() ? List.of(ParaLayout.ABSOLUTE_64, ParaLayout.RELATIVE_6)
                : List.of(ParaLayout.ABSOLUTE_32, ParaLayout.RELATIVE_6);
        // Each layout that divides the size says why it does not fit: the one the file was written
        // in usually names the broken record, and which one that is cannot be known here.
        StringJoiner why = new StringJoiner("; ", " (", ")").setEmptyValue("");
        for (ParaLayout l : candidates) {
            if (section.size() % l.recordSize() != 0) {
                continue;
            }
            try {
                return new ParaInstructions(l, decode(elf, section, l));
            } catch (ImageFormatException e) {
                why.add(l + ": " + e.getMessage());
            }
        }
        throw new ImageFormatException("no known record layout fits " + SECTION + " of " + section.size()
                + " bytes in this ELF" + (elf.is64() ? "64" : "32") + " file" + why);
    }

    /** {@return the layout the records were read in} */
    public ParaLayout layout() {
        return layout;
    }

    /** {@return the sites, in record order} */
    public List<ParaSite> sites() {
        return sites;
    }

    private static List<ParaSite> decode(ElfFile elf, ElfFile.Section section, ParaLayout layout) {
        int size = layout.recordSize();
        if (section.size() % size != 0) {
            throw new ImageFormatException(SECTION + " is " + section.size() + " bytes, not a whole number of "
                    + size + "-byte " + layout + " records");
        }
        Map<Long, ElfFile.Relocation> relocs = new HashMap<>();
        Map<Integer, Map<Long, ElfFile.Relocation>> codeRelocs = new HashMap<>();
        if (elf.isRelocatable()) {
            for (ElfFile.Relocation r : elf.relocations(section)) {
                relocs.put(r.offset(), r);
            }
        }
        int count = (int) (section.size() / size);
        List<ParaSite> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long rec = section.offset() + (long) i * size;
            long field = (long) i * size;
            int type;
            int length;
            int clobbers;
            long target;
            int targetSection;
            if (layout == ParaLayout.RELATIVE_6) {
                long rel = (int) elf.readFileValue(rec, 4);
                type = (int) elf.readFileValue(rec + 4, 1);
                length = (int) elf.readFileValue(rec + 5, 1);
                clobbers = -1;
                target = section.address() + field + rel;
            } else {
                int w = layout == ParaLayout.ABSOLUTE_64 ? 8 : 4;
                target = elf.readFileValue(rec, w);
                type = (int) elf.readFileValue(rec + w, 1);
                length = (int) elf.readFileValue(rec + w + 1, 1);
                clobbers = (int) elf.readFileValue(rec + w + 2, 2);
            }
            ElfFile.Section code;
            long offset;
            if (elf.isRelocatable()) {
                ElfFile.Relocation r = relocs.get(field);
                if (r == null) {
                    throw new ImageFormatException("record " + i + " of " + SECTION + " has no relocation for its site");
                }
                ElfFile.Symbol sym = elf.symbolAt(r.symbol());
                targetSection = sym.section();
                if (targetSection <= 0 || targetSection >= elf.sections().size()) {
                    throw new ImageFormatException("record " + i + " names symbol " + sym.name()
                            + ", which is in no section");
                }
                code = elf.sections().get(targetSection);
                // ABSOLUTE: S + A. RELATIVE (PC32 at the field): the field holds S + A - P, and the
                // site is at P + field, so S + A again.
                offset = sym.value() + r.addend();
                if (!code.containsAddress(code.address() + offset, Math.max(1, length))) {
                    throw new ImageFormatException("record " + i + " puts its " + length + "-byte site at "
                            + code.name() + "+0x" + Long.toHexString(offset) + ", outside the section");
                }
            } else {
                code = elf.sectionAt(target, Math.max(1, length)).orElseThrow(() -> new ImageFormatException(
                        "record has its site at 0x" + Long.toHexString(target) + ", outside every section"));
                offset = target - code.address();
            }
            if (!code.isExecutable()) {
                throw new ImageFormatException("record puts a site at 0x" + Long.toHexString(code.address() + offset)
                        + " in " + code.name() + ", which holds no code");
            }
            if (!code.hasBytes()) {
                // Only a section with bytes had its file range checked when the headers were read.
                throw new ImageFormatException("record " + i + " puts a site at " + code.name() + "+0x"
                        + Long.toHexString(offset) + ", a section of type " + code.type()
                        + " with no bytes in the file");
            }
            if (length == 0) {
                throw new ImageFormatException("record puts a 0-byte site at 0x"
                        + Long.toHexString(code.address() + offset));
            }
            OptionalInt slot = OptionalInt.empty();
            if (elf.isRelocatable()) {
                Map<Long, ElfFile.Relocation> inCode = codeRelocs.computeIfAbsent(code.index(), k -> index(elf, code));
                slot = callSlot(elf, inCode, offset, length);
            }
            out.add(new ParaSite(code.index(), offset, code.address() + offset, type, length, clobbers, slot));
        }
        return out;
    }

    static Map<Long, ElfFile.Relocation> index(ElfFile elf, ElfFile.Section code) {
        Map<Long, ElfFile.Relocation> m = new HashMap<>();
        for (ElfFile.Relocation r : elf.relocations(code)) {
            m.put(r.offset(), r);
        }
        return m;
    }

    /**
     * The slot a module site's call reads: the relocation on its 32-bit operand names
     * {@code pv_ops} plus the slot's offset (minus 4 for the x86-64 PC-relative forms, whose
     * displacement counts from the end of the instruction).
     */
    static OptionalInt callSlot(ElfFile elf, Map<Long, ElfFile.Relocation> inCode, long site, int length) {
        for (long at = site; at + 4 <= site + length; at++) {
            ElfFile.Relocation r = inCode.get(at);
            if (r == null) {
                continue;
            }
            ElfFile.Symbol sym = elf.symbolAt(r.symbol());
            if (!sym.name().equals("pv_ops")) {
                continue;
            }
            long offset = elf.isa() == Isa.X86_64 && ElfConstants.isPcRelative32(r.type())
                    ? r.addend() + 4 : r.addend();
            int ptr = elf.isa().pointerSize();
            if (offset >= 0 && offset % ptr == 0) {
                return OptionalInt.of((int) (offset / ptr));
            }
        }
        return OptionalInt.empty();
    }
}
