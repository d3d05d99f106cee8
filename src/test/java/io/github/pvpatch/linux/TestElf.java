package io.github.pvpatch.linux;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes small little-endian x86 ELF files for tests: an executable or a relocatable object with
 * the sections given (a null section first and a {@code .shstrtab} last are added).
 */
final class TestElf {
    /** One section to write. */
    record Sec(String name, int type, long flags, long address, byte[] data, int link, int info, long entrySize) {
        static Sec progbits(String name, long flags, long address, byte[] data) {
            return new Sec(name, 1, flags, address, data, 0, 0, 0);
        }
    }

    static final long ALLOC = ElfFile.SHF_ALLOC;
    static final long EXEC = ElfFile.SHF_ALLOC | ElfFile.SHF_EXECINSTR;
    static final long WRITE = 0x1;

    private TestElf() {
    }

    /** {@return the file} Section {@code i} of the list is section {@code i + 1} of the file. */
    static byte[] build(boolean is64, int elfType, List<Sec> sections) {
        List<Sec> all = new ArrayList<>(sections);
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        names.write(0);
        List<Integer> nameOffsets = new ArrayList<>();
        for (Sec s : all) {
            nameOffsets.add(names.size());
            names.writeBytes(s.name().getBytes(StandardCharsets.ISO_8859_1));
            names.write(0);
        }
        int shstrName = names.size();
        names.writeBytes(".shstrtab\0".getBytes(StandardCharsets.ISO_8859_1));
        all.add(new Sec(".shstrtab", 3, 0, 0, names.toByteArray(), 0, 0, 0));
        nameOffsets.add(shstrName);
        int header = is64 ? 64 : 52;
        int shentsize = is64 ? 64 : 40;
        long[] offsets = new long[all.size()];
        long at = header;
        for (int i = 0; i < all.size(); i++) {
            at = (at + 15) & ~15L;
            offsets[i] = at;
            at += all.get(i).type() == ElfFile.SHT_NOBITS ? 0 : all.get(i).data().length;
        }
        long shoff = (at + 15) & ~15L;
        int shnum = all.size() + 1;
        byte[] out = new byte[(int) (shoff + (long) shentsize * shnum)];
        out[0] = 0x7F;
        out[1] = 'E';
        out[2] = 'L';
        out[3] = 'F';
        out[4] = (byte) (is64 ? 2 : 1);
        out[5] = 1;
        out[6] = 1;
        put(out, 16, 2, elfType);
        put(out, 18, 2, is64 ? 62 : 3);
        put(out, 20, 4, 1);
        if (is64) {
            put(out, 40, 8, shoff);
            put(out, 52, 2, header);
            put(out, 58, 2, shentsize);
            put(out, 60, 2, shnum);
            put(out, 62, 2, shnum - 1);
        } else {
            put(out, 32, 4, shoff);
            put(out, 40, 2, header);
            put(out, 46, 2, shentsize);
            put(out, 48, 2, shnum);
            put(out, 50, 2, shnum - 1);
        }
        for (int i = 0; i < all.size(); i++) {
            Sec s = all.get(i);
            if (s.type() != ElfFile.SHT_NOBITS) {
                System.arraycopy(s.data(), 0, out, (int) offsets[i], s.data().length);
            }
            int h = (int) (shoff + (long) shentsize * (i + 1));
            put(out, h, 4, nameOffsets.get(i));
            put(out, h + 4, 4, s.type());
            if (is64) {
                put(out, h + 8, 8, s.flags());
                put(out, h + 16, 8, s.address());
                put(out, h + 24, 8, offsets[i]);
                put(out, h + 32, 8, s.data().length);
                put(out, h + 40, 4, s.link());
                put(out, h + 44, 4, s.info());
                put(out, h + 48, 8, 1);
                put(out, h + 56, 8, s.entrySize());
            } else {
                put(out, h + 8, 4, s.flags());
                put(out, h + 12, 4, s.address());
                put(out, h + 16, 4, offsets[i]);
                put(out, h + 20, 4, s.data().length);
                put(out, h + 24, 4, s.link());
                put(out, h + 28, 4, s.info());
                put(out, h + 32, 4, 1);
                put(out, h + 36, 4, s.entrySize());
            }
        }
        return out;
    }

    /**
     * {@return an ELF64 symbol table of a module: the null symbol, section symbols of sections 1
     * and 2, and an undefined global {@code pv_ops} named at string 1 (so its string table is
     * {@code "\0pv_ops\0"})}
     */
    static byte[] moduleSymtab() {
        byte[] symtab = new byte[24 * 4];
        symtab[24 + 4] = 3;   // STT_SECTION
        put(symtab, 24 + 6, 2, 1);
        symtab[48 + 4] = 3;
        put(symtab, 48 + 6, 2, 2);
        put(symtab, 72, 4, 1);   // "pv_ops", global, undefined
        symtab[72 + 4] = 0x10;
        return symtab;
    }

    static void put(byte[] b, int at, int width, long value) {
        for (int i = 0; i < width; i++) {
            b[at + i] = (byte) (value >>> (8 * i));
        }
    }

    static long get(byte[] b, int at, int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = v << 8 | (b[at + i] & 0xFF);
        }
        return v;
    }
}
