package io.github.pvpatch.linux;

import static io.github.pvpatch.linux.FuzzFindingsTest.allocated;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The importer's cost on crafted files larger than the fuzz's: work that grew as the product of
 * two sizes of the file (symbols by string table, records by sections) now grows with the file.
 * Work is counted (bytes allocated, section headers looked at), never timed.
 */
class ImporterCostTest {
    private static final long MB = 1 << 20;

    /** A relocatable ELF64 file with a symbol table of {@code names.length} symbols, named at those offsets. */
    private static byte[] symbolFile(int[] names, byte[] strtab) {
        byte[] symtab = new byte[24 * names.length];
        for (int i = 0; i < names.length; i++) {
            TestElf.put(symtab, 24 * i, 4, names[i]);
        }
        return TestElf.build(true, ElfFile.ET_REL, List.of(
                new TestElf.Sec(".symtab", ElfFile.SHT_SYMTAB, 0, 0, symtab, 2, 0, 24),
                new TestElf.Sec(".strtab", 3, 0, 0, strtab, 0, 0, 0)));
    }

    @Test
    void symbolNamesRunningOnWithoutANulAreRefusedWithoutCopyingTheTableForEachName() {
        // 2048 symbols, each named one byte further into 128 KiB of 'A's: 2048 names of about 128 KiB,
        // 256 MB of strings (and as many bytes scanned for a NUL) from a 176 KB file.
        byte[] strtab = new byte[128 << 10];
        Arrays.fill(strtab, (byte) 'A');
        int[] names = new int[2048];
        Arrays.setAll(names, i -> i);
        ElfFile elf = ElfFile.parse(symbolFile(names, strtab));
        long before = allocated();
        ImageFormatException e = assertThrows(ImageFormatException.class, elf::symbols);
        long used = allocated() - before;
        assertTrue(used < 16 * MB, "allocated " + used / MB + " MB to refuse: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("section=.strtab index=2 size=0x20000 names=2048 namesSize=0x"),
                e.getMessage());
        assertTrue(e.getMessage().contains(" limit=0x200000: "), e.getMessage());
    }

    @Test
    void symbolsSharingOneNameShareItsBytesAndItsScan() {
        // 2048 symbols all named at offset 0 of 128 KiB without a NUL: one name, read once (was 2048 copies).
        byte[] strtab = new byte[128 << 10];
        Arrays.fill(strtab, (byte) 'B');
        int[] names = new int[2048];
        ElfFile elf = ElfFile.parse(symbolFile(names, strtab));
        long before = allocated();
        List<ElfFile.Symbol> symbols = elf.symbols();
        long used = allocated() - before;
        assertEquals(2048, symbols.size());
        assertTrue(symbols.stream().allMatch(s -> s.name().length() == strtab.length));
        assertTrue(used < 16 * MB, "allocated " + used / MB + " MB for 2048 symbols of one name");
    }

    @Test
    void symbolNamesOfARealTableReadAsBefore() {
        // Shared tails (the linker's suffix merging), an empty name, a name ending at the table's end.
        byte[] strtab = "\0pv_ops\0xen_pv_ops\0last".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        int[] names = {0, 1, 8, 12, 19, 12, 21, 7};
        List<String> want = List.of("", "pv_ops", "xen_pv_ops", "pv_ops", "last", "pv_ops", "st", "");
        assertEquals(want, ElfFile.parse(symbolFile(names, strtab)).symbols().stream().map(ElfFile.Symbol::name)
                .toList());
        int[] outside = {1, 23};
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> ElfFile.parse(symbolFile(outside, strtab)).symbols());
        assertTrue(e.getMessage().contains("string index 23 is outside its table of 23 bytes"), e.getMessage());
    }

    @Test
    void sectionNamesRunningOnWithoutANulAreRefusedWhenTheFileIsParsed() {
        // 4000 sections named one byte apart in a section name table whose NULs are all overwritten.
        List<TestElf.Sec> secs = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            secs.add(TestElf.Sec.progbits(".s" + i, 0, 0, new byte[0]));
        }
        byte[] file = TestElf.build(true, ElfFile.ET_REL, secs);
        ElfFile clean = ElfFile.parse(file);
        ElfFile.Section names = clean.sections().get(clean.sections().size() - 1);
        for (long at = names.offset(); at < names.offset() + names.size(); at++) {
            file[(int) at] = 'A';
        }
        for (ElfFile.Section s : clean.sections()) {
            TestElf.put(file, (int) (TestElf.get(file, 40, 8) + 64L * s.index()), 4, s.index());
        }
        long before = allocated();
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> ElfFile.parse(file));
        long used = allocated() - before;
        assertTrue(used < 16 * MB, "allocated " + used / MB + " MB to refuse: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("section name table index=" + names.index() + " size=0x"
                + Long.toHexString(names.size()) + " names=" + clean.sections().size() + " "), e.getMessage());
    }

    @Test
    void eachRecordFindsItsSectionInLogarithmicWorkAmongManySections() {
        // 16000 allocated sections beside .text, and 4000 records: records x sections was 64 million looks.
        long text = 0xffffffff81000000L;
        int records = 4000;
        List<TestElf.Sec> secs = new ArrayList<>();
        for (int i = 0; i < 16000; i++) {
            secs.add(TestElf.Sec.progbits(".d" + i, TestElf.ALLOC, 0xffffffff90000000L + 16L * i, new byte[1]));
        }
        secs.add(TestElf.Sec.progbits(".text", TestElf.EXEC, text, new byte[records + 8]));
        byte[] para = new byte[16 * records];
        for (int r = 0; r < records; r++) {
            TestElf.put(para, 16 * r, 8, text + r);
            para[16 * r + 9] = 1;
        }
        secs.add(TestElf.Sec.progbits(ParaInstructions.SECTION, TestElf.ALLOC, 0xffffffff82000000L, para));
        ElfFile elf = ElfFile.parse(TestElf.build(true, ElfFile.ET_EXEC, secs));
        ParaInstructions p = ParaInstructions.read(elf);
        assertEquals(records, p.sites().size());
        assertTrue(p.sites().stream().allMatch(s -> s.section() == 16001));
        int log = 64 - Long.numberOfLeadingZeros(elf.sections().size());
        assertTrue(elf.lookupSteps() < (long) log * log * records, elf.lookupSteps() + " lookup steps for "
                + records + " records among " + elf.sections().size() + " sections");
    }

    @Test
    void eachSectionsRelocationsAreFoundWithoutLookingAtEverySection() {
        // 4000 code sections, each with its own relocation section: 4000 lookups x 8002 sections was 32 million.
        List<TestElf.Sec> secs = new ArrayList<>();
        int code = 4000;
        for (int i = 0; i < code; i++) {
            secs.add(TestElf.Sec.progbits(".text." + i, TestElf.EXEC, 0, new byte[8]));
        }
        for (int i = 0; i < code; i++) {
            byte[] r = new byte[24];
            TestElf.put(r, 0, 8, i % 4);
            secs.add(new TestElf.Sec(".rela.text." + i, ElfFile.SHT_RELA, 0, 0, r, 0, i + 1, 24));
        }
        ElfFile elf = ElfFile.parse(TestElf.build(true, ElfFile.ET_REL, secs));
        for (int i = 1; i <= code; i++) {
            List<ElfFile.Relocation> r = elf.relocations(elf.sections().get(i));
            assertEquals(List.of(new ElfFile.Relocation((i - 1) % 4, 0, 0, 0)), r);
        }
        assertEquals(List.of(), elf.relocations(elf.sections().get(code + 1)));
        assertTrue(elf.lookupSteps() < 4L * elf.sections().size(), elf.lookupSteps()
                + " lookup steps for " + code + " lookups among " + elf.sections().size() + " sections");
    }

    /** A 6.8+-style module with {@code n} direct-call sites in .text, each with its relocations. */
    private static byte[] module(int n) {
        byte[] text = new byte[8 * n];
        byte[] table = new byte[14 * n];
        ByteArrayOutputStream rela = new ByteArrayOutputStream();
        ByteArrayOutputStream relaText = new ByteArrayOutputStream();
        for (int e = 0; e < n; e++) {
            TestElf.put(table, 14 * e + 8, 4, CpuFeatures.ALWAYS | 2 << 16);
            table[14 * e + 12] = 6;
            rela.writeBytes(rela(14 * e, 1, 2, 8 * e));        // .text + site
            rela.writeBytes(rela(14 * e + 4, 2, 2, 0));        // .altinstr_replacement + 0
            text[8 * e] = (byte) 0xFF;
            text[8 * e + 1] = 0x15;
            relaText.writeBytes(rela(8 * e + 2, 3, 2, 8L * (e % 50) - 4));   // pv_ops + 8 * slot - 4
        }
        byte[] symtab = TestElf.moduleSymtab();
        return TestElf.build(true, ElfFile.ET_REL, List.of(
                TestElf.Sec.progbits(".text", TestElf.EXEC, 0, text),
                TestElf.Sec.progbits(AltInstructions.REPLACEMENTS, TestElf.EXEC, 0, new byte[1]),
                TestElf.Sec.progbits(AltInstructions.SECTION, TestElf.ALLOC, 0, table),
                new TestElf.Sec(".rela.altinstructions", ElfFile.SHT_RELA, 0, 0, rela.toByteArray(), 6, 3, 24),
                new TestElf.Sec(".rela.text", ElfFile.SHT_RELA, 0, 0, relaText.toByteArray(), 6, 1, 24),
                new TestElf.Sec(".symtab", ElfFile.SHT_SYMTAB, 0, 0, symtab, 7, 3, 24),
                new TestElf.Sec(".strtab", 3, 0, 0, "\0pv_ops\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                        0, 0, 0)));
    }

    private static byte[] rela(long offset, int symbol, int type, long addend) {
        byte[] r = new byte[24];
        TestElf.put(r, 0, 8, offset);
        TestElf.put(r, 8, 8, (long) symbol << 32 | type);
        TestElf.put(r, 16, 8, addend);
        return r;
    }

    @Test
    void aModulesDirectCallSitesReadTheirSectionsRelocationsOnce() {
        // 3000 sites: each site's slot was found by decoding all 3000 relocations of .text again (9 million).
        int n = 3000;
        byte[] file = module(n);
        long before = allocated();
        KernelImage m = KernelImage.read(file);
        long used = allocated() - before;
        assertEquals(n, m.sites().size());
        for (int i = 0; i < n; i++) {
            assertEquals(java.util.OptionalInt.of(i % 50), m.records().get(i).relocatedSlot());
        }
        assertTrue(used < 64 * MB, "allocated " + used / MB + " MB to read " + n + " module sites");
    }

    /**
     * A 6.8+-style image whose sites are all prelinked ({@code DIRECT_CALL} with {@code NOT}),
     * site {@code i} a {@code call rel32} to {@code calls[i]}; {@code pv_ops} at {@code .data}
     * holding {@code slots}; {@code padding} allocated sections beside.
     */
    private static byte[] prelinked(long[] calls, long[] slots, int padding) {
        long text = 0xffffffff81000000L;
        long data = 0xffffffff82000000L;
        long alt = 0xffffffff83000000L;
        long repl = 0xffffffff83100000L;
        int n = calls.length;
        byte[] code = new byte[8 * n];
        byte[] table = new byte[14 * n];
        for (int e = 0; e < n; e++) {
            code[8 * e] = (byte) 0xE8;
            TestElf.put(code, 8 * e + 1, 4, calls[e] - (text + 8L * e + 5));
            long entry = alt + 14L * e;
            TestElf.put(table, 14 * e, 4, text + 8L * e - entry);
            TestElf.put(table, 14 * e + 4, 4, repl - (entry + 4));
            // The mark pvpatch leaves: DIRECT_CALL with NOT, under ALWAYS.
            TestElf.put(table, 14 * e + 8, 4, CpuFeatures.ALWAYS | (long) (AltInstructions.ALT_FLAG_DIRECT_CALL
                    | AltInstructions.ALT_FLAG_NOT) << 16);
            table[14 * e + 12] = 6;
        }
        byte[] pvOps = new byte[8 * 1024];
        for (int i = 0; i < slots.length; i++) {
            TestElf.put(pvOps, 8 * i, 8, slots[i]);
        }
        List<TestElf.Sec> secs = new ArrayList<>();
        for (int i = 0; i < padding; i++) {
            secs.add(TestElf.Sec.progbits(".d" + i, TestElf.ALLOC, 0xffffffff90000000L + 16L * i, new byte[1]));
        }
        secs.add(TestElf.Sec.progbits(".text", TestElf.EXEC, text, code));
        secs.add(TestElf.Sec.progbits(".data", TestElf.ALLOC, data, pvOps));
        secs.add(TestElf.Sec.progbits(AltInstructions.REPLACEMENTS, TestElf.EXEC, repl, new byte[1]));
        secs.add(TestElf.Sec.progbits(AltInstructions.SECTION, TestElf.ALLOC, alt, table));
        return TestElf.build(true, ElfFile.ET_EXEC, secs);
    }

    @Test
    void aPrelinkedSitesSlotIsTheOneSlotHoldingItsCallsTarget() {
        // Slots 1 and 2 hold one function; slot 5 another; slot 0 a third. With no site naming a
        // slot, all 1024 are candidates; once one is recovered, only the slots sites use.
        long f0 = 0xffffffff81100000L;
        long f1 = 0xffffffff81100010L;
        long f5 = 0xffffffff81100050L;
        long[] slots = {f0, f1, f1, 0, 0, f5};
        long[] calls = {f1, f5, f0, f5, 0xffffffff81100070L};
        KernelImage k = KernelImage.read(prelinked(calls, slots, 0),
                KernelImage.ReadOptions.defaults().withPvOps(0xffffffff82000000L));
        assertEquals(List.of(5, 5), k.records().stream().map(ParaSite::type).toList());
        assertEquals(List.of(0xffffffff81000008L, 0xffffffff81000018L),
                k.sites().stream().map(io.github.pvpatch.PatchSite::address).toList());
        List<ParavirtSite> all = k.paravirtSites(CpuFeatures.defaults());
        assertEquals(5, all.size());
        assertEquals(List.of(0xffffffff81000000L, 0xffffffff81000010L, 0xffffffff81000020L), all.subList(2, 5)
                .stream().filter(p -> p.slot().isEmpty()).map(ParavirtSite::address).toList());
    }

    @Test
    void prelinkedSitesWhoseSlotIsLostLookAtTheSlotsOnceNotOncePerSite() {
        // 1000 prelinked direct-call sites whose call names no slot, among 200 sections: each tried
        // 1024 slots, each slot's lookup looking at every section (200 million looks).
        int n = 1000;
        long[] calls = new long[n];
        Arrays.fill(calls, 0xffffffff81000000L);   // no slot holds it
        byte[] file = prelinked(calls, new long[0], 200);
        long data = 0xffffffff82000000L;
        KernelImage k = KernelImage.read(file, KernelImage.ReadOptions.defaults().withPvOps(data));
        assertEquals(0, k.sites().size());
        assertEquals(n, k.paravirtSites(CpuFeatures.defaults()).size());
        long work = k.elf().lookupSteps();
        assertTrue(work < 64L * (1024 + n), work + " lookup steps for " + n + " sites among "
                + k.elf().sections().size() + " sections");
    }

    /** {@link ElfFile#sectionAt} as it was, a scan of every section: the answers the index must give. */
    private static java.util.Optional<ElfFile.Section> scan(ElfFile elf, long address, long length) {
        ElfFile.Section found = null;
        for (ElfFile.Section s : elf.sections()) {
            if ((s.flags() & ElfFile.SHF_ALLOC) != 0 && s.hasBytes() && s.containsAddress(address, length)
                    && (found == null || s.isExecutable() && !found.isExecutable())) {
                found = s;
            }
        }
        return java.util.Optional.ofNullable(found);
    }

    @Test
    void theSectionAtAnAddressIsTheExecutableOneOfLowestIndexElseTheOneOfLowestIndex() {
        byte[] file = TestElf.build(true, ElfFile.ET_EXEC, List.of(
                TestElf.Sec.progbits(".rodata", TestElf.ALLOC, 0x1000, new byte[0x1000]),       // 1
                TestElf.Sec.progbits(".text.a", TestElf.EXEC, 0x1800, new byte[0x100]),         // 2
                TestElf.Sec.progbits(".text.b", TestElf.EXEC, 0x1800, new byte[0x200]),         // 3
                TestElf.Sec.progbits(".note", 0, 0x1800, new byte[0x100]),                      // 4: not allocated
                new TestElf.Sec(".bss", ElfFile.SHT_NOBITS, TestElf.EXEC, 0x1800, new byte[0x100], 0, 0, 0)));  // 5
        ElfFile elf = ElfFile.parse(file);
        long[][] want = {
            {0x1800, 4, 2}, {0x18FC, 4, 2}, {0x18FD, 4, 3}, {0x19FC, 4, 3}, {0x19FD, 4, 1}, {0x1000, 1, 1},
            {0x1FFF, 1, 1}, {0x1FFF, 2, -1}, {0x2000, 0, -1}, {0x1FFF, 0, 1}, {0xFFF, 1, -1}, {0x1800, -1, -1},
            {0x1800, 0x101, 3}, {0x1000, 0x1000, 1}, {0x1000, 0x1001, -1}};
        for (long[] w : want) {
            assertEquals(w[2], elf.sectionAt(w[0], w[1]).map(s -> (long) s.index()).orElse(-1L),
                    "0x" + Long.toHexString(w[0]) + " length " + w[1]);
            assertEquals(scan(elf, w[0], w[1]), elf.sectionAt(w[0], w[1]));
        }
    }

    @Test
    void theIndexAnswersAsTheScanDidForOverlappingAndWrappingSections() {
        java.util.Random random = new java.util.Random(20261201);
        for (int round = 0; round < 200; round++) {
            boolean is64 = random.nextBoolean();
            List<TestElf.Sec> secs = new ArrayList<>();
            List<Long> edges = new ArrayList<>();
            int count = 1 + random.nextInt(24);
            for (int i = 0; i < count; i++) {
                // Few distinct addresses, so sections overlap, nest and share ends; some at the top of
                // the address space, where an ELF64 section may run past 2^64.
                long base = random.nextInt(4) == 0 ? (is64 ? -0x300L : 0xFFFFFD00L) : 0x1000L;
                long address = base + 0x40L * random.nextInt(12);
                int size = 0x40 * random.nextInt(8);
                long[] flags = {0, TestElf.ALLOC, TestElf.EXEC, TestElf.EXEC};
                int type = random.nextInt(8) == 0 ? ElfFile.SHT_NOBITS : 1;
                secs.add(new TestElf.Sec(".s" + i, type, flags[random.nextInt(4)], address, new byte[size], 0, 0, 0));
                edges.add(address);
                edges.add(address + size);
            }
            ElfFile elf = ElfFile.parse(TestElf.build(is64, ElfFile.ET_EXEC, secs));
            for (long edge : edges) {
                for (long d = -2; d <= 2; d++) {
                    for (long length : new long[] {-1, 0, 1, 2, 0x3F, 0x40, 0x41, 0x100, 0x400, Long.MAX_VALUE}) {
                        long address = edge + d;
                        assertEquals(scan(elf, address, length), elf.sectionAt(address, length),
                                "round " + round + ": 0x" + Long.toHexString(address) + " length " + length);
                    }
                }
            }
        }
    }

    @Test
    void recordsAtOneSiteShareItsReplacementsInsteadOfCopyingThemEach() {
        // 4000 .parainstructions records of one site, and 4000 .altinstructions entries at it: each
        // record copied the site's 4000 entries (16 million references).
        long text = 0xffffffff81000000L;
        long data = 0xffffffff82000000L;
        long repl = 0xffffffff83000000L;
        long alt = 0xffffffff83100000L;
        long site = text + 0x10;
        long slot = data + 0x40;
        int n = 4000;
        byte[] code = new byte[0x40];
        code[0x10] = (byte) 0xFF;
        code[0x11] = 0x15;
        TestElf.put(code, 0x12, 4, slot - (site + 6));
        byte[] para = new byte[16 * n];
        byte[] table = new byte[12 * n];
        for (int r = 0; r < n; r++) {
            TestElf.put(para, 16 * r, 8, site);
            para[16 * r + 9] = 6;
            TestElf.put(para, 16 * r + 10, 2, 0x1FF);
            long entry = alt + 12L * r;
            TestElf.put(table, 12 * r, 4, site - entry);
            TestElf.put(table, 12 * r + 4, 4, repl - (entry + 4));
            TestElf.put(table, 12 * r + 8, 2, CpuFeatures.XENPV | AltInstructions.CPUID_NOT);
            table[12 * r + 10] = 6;
            table[12 * r + 11] = 1;
        }
        byte[] file = TestElf.build(true, ElfFile.ET_EXEC, List.of(
                TestElf.Sec.progbits(".text", TestElf.EXEC, text, code),
                TestElf.Sec.progbits(".data", TestElf.ALLOC, data, new byte[0x100]),
                TestElf.Sec.progbits(AltInstructions.REPLACEMENTS, TestElf.EXEC, repl, new byte[] {(byte) 0xFA}),
                TestElf.Sec.progbits(AltInstructions.SECTION, TestElf.ALLOC, alt, table),
                TestElf.Sec.progbits(ParaInstructions.SECTION, TestElf.ALLOC, alt + 0x100000, para)));
        long before = allocated();
        KernelImage k = KernelImage.read(file);
        long used = allocated() - before;
        assertEquals(n, k.sites().size());
        assertEquals(slot, k.pvOps().getAsLong());   // type 0: the slot is the table
        assertTrue(used < 32 * MB, "allocated " + used / MB + " MB to read " + n + " records of one site");
        // Listing them looks through the site's entries once, not once per record (16 million).
        List<ParavirtSite> listed = k.paravirtSites(CpuFeatures.defaults());
        assertTrue(k.entrySteps() <= n, k.entrySteps() + " entries looked at for " + n + " records");
        assertEquals(n, listed.size());
        assertTrue(listed.stream().allMatch(p -> p.outcome() == ParavirtSite.Outcome.REPLACEMENT
                && p.chosen().orElseThrow().equals(listed.get(0).candidates().get(n - 1))), "the last entry applies");
        List<ParavirtSite> xen = k.paravirtSites(CpuFeatures.of(CpuFeatures.XENPV));
        assertTrue(xen.stream().allMatch(p -> p.outcome() == ParavirtSite.Outcome.LEFT_TO_KERNEL), "NOT(XENPV)");
    }
}
