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
 * {@link ArrayIndexOutOfBoundsException}. Reading costs work in proportion to the file, however
 * it is crafted: a string table is scanned once for all the names in it, which may add up to 16
 * times its size (at least 1 MiB; a linker's table holds each name once); the sections are found
 * by address through an index built on first use, in O(log n * log n) steps among n sections.
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

    /** How many times its string table's size the names read from it may add up to (see {@link #strings}). */
    static final int NAMES_PER_TABLE_BYTE = 16;
    /** The least the names read from one string table may add up to, however small the table. */
    static final long NAMES_FLOOR = 1 << 20;

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
    /** The sections by address, built on first use (final fields only: a race builds it twice, harmlessly). */
    private AddressIndex addressIndex;
    /** The relocation sections by the section they apply to, built on first use (as {@link #addressIndex}). */
    private RelocationIndex relocationIndex;
    /**
     * Steps taken by address and relocation lookups (section headers and index entries looked
     * at): the work a test counts, as timing is no assertion (a plain field: a race loses counts,
     * harmlessly).
     */
    private long lookupSteps;

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
        AddressIndex index = addressIndex;
        if (index == null) {
            index = new AddressIndex(sections);
            lookupSteps += sections.size();
            addressIndex = index;
        }
        int found = index.find(address, length, this);
        return found < 0 ? Optional.empty() : Optional.of(sections.get(found));
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

    /**
     * {@return the symbols of the symbol table; empty when the file has none (a stripped vmlinux)}
     *
     * @throws ImageFormatException if a name is outside the string table, or the names add up to
     *     more than 16 times the table (see {@link ElfFile})
     */
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
        RelocationIndex index = relocationIndex;
        if (index == null) {
            index = new RelocationIndex(sections);
            lookupSteps += sections.size();
            relocationIndex = index;
        }
        List<Relocation> out = new ArrayList<>();
        int t = target.index();
        // A section whose sh_info names no section is no target's (the linear scan matched none).
        for (int r : t >= 0 && t < index.byTarget.length ? index.byTarget[t] : new int[0]) {
            lookupSteps++;
            Section s = sections.get(r);
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

    /** {@return how many steps address and relocation lookups have taken so far (section headers and index entries looked at)} */
    long lookupSteps() {
        return lookupSteps;
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
        long[] nameAt = new long[shnum];
        for (int i = 0; i < shnum; i++) {
            nameAt[i] = raw[i][0];
        }
        String[] names = strings("section name table", shstrndx, strOff, strSize, nameAt);
        List<Section> list = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++) {
            long[] r = raw[i];
            String name = names[i];
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
        int count = (int) (symtab.size() / entry);
        long[] nameAt = new long[count];
        for (int i = 0; i < count; i++) {
            nameAt[i] = u32(symtab.offset() + (long) i * entry);
        }
        String[] names = strings("section=" + strtab.name(), strtab.index(), strtab.offset(), strtab.size(), nameAt);
        List<Symbol> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long at = symtab.offset() + (long) i * entry;
            long value = is64 ? u64(at + 8) : u32(at + 4);
            long size = is64 ? u64(at + 16) : u32(at + 8);
            int info = bytes[(int) (at + (is64 ? 4 : 12))] & 0xFF;
            int shndx = u16(at + (is64 ? 6 : 14));
            out.add(new Symbol(names[i], value, size, shndx, info & 0xF));
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * {@return the NUL-terminated strings at {@code indices} of a string table, in their order}
     * Each byte of the table is scanned once, however many names there are: the offsets are
     * sorted, and a name that starts inside the one before it ends where that one ends. Names at
     * one offset share one {@code String}; all the names at distinct offsets may add up to
     * {@link #NAMES_PER_TABLE_BYTE} times the table's size (at least {@link #NAMES_FLOOR} bytes):
     * a linker's table holds each name once, sharing only tails, while a crafted one without NULs
     * could name each of its bytes as the start of a string running to its end, and copying those
     * costs its size squared.
     */
    private String[] strings(String table, int tableIndex, long tableOffset, long tableSize, long[] indices) {
        String[] out = new String[indices.length];
        if (indices.length == 0) {
            return out;
        }
        // A string table of type SHT_NOBITS or SHT_NULL was not checked with the section headers.
        check(tableOffset, tableSize, "string table");
        for (long index : indices) {
            if (index < 0 || index >= tableSize) {
                throw new ImageFormatException("string index " + index + " is outside its table of " + tableSize
                        + " bytes");
            }
        }
        long[] starts = indices.clone();
        java.util.Arrays.sort(starts);
        int distinct = 0;
        for (int i = 0; i < starts.length; i++) {
            if (i == 0 || starts[i] != starts[i - 1]) {
                starts[distinct++] = starts[i];
            }
        }
        int[] ends = new int[distinct];
        int limit = (int) (tableOffset + tableSize);
        long budget = Math.max(NAMES_FLOOR, NAMES_PER_TABLE_BYTE * tableSize);
        long total = 0;
        int end = -1;   // where the last scan stopped: a NUL, or the table's end
        for (int i = 0; i < distinct; i++) {
            int start = (int) (tableOffset + starts[i]);
            if (start > end) {
                end = start;
                while (end < limit && bytes[end] != 0) {
                    end++;
                }
            }
            ends[i] = end;
            total += end - start;
            if (total > budget) {
                throw new ImageFormatException(table + " index=" + tableIndex + " size=0x" + Long.toHexString(tableSize)
                        + " names=" + indices.length + " namesSize=0x" + Long.toHexString(total) + " limit=0x"
                        + Long.toHexString(budget) + ": the names add up to more than " + NAMES_PER_TABLE_BYTE
                        + " times the table (a name runs on over the next ones: a table without NULs?)");
            }
        }
        String[] made = new String[distinct];
        for (int k = 0; k < indices.length; k++) {
            int i = java.util.Arrays.binarySearch(starts, 0, distinct, indices[k]);
            if (made[i] == null) {
                int start = (int) (tableOffset + starts[i]);
                made[i] = new String(bytes, start, ends[i] - start, StandardCharsets.ISO_8859_1);
            }
            out[k] = made[i];
        }
        return out;
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

    /**
     * The sections with bytes that occupy memory, arranged so that the one holding an address
     * range is found in O(log n * log n) steps, with {@link #sectionAt}'s answer: among the sections
     * that hold the whole range, the executable one of lowest index, else the one of lowest index.
     * A merge-sort tree: sections sorted by start address; each node of a Fenwick tree over them
     * keeps its sections sorted by end address, descending, with the best (least) key of each
     * prefix, so a query takes the sections starting at or below the address (a prefix, at most
     * log n nodes) and in each node those ending at or above the range's end (a prefix again,
     * by binary search). A section whose range passes 2^64 is kept in a second tree, in addresses
     * turned by 2^63: its size is under 2^31 (it has bytes in the file), so there it does not wrap.
     */
    private static final class AddressIndex {
        private final Tree plain;
        private final Tree turned;

        AddressIndex(List<Section> sections) {
            List<Section> plainOnes = new ArrayList<>();
            List<Section> turnedOnes = new ArrayList<>();
            for (Section s : sections) {
                if ((s.flags() & SHF_ALLOC) == 0 || !s.hasBytes() || s.size() <= 0) {
                    continue;   // holds no address
                }
                (Long.compareUnsigned(s.address() + s.size(), s.address()) < 0 ? turnedOnes : plainOnes).add(s);
            }
            plain = new Tree(plainOnes, 0);
            turned = new Tree(turnedOnes, Long.MIN_VALUE);
        }

        /** {@return the index of the section holding {@code [address, address+length)}, or -1} */
        int find(long address, long length, ElfFile counter) {
            if (length < 0) {
                return -1;
            }
            int a = plain.best(address, length, counter);
            int b = turned.best(address, length, counter);
            int key = Math.min(a, b);
            return key == Integer.MAX_VALUE ? -1 : key & 0xFFFF;
        }
    }

    /** One merge-sort tree of {@link AddressIndex}, its addresses offset by {@code turn} (0 or 2^63). */
    private static final class Tree {
        private final long turn;
        /** Start addresses, ascending (unsigned), turned. */
        private final long[] starts;
        /** Fenwick node i (1-based) holds sections (i - lowbit(i), i]: its slice of the two arrays below starts here. */
        private final int[] nodeAt;
        /** Each node's end addresses (start + size, turned), descending (unsigned). */
        private final long[] ends;
        /** The least key of each node's slice so far: executable sections before others, then by index. */
        private final int[] bestKey;

        Tree(List<Section> sections, long turn) {
            this.turn = turn;
            int n = sections.size();
            Section[] byStart = sections.toArray(new Section[0]);
            java.util.Arrays.sort(byStart, (x, y) -> Long.compareUnsigned(x.address() ^ turn, y.address() ^ turn));
            starts = new long[n];
            long[] end = new long[n];
            int[] key = new int[n];
            for (int i = 0; i < n; i++) {
                Section s = byStart[i];
                starts[i] = s.address() ^ turn;
                end[i] = starts[i] + s.size();
                key[i] = (s.isExecutable() ? 0 : 0x10000) | s.index();
            }
            // Rank every section by end address, descending: a node sorts its sections' ranks.
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (x, y) -> Long.compareUnsigned(end[y], end[x]));
            int[] rank = new int[n];
            for (int r = 0; r < n; r++) {
                rank[order[r]] = r;
            }
            nodeAt = new int[n + 2];
            int total = 0;
            for (int i = 1; i <= n; i++) {
                nodeAt[i] = total;
                total += i & -i;
            }
            nodeAt[n + 1] = total;
            ends = new long[total];
            bestKey = new int[total];
            for (int i = 1; i <= n; i++) {
                int width = i & -i;
                int[] ranks = new int[width];
                for (int k = 0; k < width; k++) {
                    ranks[k] = rank[i - width + k];
                }
                java.util.Arrays.sort(ranks);
                int best = Integer.MAX_VALUE;
                for (int k = 0; k < width; k++) {
                    int item = order[ranks[k]];
                    ends[nodeAt[i] + k] = end[item];
                    best = Math.min(best, key[item]);
                    bestKey[nodeAt[i] + k] = best;
                }
            }
        }

        /** {@return the least key of a section holding {@code [address, address+length)}, or Integer.MAX_VALUE} */
        int best(long address, long length, ElfFile counter) {
            long a = address ^ turn;
            long need = a + Math.max(length, 1);   // the range's end: a section must end at or above it
            if (Long.compareUnsigned(need, a) < 0) {
                return Integer.MAX_VALUE;   // past the top of the address space
            }
            // The sections starting at or below the address: the first p.
            int lo = 0;
            int hi = starts.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                counter.lookupSteps++;
                if (Long.compareUnsigned(starts[mid], a) <= 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            int best = Integer.MAX_VALUE;
            for (int i = lo; i > 0; i -= i & -i) {
                int from = nodeAt[i];
                int l = 0;
                int h = i & -i;   // the node's sections ending at or above need: the first l
                while (l < h) {
                    int mid = (l + h) >>> 1;
                    counter.lookupSteps++;
                    if (Long.compareUnsigned(ends[from + mid], need) >= 0) {
                        l = mid + 1;
                    } else {
                        h = mid;
                    }
                }
                counter.lookupSteps++;
                if (l > 0) {
                    best = Math.min(best, bestKey[from + l - 1]);
                }
            }
            return best;
        }
    }

    /** The relocation sections ({@code SHT_RELA}, {@code SHT_REL}) that apply to each section, in index order. */
    private static final class RelocationIndex {
        private final int[][] byTarget;

        RelocationIndex(List<Section> sections) {
            int[] count = new int[sections.size()];
            for (Section s : sections) {
                if (isRelocations(s) && s.info() >= 0 && s.info() < count.length) {
                    count[s.info()]++;
                }
            }
            byTarget = new int[count.length][];
            for (int t = 0; t < count.length; t++) {
                byTarget[t] = new int[count[t]];
                count[t] = 0;
            }
            for (Section s : sections) {
                if (isRelocations(s) && s.info() >= 0 && s.info() < byTarget.length) {
                    byTarget[s.info()][count[s.info()]++] = s.index();
                }
            }
        }

        private static boolean isRelocations(Section s) {
            return s.type() == SHT_RELA || s.type() == SHT_REL;
        }
    }

    @Override
    public String toString() {
        return "ElfFile{" + (is64 ? "ELF64" : "ELF32") + " " + isa.displayName() + " type=" + type + " sections="
                + sections.size() + " size=" + bytes.length + "}";
    }
}
