package io.github.pvpatch.linux;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The kernel's own export table: {@code __ksymtab} and {@code __ksymtab_gpl} entries name a symbol
 * in {@code __ksymtab_strings} and give its value, either as 32-bit offsets relative to the
 * field ({@code CONFIG_HAVE_ARCH_PREL32_RELOCATIONS}, x86-64) or as absolute pointers (i386).
 * A stripped vmlinux keeps it, so an exported symbol such as {@code pv_ops} is found there.
 */
final class KernelSymbols {
    private KernelSymbols() {
    }

    /** {@return the value of exported symbol {@code name}; empty when the image does not export it} */
    static OptionalLong exported(ElfFile elf, String name) {
        Optional<ElfFile.Section> strings = elf.section("__ksymtab_strings");
        if (strings.isEmpty() || !strings.get().hasBytes()) {
            return OptionalLong.empty();
        }
        OptionalLong found = find(elf, strings.get(), name);
        if (found.isEmpty()) {
            return OptionalLong.empty();
        }
        long nameAddress = found.getAsLong();
        boolean is64 = elf.is64();
        long mask = is64 ? -1L : 0xFFFFFFFFL;
        for (String table : List.of("__ksymtab", "__ksymtab_gpl")) {
            Optional<ElfFile.Section> section = elf.section(table);
            if (section.isEmpty() || !section.get().hasBytes()) {
                continue;
            }
            ElfFile.Section t = section.get();
            for (long j = 4; j + 4 <= t.size(); j += 4) {
                long field = t.address() + j;
                long rel = (int) elf.readFileValue(t.offset() + j, 4);
                long value;
                if (((field + rel) & mask) == nameAddress) {
                    value = (field - 4 + (int) elf.readFileValue(t.offset() + j - 4, 4)) & mask;
                } else if (!is64 && elf.readFileValue(t.offset() + j, 4) == nameAddress) {
                    value = elf.readFileValue(t.offset() + j - 4, 4);
                } else if (is64 && j >= 8 && j % 8 == 0 && j + 8 <= t.size()
                        && elf.readFileValue(t.offset() + j, 8) == nameAddress) {
                    value = elf.readFileValue(t.offset() + j - 8, 8);
                } else {
                    continue;
                }
                if (elf.sectionAt(value, 1).isPresent()) {
                    return OptionalLong.of(value);
                }
            }
        }
        return OptionalLong.empty();
    }

    /** The address of {@code name} as a whole NUL-terminated string in {@code s}. */
    private static OptionalLong find(ElfFile elf, ElfFile.Section s, String name) {
        byte[] b = elf.bytes(s);
        byte[] want = name.getBytes(StandardCharsets.ISO_8859_1);
        outer:
        for (int i = 0; i + want.length < b.length; i++) {
            if (i > 0 && b[i - 1] != 0 || b[i + want.length] != 0) {
                continue;
            }
            for (int k = 0; k < want.length; k++) {
                if (b[i + k] != want[k]) {
                    continue outer;
                }
            }
            return OptionalLong.of(s.address() + i);
        }
        return OptionalLong.empty();
    }
}
