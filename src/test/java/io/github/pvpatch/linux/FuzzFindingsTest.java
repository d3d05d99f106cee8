package io.github.pvpatch.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.PatchSite;
import io.github.pvpatch.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the importer fuzzer (cli's ImporterFuzzTest) found, one input each, shrunk by hand: each
 * threw something other than {@link ImageFormatException}, or allocated without bound.
 */
class FuzzFindingsTest {
    private static void put(byte[] b, long at, int width, long v) {
        for (int i = 0; i < width; i++) {
            b[(int) at + i] = (byte) (v >>> (8 * i));
        }
    }

    /** {@return the file offset of section {@code index}'s header} */
    private static long header(ElfFile elf, int index) {
        return elf.is64() ? elf.readFileValue(0x28, 8) + 64L * index : elf.readFileValue(0x20, 4) + 40L * index;
    }

    /** Offsets in a section header: type, flags, addr, offset, size. */
    private static int[] fields(ElfFile elf) {
        return elf.is64() ? new int[] {4, 8, 16, 24, 32} : new int[] {4, 8, 12, 16, 20};
    }

    private static void set(byte[] b, ElfFile elf, int section, int field, long v) {
        int[] f = fields(elf);
        int width = elf.is64() && field > 0 ? 8 : 4;
        put(b, header(elf, section) + f[field], width, v);
    }

    @Test
    void anUnusedNullSectionHeaderHasNoBytesWhateverItsOffset() throws IOException {
        byte[] b = KernelImageTest.image("pvsample-x86_64");
        ElfFile clean = ElfFile.parse(b);
        long text = clean.section(".text").orElseThrow().address();
        // Entry 0 is SHT_NULL; its other fields are undefined: garbage offset and size, even flags.
        set(b, clean, 0, 1, ElfFile.SHF_ALLOC | ElfFile.SHF_EXECINSTR);
        set(b, clean, 0, 2, text);
        set(b, clean, 0, 3, 0xFFFFFFF0L);
        set(b, clean, 0, 4, 0x7FFFFFFFL);
        ElfFile elf = ElfFile.parse(b);
        assertTrue(!elf.sections().get(0).hasBytes());
        assertEquals(0, elf.bytes(elf.sections().get(0)).length);   // was an AIOOBE or a 2 GiB copy
        assertEquals(".text", elf.sectionAt(text, 1).orElseThrow().name());
        assertEquals(9, KernelImage.read(b).sites().size());
    }

    @Test
    void aStringTableWithoutBytesInTheFileIsRefused() throws IOException {
        byte[] b = KernelImageTest.image("pvsample-x86_64");
        ElfFile clean = ElfFile.parse(b);
        ElfFile.Section symtab = clean.sections().stream().filter(s -> s.type() == ElfFile.SHT_SYMTAB).findFirst()
                .orElseThrow();
        set(b, clean, symtab.link(), 0, ElfFile.SHT_NOBITS);
        set(b, clean, symtab.link(), 3, 0x7FFFFFF0L);
        ElfFile elf = ElfFile.parse(b);
        ImageFormatException e = assertThrows(ImageFormatException.class, elf::symbols);   // was an AIOOBE
        assertTrue(e.getMessage().contains("string table at file offset 0x7ffffff0"), e.getMessage());
        assertThrows(ImageFormatException.class, () -> KernelImage.read(b));
    }

    @Test
    void aModuleSectionAtTheTopOfTheAddressSpaceIsRefused() throws IOException {
        byte[] b = KernelImageTest.image("pvsample-x86_64-module.o");
        ElfFile clean = ElfFile.parse(b);
        set(b, clean, clean.section(".text").orElseThrow().index(), 2, 0xFFFFFFFFFFFFFFF1L);
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> KernelImage.read(b));
        assertTrue(e.getMessage().contains("is not a range of isa=x86-64"), e.getMessage());   // was an IAE
    }

    @Test
    void aModuleSiteInASectionWithoutBytesIsRefused() throws IOException {
        // Input 38913 (seed 17730877482598): the i386 module's .init.text turned SHT_NULL, its offset
        // 2 MB past the end of the file; a relocated record still named it, and the site's bytes
        // were copied from there (an AIOOBE). SHT_NOBITS is the same case.
        for (int type : new int[] {0, ElfFile.SHT_NOBITS}) {
            byte[] b = KernelImageTest.image("pvsample-i386-module.o");
            ElfFile clean = ElfFile.parse(b);
            int init = clean.section(".init.text").orElseThrow().index();
            set(b, clean, init, 0, type);
            set(b, clean, init, 3, 0x2000acL);
            ImageFormatException e = assertThrows(ImageFormatException.class, () -> KernelImage.read(b));
            assertTrue(e.getMessage().contains("puts a site at .init.text+0x") && e.getMessage().contains(
                    "a section of type " + type + " with no bytes in the file"), e.getMessage());
        }
    }

    @Test
    void sectionsWithSitesMayNotShareFileBytes() throws IOException {
        byte[] b = KernelImageTest.image("pvsample-i386-stripped");
        KernelImage k = KernelImage.read(b);
        ElfFile.Section text = k.elf().section(".text").orElseThrow();
        ElfFile.Section init = k.elf().section(".init.text").orElseThrow();
        // Move .init.text's bytes onto .text's so that its first site reads the bytes of a .text
        // site, and give its record that site's type (i386 calls name their slot absolutely, so it
        // still checks): .text's patch then changes the bytes .init.text's plan was made from.
        List<PatchSite> sites = k.sites();
        int a = -1;
        for (int i = 0; i < sites.size() && a < 0; i++) {
            a = k.sectionOf(i).equals(init) ? i : -1;
        }
        assertTrue(a >= 0 && k.sectionOf(0).equals(text) && sites.get(0).length() == sites.get(a).length());
        ElfFile.Section para = k.elf().section(ParaInstructions.SECTION).orElseThrow();
        for (int j = a; j < sites.size(); j++) {
            long lands = sites.get(0).address() + (sites.get(j).address() - sites.get(a).address());
            PatchSite under = sites.stream().filter(t -> t.address() == lands).findFirst().orElseThrow();
            put(b, para.offset() + 8L * j + 4, 1, under.type());
        }
        set(b, k.elf(), init.index(), 3, text.offset() + (sites.get(0).address() - text.address())
                - (sites.get(a).address() - init.address()));
        KernelImage overlapping = KernelImage.read(b);
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> overlapping.prelink(Prelink.Options.defaults()));   // was an IllegalStateException
        assertTrue(e.getMessage().contains("overlap in the file"), e.getMessage());
    }

    @Test
    void anXzHeaderAskingForAHugeDictionaryIsRefusedBeforeAllocating() throws IOException {
        byte[] elf = KernelImageTest.image("pvsample-i386-stripped");
        ByteArrayOutputStream xz = new ByteArrayOutputStream();
        org.tukaani.xz.LZMA2Options lzma = new org.tukaani.xz.LZMA2Options(0);
        lzma.setDictSize(64 << 10);
        try (org.tukaani.xz.XZOutputStream out = new org.tukaani.xz.XZOutputStream(xz,
                new org.tukaani.xz.FilterOptions[] {new org.tukaani.xz.X86Options(), lzma},
                org.tukaani.xz.XZ.CHECK_NONE)) {
            out.write(elf);
        }
        byte[] payload = xz.toByteArray();
        // Stream header (12 bytes), block header: size, flags, x86 BCJ (04 00), LZMA2 (21 01 <dict>).
        assertEquals(0x21, payload[12 + 4]);
        payload[12 + 6] = 37;   // 1.5 GiB, the most xz-java takes; the block header's CRC32 covers it: recompute
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        int headerSize = ((payload[12] & 0xFF) + 1) * 4;
        crc.update(payload, 12, headerSize - 4);
        put(payload, 12 + headerSize - 4, 4, crc.getValue());
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> KernelPayload.extract(Images.bzImage(payload)));
        assertTrue(e.getMessage().contains("corrupt kernel payload"), e.getMessage());
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    // What the fuzz found once it also mutated .altinstructions images and zstd payloads.

    @Test
    void aReplacementThatIsNoCodeIsRefusedNamingItsEntry() {
        for (io.github.pvpatch.arch.Isa isa : io.github.pvpatch.arch.Isa.values()) {
            AltImage a = new AltImage(isa, true);
            a.replacement(a.site(AltImage.SLOT_NATIVE), CpuFeatures.XENPV, true, "f2");   // a prefix, no instruction
            KernelImage k = KernelImage.read(a.build());
            ImageFormatException e = assertThrows(ImageFormatException.class,
                    () -> k.prelink(Prelink.Options.defaults()));   // was IllegalArgumentException
            assertTrue(e.getMessage().startsWith(".altinstructions entry 1 at 0x") && e.getMessage().contains(
                    "is not code"), e.getMessage());
        }
    }

    @Test
    void aDirectCallEntryUnderAnotherConditionThanAlwaysIsRefused() {
        AltImage a = new AltImage(io.github.pvpatch.arch.Isa.X86_64, true);
        a.site(AltImage.SLOT_NATIVE);
        byte[] file = a.build();
        put(file, AltImage.entryOffset(file, 0) + 8, 2, CpuFeatures.XENPV);
        // Prelinked, its NOT bit would make the boot apply it, and alt_replace_call() BUG()s.
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> KernelImage.read(file));
        assertTrue(e.getMessage().contains("entry 0") && e.getMessage().contains("only writes ALWAYS"),
                e.getMessage());
    }

    @Test
    void aZstdTrailerClaimingFarMoreThanTheFrameCanHoldIsRefusedBeforeAllocating() {
        byte[] frame = com.github.luben.zstd.Zstd.compress(new byte[1000]);
        byte[] claim = java.util.Arrays.copyOf(frame, frame.length + 4);
        put(claim, frame.length, 4, 300L << 20);   // 300 MB, under the 512 MB cap: it was allocated
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> KernelPayload.decompress(claim));
        assertTrue(e.getMessage().contains("more than 64 times its"), e.getMessage());
    }

    @Test
    void sitesOfDifferentPlansThatOverlapAreRefused() {
        // The fuzz's input: the 6.1-style x86-64 sample with one .parainstructions length set to 0x9b,
        // so a slot's site runs over a replacement's (or the other way).
        byte[] file = AltImage.samples().stream().filter(x -> x.name().equals("alt-6.1-x86_64")).findFirst()
                .orElseThrow().bytes().clone();
        file[0x399] = (byte) 0x9b;
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> KernelImage.read(file).prelink(Prelink.Options.defaults()));   // was IllegalStateException
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }

    // A section header's size is only a field: .parainstructions of type SHT_NULL claiming 2 GiB
    // (seed 10328817023055, inputs 30729 and 56828) had an ArrayList sized from it, 1-2 GB per read.

    /** Bytes the current thread has allocated so far (reflectively: the module does not read jdk.management). */
    static long allocated() {
        try {
            Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                    .invoke(null);
            return (long) Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes")
                    .invoke(bean);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("allocation is not measurable here", e);
        }
    }

    /** {@return the refusal of {@code read}, checked to allocate under 16 MB on the way} */
    private static ImageFormatException refusedCheaply(org.junit.jupiter.api.function.Executable read) {
        long before = allocated();
        ImageFormatException e = assertThrows(ImageFormatException.class, read);
        long used = allocated() - before;
        assertTrue(used < 16L << 20, "allocated " + (used >> 20) + " MB to refuse: " + e.getMessage());
        return e;
    }

    @Test
    void aParainstructionsHeaderOfTypeNullClaimingTwoGigabytesIsRefusedBeforeAllocating() throws IOException {
        // Input 30729: i386, .parainstructions type 0 and size 0x80000000 (8-byte records: 256 Mi of them).
        byte[] b = KernelImageTest.image("pvsample-i386-stripped");
        ElfFile clean = ElfFile.parse(b);
        int para = clean.section(ParaInstructions.SECTION).orElseThrow().index();
        set(b, clean, para, 0, 0);
        set(b, clean, para, 4, 0x80000000L);
        ElfFile elf = ElfFile.parse(b);   // an SHT_NULL header's fields are not checked: it is no error yet
        String want = "section=.parainstructions index=" + para + " type=SHT_NULL size=0x80000000: a table must have"
                + " its bytes in the file";
        for (org.junit.jupiter.api.function.Executable read : List.<org.junit.jupiter.api.function.Executable>of(
                () -> KernelImage.read(b), () -> ParaInstructions.read(elf),
                () -> ParaInstructions.read(elf, ParaLayout.ABSOLUTE_32))) {
            ImageFormatException e = refusedCheaply(read);
            assertTrue(e.getMessage().startsWith(want) && e.getMessage().contains("(file=0x" + Integer.toHexString(
                    b.length) + " bytes)"), e.getMessage());
        }
    }

    @Test
    void aParainstructionsHeaderOfTypeNobitsClaimingEightGigabytesIsRefusedBeforeAllocating() throws IOException {
        // Input 56828: x86-64, .parainstructions type 0 and a size of 8589934736 (0x200000090).
        byte[] b = KernelImageTest.image("pvsample-x86_64-stripped");
        ElfFile clean = ElfFile.parse(b);
        int para = clean.section(ParaInstructions.SECTION).orElseThrow().index();
        for (int type : new int[] {0, ElfFile.SHT_NOBITS}) {
            set(b, clean, para, 0, type);
            set(b, clean, para, 4, 8589934736L);
            ImageFormatException e = refusedCheaply(() -> KernelImage.read(b));
            assertTrue(e.getMessage().startsWith("section=.parainstructions index=" + para + " type="
                    + (type == 0 ? "SHT_NULL" : "SHT_NOBITS") + " size=0x200000090: "), e.getMessage());
        }
    }

    @Test
    void anEmptyParainstructionsOfTypeNobitsIsNoSitesNotAnError() throws IOException {
        // The rule is about claimed bytes, not the type: a NOBITS table of size 0 holds no records.
        byte[] b = KernelImageTest.image("pvsample-x86_64-stripped");
        ElfFile clean = ElfFile.parse(b);
        int para = clean.section(ParaInstructions.SECTION).orElseThrow().index();
        set(b, clean, para, 0, ElfFile.SHT_NOBITS);
        set(b, clean, para, 4, 0);
        assertEquals(0, ParaInstructions.read(ElfFile.parse(b)).sites().size());
    }

    @Test
    void anAltinstructionsHeaderWithoutBytesClaimingContentsIsRefused() {
        for (io.github.pvpatch.arch.Isa isa : io.github.pvpatch.arch.Isa.values()) {
            AltImage a = new AltImage(isa, true);
            a.site(AltImage.SLOT_NATIVE);
            byte[] b = a.build();
            ElfFile clean = ElfFile.parse(b);
            int alt = clean.section(AltInstructions.SECTION).orElseThrow().index();
            set(b, clean, alt, 0, ElfFile.SHT_NOBITS);
            set(b, clean, alt, 4, 0xFFFFFFF0L);   // was read as an empty table, its sites silently lost
            ImageFormatException e = refusedCheaply(() -> KernelImage.read(b));
            assertTrue(e.getMessage().startsWith("section=.altinstructions index=" + alt
                    + " type=SHT_NOBITS size=0xfffffff0: a table must have its bytes in the file"), e.getMessage());
        }
    }
}
