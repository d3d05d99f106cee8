package io.github.pvpatch.linux;

import io.github.pvpatch.arch.Isa;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A little-endian x86 ELF file (ELF32 for i386, ELF64 for x86-64), read from bytes: its
 * sections, its symbols when it has a symbol table, and the relocations of relocatable objects
 * such as kernel modules. Immutable; it keeps the caller's array and reads it on demand, so
 * opening a 50 MB vmlinux costs the section table only.
 *
 * <p>Every offset and size in the file is checked against the file's length before use; a file
 * that lies about them gets an {@link ImageFormatException} naming the field, never an
 * {@link ArrayIndexOutOfBoundsException}.
 *
 * <pre>{@code
 * ElfFile elf = ElfFile.parse(Files.readAllBytes(Path.of("vmlinux")));
 * elf.isa();                                          // X86_64
 * elf.section(".parainstructions").orElseThrow();     // the pv call sites
 * }</pre>
 */
public final class ElfFile {
    /** ELF type of a relocatable object ({@code .o}, {@code .ko}). */
    public static final int ET_REL = 1;
    /** ELF type of an executable (a vmlinux). */
    public static final int ET_EXEC = 2;
    /** Section type of a symbol table. */
    public static final int SHT_SYMTAB = 2;
    /** Section type of relocations with addends. */
    public static final int SHT_RELA = 4;
    /** Section type of space with no bytes in the file ({@code .bss}). */
    public static final int SHT_NOBITS = 8;
    /** Section type of relocations without addends. */
    public static final int SHT_REL = 9;
    /** Section flag: occupies memory at run time. */
    public static final long SHF_ALLOC = 0x2;
    /** Section flag: holds instructions. */
    public static final long SHF_EXECINSTR = 0x4;

    /** Section type of an unused section header, such as entry 0. */
    private static final int SHT_NULL = 0;
    private static final int EM_386 = 3;
    private static final int EM_X86_64 = 62;

    private final byte[] bytes;
    private final boolean is64;
    private final Isa isa;
    private final int type;
    private final List<Section> sections;
    /** The symbol table, read on first use (an immutable list: a race reads it twice, harmlessly). */
    private List<Symbol> symbols;

    /**
     * One section header.
     *
     * @param index the section's index
     * @param name its name, such as {@code .text}
     * @param type {@code sh_type}
     * @param flags {@code sh_flags}
     * @param address its address at run time (0 in relocatable objects)
     * @param offset where its bytes start in the file
     * @param size its size in bytes
     * @param link {@code sh_link}
     * @param info {@code sh_info} (for relocation sections: the section they apply to)
     * @param entrySize {@code sh_entsize}
     */
    public record Section(int index, String name, int type, long flags, long address, long offset, long size,
            int link, int info, long entrySize) {

        /** {@return whether it holds instructions} */
        public boolean isExecutable() {
            return (flags & SHF_EXECINSTR) != 0;
        }

        /** {@return whether its bytes are in the file (not {@code .bss}-like, nor an unused {@code SHT_NULL} entry)} */
        public boolean hasBytes() {
            // SHT_NULL's other fields are undefined (ELF gABI): never read bytes through them.
            return type != SHT_NOBITS && type != SHT_NULL;
        }

        /**
         * {@return whether {@code [address, address+length)} lies inside the section's run-time range}
         *
         * @param at the first address
         * @param length the number of bytes
         */
        public boolean containsAddress(long at, long length) {
            long off = at - address;
            return length >= 0 && Long.compareUnsigned(off, size) < 0 && length <= size - off;
        }
    }

    /**
     * One symbol.
     *
     * @param name its name
     * @param value its value (an address, or an offset in its section in relocatable objects)
     * @param size its size
     * @param section the index of its section (0 when undefined)
     * @param type {@code STT_*}
     */
    public record Symbol(String name, long value, long size, int section, int type) {
    }

    /**
     * One relocation.
     *
     * @param offset where it applies, in its target section
     * @param type {@code R_386_*} or {@code R_X86_64_*}
     * @param symbol the index of its symbol
     * @param addend its addend (for {@code REL} sections, read from the bytes it applies to)
     */
    public record Relocation(long offset, int type, int symbol, long addend) {
    }

    private ElfFile(byte[] bytes) {
        this.bytes = bytes;
        if (bytes.length < 4 || bytes[0] != 0x7F || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F') {
            throw new ImageFormatException("not an ELF file: the first bytes are not 7f 45 4c 46 (" + bytes.length
                    + " bytes)");
        }
        if (bytes.length < 52) {
            throw new ImageFormatException("ELF header at file offset 0x0 size 0x34 runs past the end of the file (0x"
                    + Integer.toHexString(bytes.length) + " bytes): truncated?");
        }
        if (bytes[5] != 1) {
            throw new ImageFormatException("ELF data encoding " + bytes[5] + " is not little-endian");
        }
        if (bytes[4] != 1 && bytes[4] != 2) {
            throw new ImageFormatException("ELF class " + bytes[4] + " is neither ELF32 nor ELF64");
        }
        is64 = bytes[4] == 2;
        type = u16(16);
        int machine = u16(18);
        if (machine == EM_386 && !is64) {
            isa = Isa.X86_32;
        } else if (machine == EM_X86_64 && is64) {
            isa = Isa.X86_64;
        } else {
            throw new ImageFormatException("ELF machine " + machine + " in an ELF" + (is64 ? "64" : "32")
                    + " file is not i386 (3, ELF32) or x86-64 (62, ELF64)");
        }
        sections = Collections.unmodifiableList(readSections());
    }

    /**
     * {@return the ELF file in {@code bytes}} The array is kept, not copied: do not change it
     * while the {@code ElfFile} is in use.
     *
     * @param bytes the whole file
     * @throws ImageFormatException if it is not a well-formed little-endian x86 ELF file
     */
    public static ElfFile parse(byte[] bytes) {
        return new ElfFile(Objects.requireNonNull(bytes, "bytes"));
    }

    /** {@return the instruction set: x86-32 for ELF32 i386 files, x86-64 for ELF64 ones} */
    public Isa isa() {
        return isa;
    }

    /** {@return whether it is ELF64} */
    public boolean is64() {
        return is64;
    }

    /** {@return the ELF type: {@link #ET_EXEC}, {@link #ET_REL}, ...} */
    public int type() {
        return type;
    }

    /** {@return whether it is a relocatable object, such as a kernel module} */
    public boolean isRelocatable() {
        return type == ET_REL;
    }

    /** {@return the file's size in bytes} */
    public int size() {
        return bytes.length;
    }

    /** {@return every section, by index} */
    public List<Section> sections() {
        return sections;
    }

    /**
     * {@return the first section called {@code name}}
     *
     * @param name a section name, such as {@code .parainstructions}
     */
    public Optional<Section> section(String name) {
        Objects.requireNonNull(name, "name");
        return sections.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /**
     * {@return the section with bytes in the file whose run-time range holds {@code [address,
     * address+length)}, preferring executable sections}
     *
     * @param address the first address
     * @param length the number of bytes
     */
    public Optional<Section> sectionAt(long address, long length) {
        Section found = null;
        for (Section s : sections) {
            if ((s.flags() & SHF_ALLOC) != 0 && s.hasBytes() && s.containsAddress(address, length)
                    && (found == null || s.isExecutable() && !found.isExecutable())) {
                found = s;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * {@return a copy of a section's bytes}
     *
     * @param s a section of this file
     */
    public byte[] bytes(Section s) {
        if (!s.hasBytes()) {
            return new byte[0];
        }
        int off = (int) s.offset();
        return java.util.Arrays.copyOfRange(bytes, off, off + (int) s.size());
    }

    /**
     * {@return section {@code s}, checked to be a table whose every claimed byte is in the file}
     * A reader calls this before it counts records from the section's size: {@code sh_size} is
     * only a header field, checked against the file at parse time for sections with bytes alone,
     * so a {@code SHT_NULL} or {@code SHT_NOBITS} header may claim gigabytes it does not hold.
     *
     * @param s a section of this file
     * @throws ImageFormatException if it claims a size but its type has no bytes in the file
     */
    Section requireContents(Section s) {
        if (!s.hasBytes() && s.size() != 0) {
            throw new ImageFormatException("section=" + s.name() + " index=" + s.index() + " type="
                    + (s.type() == SHT_NULL ? "SHT_NULL" : "SHT_NOBITS") + " size=0x" + Long.toHexString(s.size())
                    + ": a table must have its bytes in the file, and a section of this type has none (file=0x"
                    + Integer.toHexString(bytes.length) + " bytes)");
        }
        return s;   // one with bytes had [offset, offset+size) checked against the file by parse()
    }

    /**
     * {@return a copy of {@code length} bytes at {@code offset} into section {@code s}}
     *
     * @param s a section of this file, with bytes in it
     * @param offset where in the section
     * @param length how many
     * @throws ImageFormatException if the section does not hold them
     */
    public byte[] read(Section s, long offset, int length) {
        if (!s.hasBytes() || offset < 0 || length < 0 || offset > s.size() || length > s.size() - offset) {
            throw new ImageFormatException("section " + s.name() + " (0x" + Long.toHexString(s.size())
                    + " bytes) does not hold " + length + " bytes at offset 0x" + Long.toHexString(offset));
        }
        check(s.offset() + offset, length, "section " + s.name());
        int off = (int) (s.offset() + offset);
        return java.util.Arrays.copyOfRange(bytes, off, off + length);
    }

    /**
     * {@return a copy of {@code length} bytes at run-time address {@code address}}
     *
     * @param address where the bytes are at run time
     * @param length how many
     * @throws ImageFormatException if no section with bytes holds them
     */
    public byte[] read(long address, int length) {
        Section s = sectionAt(address, length).orElseThrow(() -> new ImageFormatException("no section holds "
                + length + " bytes at 0x" + Long.toHexString(address)));
        int off = (int) (s.offset() + (address - s.address()));
        return java.util.Arrays.copyOfRange(bytes, off, off + length);
    }

    /**
     * {@return the little-endian value of {@code width} bytes (1, 2, 4 or 8) at file offset {@code offset}}
     *
     * @param offset where in the file
     * @param width 1, 2, 4 or 8
     */
    public long readFileValue(long offset, int width) {
        check(offset, width, "value");
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = v << 8 | (bytes[(int) offset + i] & 0xFF);
        }
        return v;
    }

    /** {@return the symbols of the symbol table; empty when the file has none (a stripped vmlinux)} */
    public List<Symbol> symbols() {
        List<Symbol> read = symbols;
        if (read == null) {
            read = List.of();
            for (Section s : sections) {
                if (s.type() == SHT_SYMTAB) {
                    read = readSymbols(s);
                    break;
                }
            }
            symbols = read;
        }
        return read;
    }

    /**
     * {@return the first symbol called {@code name}}
     *
     * @param name the symbol's name
     */
    public Optional<Symbol> symbol(String name) {
        return symbols().stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /**
     * {@return the relocations that apply to {@code target}, from every {@code SHT_RELA} or
     * {@code SHT_REL} section whose {@code sh_info} names it; empty when there are none}
     *
     * @param target a section of this file
     */
    public List<Relocation> relocations(Section target) {
        List<Relocation> out = new ArrayList<>();
        for (Section s : sections) {
            if ((s.type() == SHT_RELA || s.type() == SHT_REL) && s.info() == target.index()) {
                boolean rela = s.type() == SHT_RELA;
                int entry = is64 ? (rela ? 24 : 16) : (rela ? 12 : 8);
                check(s.offset(), s.size(), s.name());
                for (long at = s.offset(); at + entry <= s.offset() + s.size(); at += entry) {
                    long offset = is64 ? u64(at) : u32(at);
                    long info = is64 ? u64(at + 8) : u32(at + 4);
                    int symbol = (int) (is64 ? info >>> 32 : info >>> 8);
                    int relType = (int) (is64 ? info & 0xFFFFFFFFL : info & 0xFF);
                    long addend;
                    if (rela) {
                        addend = is64 ? u64(at + 16) : (int) u32(at + 8);
                    } else {
                        long where = target.offset() + offset;
                        addend = target.hasBytes() && where >= 0 && where + 4 <= bytes.length ? (int) u32(where) : 0;
                    }
                    out.add(new Relocation(offset, relType, symbol, addend));
                }
            }
        }
        return out;
    }

    /**
     * {@return the symbol of index {@code index} of the symbol table}
     *
     * @param index the index a relocation names
     * @throws ImageFormatException if there is no such symbol
     */
    public Symbol symbolAt(int index) {
        List<Symbol> all = symbols();
        if (index < 0 || index >= all.size()) {
            throw new ImageFormatException("symbol index " + index + " is outside the symbol table (" + all.size()
                    + " symbols)");
        }
        return all.get(index);
    }

    private List<Section> readSections() {
        long shoff = is64 ? u64(40) : u32(32);
        int shentsize = u16(is64 ? 58 : 46);
        int shnum = u16(is64 ? 60 : 48);
        int shstrndx = u16(is64 ? 62 : 50);
        if (shnum == 0) {
            return new ArrayList<>();
        }
        if (shentsize < (is64 ? 64 : 40)) {
            throw new ImageFormatException("section header size " + shentsize + " is too small");
        }
        check(shoff, (long) shentsize * shnum, "section header table");
        long[][] raw = new long[shnum][];
        for (int i = 0; i < shnum; i++) {
            long h = shoff + (long) i * shentsize;
            raw[i] = is64
                    ? new long[] {u32(h), u32(h + 4), u64(h + 8), u64(h + 16), u64(h + 24), u64(h + 32), u32(h + 40),
                        u32(h + 44), u64(h + 56)}
                    : new long[] {u32(h), u32(h + 4), u32(h + 8), u32(h + 12), u32(h + 16), u32(h + 20), u32(h + 24),
                        u32(h + 28), u32(h + 36)};
            if (raw[i][1] != SHT_NOBITS && raw[i][1] != 0) {
                check(raw[i][4], raw[i][5], "section " + i);
            }
        }
        if (shstrndx >= shnum) {
            throw new ImageFormatException("section name table index " + shstrndx + " is outside " + shnum
                    + " sections");
        }
        long strOff = raw[shstrndx][4];
        long strSize = raw[shstrndx][5];
        List<Section> list = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++) {
            long[] r = raw[i];
            String name = string(strOff, strSize, r[0]);
            list.add(new Section(i, name, (int) r[1], r[2], r[3], r[4], r[5], (int) r[6], (int) r[7], r[8]));
        }
        return list;
    }

    private List<Symbol> readSymbols(Section symtab) {
        int entry = is64 ? 24 : 16;
        check(symtab.offset(), symtab.size(), symtab.name());
        if (symtab.link() < 0 || symtab.link() >= sections.size()) {
            throw new ImageFormatException(symtab.name() + " links to string table " + symtab.link()
                    + ", which does not exist");
        }
        Section strtab = sections.get(symtab.link());
        List<Symbol> out = new ArrayList<>((int) (symtab.size() / entry));
        for (long at = symtab.offset(); at + entry <= symtab.offset() + symtab.size(); at += entry) {
            long nameOff = u32(at);
            long value = is64 ? u64(at + 8) : u32(at + 4);
            long size = is64 ? u64(at + 16) : u32(at + 8);
            int info = bytes[(int) (at + (is64 ? 4 : 12))] & 0xFF;
            int shndx = u16(at + (is64 ? 6 : 14));
            out.add(new Symbol(string(strtab.offset(), strtab.size(), nameOff), value, size, shndx, info & 0xF));
        }
        return Collections.unmodifiableList(out);
    }

    private String string(long tableOffset, long tableSize, long index) {
        // A string table of type SHT_NOBITS or SHT_NULL was not checked with the section headers.
        check(tableOffset, tableSize, "string table");
        if (index < 0 || index >= tableSize) {
            throw new ImageFormatException("string index " + index + " is outside its table of " + tableSize
                    + " bytes");
        }
        int start = (int) (tableOffset + index);
        int end = start;
        int limit = (int) (tableOffset + tableSize);
        while (end < limit && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1);
    }

    private void check(long offset, long length, String what) {
        if (offset < 0 || length < 0 || offset > bytes.length || length > bytes.length - offset) {
            throw new ImageFormatException(what + " at file offset 0x" + Long.toHexString(offset) + " size 0x"
                    + Long.toHexString(length) + " runs past the end of the file (0x"
                    + Integer.toHexString(bytes.length) + " bytes): truncated?");
        }
    }

    private int u16(long at) {
        check(at, 2, "field");
        return (bytes[(int) at] & 0xFF) | (bytes[(int) at + 1] & 0xFF) << 8;
    }

    private long u32(long at) {
        check(at, 4, "field");
        int i = (int) at;
        return (bytes[i] & 0xFFL) | (bytes[i + 1] & 0xFFL) << 8 | (bytes[i + 2] & 0xFFL) << 16
                | (bytes[i + 3] & 0xFFL) << 24;
    }

    private long u64(long at) {
        return u32(at) | u32(at + 4) << 32;
    }

    @Override
    public String toString() {
        return "ElfFile{" + (is64 ? "ELF64" : "ELF32") + " " + isa.displayName() + " type=" + type + " sections="
                + sections.size() + " size=" + bytes.length + "}";
    }
}
