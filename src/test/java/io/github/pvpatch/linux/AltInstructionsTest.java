package io.github.pvpatch.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.Strategy;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Paravirt sites in {@code .altinstructions}, on synthetic images built in {@link AltImage}: both
 * entry layouts (the 6.8+ 14-byte one with its direct-call entries, the 6.1 12-byte one joined to
 * {@code .parainstructions}), both ISAs, every flag, the profile's choice, the prelink's edits,
 * and the bad-input rules.
 */
class AltInstructionsTest {
    static List<Arguments> kinds() {
        return List.of(Arguments.of(Isa.X86_64, true), Arguments.of(Isa.X86_32, true), Arguments.of(Isa.X86_64, false),
                Arguments.of(Isa.X86_32, false));
    }

    /** Four sites: a replaced cli, a NOP slot, a replaced unlock, and one with two replacements in order. */
    static AltImage fourSites(Isa isa, boolean direct) {
        AltImage a = new AltImage(isa, direct);
        int cli = a.site(AltImage.SLOT_NATIVE);
        a.replacement(cli, CpuFeatures.XENPV, true, "fa");
        a.site(AltImage.SLOT_NOP);
        int unlock = a.site(AltImage.SLOT_FUNCTION);
        a.replacement(unlock, CpuFeatures.PVUNLOCK, true, isa == Isa.X86_64 ? "c6 07 00" : "c6 00 00");
        int twice = a.site(AltImage.SLOT_FUNCTION + 1);
        a.replacement(twice, CpuFeatures.XENPV, true, "fa");
        a.replacement(twice, CpuFeatures.PVUNLOCK, false, "fb");   // applied when PVUNLOCK is set, after the first
        return a;
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void sitesCandidatesAndTheProfilesChoice(Isa isa, boolean direct) {
        AltImage a = fourSites(isa, direct);
        byte[] file = a.build();
        KernelImage k = KernelImage.read(file);
        AltInstructions t = k.altInstructions().orElseThrow();
        assertEquals(direct ? AltLayout.FT_FLAGS_14 : AltLayout.CPUID_12, t.layout());
        assertEquals(direct ? 8 : 4, t.entries().size());
        assertEquals(direct ? 4 : 0, t.directCallSites().size());
        assertEquals(direct, k.paraInstructions().isEmpty());
        assertEquals(a.pvOps, k.pvOps().getAsLong());
        assertEquals("exported symbol pv_ops (__ksymtab)", k.pvOpsSource());
        assertEquals(List.of(0, 1, 2, 3), k.sites().stream().map(s -> s.type()).toList());

        List<ParavirtSite> bare = k.paravirtSites(CpuFeatures.defaults());
        assertEquals(4, bare.size());
        ParavirtSite.Source source = direct ? ParavirtSite.Source.ALTINSTRUCTIONS : ParavirtSite.Source.PARAINSTRUCTIONS;
        assertTrue(bare.stream().allMatch(p -> p.source() == source));
        assertEquals(List.of(ParavirtSite.Outcome.REPLACEMENT, ParavirtSite.Outcome.SLOT,
                ParavirtSite.Outcome.REPLACEMENT, ParavirtSite.Outcome.REPLACEMENT),
                bare.stream().map(ParavirtSite::outcome).toList());
        assertEquals("ALT_NOT(XENPV)", bare.get(0).chosen().orElseThrow().condition());
        assertEquals(2, bare.get(3).candidates().size());
        assertEquals("ALT_NOT(XENPV)", bare.get(3).chosen().orElseThrow().condition());
        assertEquals(Optional.empty(), bare.get(1).chosen());
        assertEquals(direct, bare.get(0).directCall().isPresent());
        assertEquals(a.slotAddress(2), bare.get(2).slotAddress().getAsLong());
        // A KVM guest with PV spinlocks: the unlock is the kernel's to make; the last applying entry wins.
        List<ParavirtSite> kvm = k.paravirtSites(CpuFeatures.of(CpuFeatures.PVUNLOCK));
        assertEquals(ParavirtSite.Outcome.REPLACEMENT, kvm.get(0).outcome());
        assertEquals(ParavirtSite.Outcome.LEFT_TO_KERNEL, kvm.get(1).outcome());
        assertEquals(ParavirtSite.Outcome.LEFT_TO_KERNEL, kvm.get(2).outcome());
        assertEquals("PVUNLOCK", kvm.get(3).chosen().orElseThrow().condition());
        // Xen PV: no ALT_NOT(XENPV) applies.
        List<ParavirtSite> xen = k.paravirtSites(CpuFeatures.of(CpuFeatures.XENPV));
        assertEquals(ParavirtSite.Outcome.LEFT_TO_KERNEL, xen.get(0).outcome());
        assertEquals(ParavirtSite.Outcome.REPLACEMENT, xen.get(2).outcome());
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void prelinkWritesWhatTheKernelWouldAndTurnsOffOnlyTheDirectCallEntries(Isa isa, boolean direct) {
        AltImage a = fourSites(isa, direct);
        byte[] file = a.build();
        KernelImage k = KernelImage.read(file);
        Prelink.Result r = k.prelink(Prelink.Options.defaults().withVerify(true));
        assertEquals(4, r.verified());
        assertEquals(Map.of(ParavirtSite.Outcome.REPLACEMENT, 3, ParavirtSite.Outcome.SLOT, 1), r.outcomes());
        assertEquals(Map.of(Strategy.INLINE_NATIVE, 3, Strategy.NOP_PAD, 1), r.countByStrategy());
        byte[] image = r.image();
        ElfFile out = ElfFile.parse(image);
        String unlock = isa == Isa.X86_64 ? "c60700" : "c60000";
        for (int i = 0; i < 4; i++) {
            byte[] site = out.read(a.siteAddress(i), 6);
            String hex = HexFormat.of().formatHex(site);
            String want = List.of("fa", "", unlock, "fa").get(i);
            assertTrue(hex.startsWith(want), i + ": " + hex);
            assertFalse(hex.startsWith("e8"), "never a call where the kernel inlines: " + hex);
        }
        // Outside the sites: exactly ALT_FLAG_NOT in each direct-call entry (none for a 6.1 image).
        assertEquals(direct ? 4 : 0, r.edits().size());
        int changedOutside = 0;
        for (int i = 0; i < file.length; i++) {
            if (file[i] != image[i] && !inSite(a, k, i)) {
                changedOutside++;
                final int at = i;
                Prelink.Edit e = r.edits().stream().filter(x -> x.fileOffset() == at).findFirst().orElseThrow(
                        () -> new AssertionError("undocumented change at 0x" + Integer.toHexString(at)));
                assertEquals(file[i] & 0xFF, e.before());
                assertEquals(image[i] & 0xFF, e.after());
                assertEquals(1, Integer.bitCount(e.before() ^ e.after()), "one bit");
            }
        }
        assertEquals(r.edits().size(), changedOutside);
        // The kernel now skips those entries on every machine; the others are untouched.
        AltInstructions after = AltInstructions.read(out).orElseThrow();
        for (AltEntry e : after.entries()) {
            if (e.directCall()) {
                assertTrue(e.isPrelinkedMark(), e.toString());
                assertFalse(e.appliesOn(CpuFeatures.defaults()));
                assertFalse(e.appliesOn(CpuFeatures.of(CpuFeatures.XENPV, CpuFeatures.PVUNLOCK)));
            } else {
                assertEquals(k.altInstructions().orElseThrow().entries().get(e.index()), e);
            }
        }
        // pvpatch's own output: every site is prelinked, and prelinking again changes nothing.
        KernelImage again = KernelImage.read(r.image());
        assertTrue(again.paravirtSites(CpuFeatures.defaults()).stream()
                .allMatch(p -> p.outcome() == ParavirtSite.Outcome.PRELINKED));
        assertEquals(4, again.paravirtSites(CpuFeatures.defaults()).size());
        assertArrayEquals(r.image(), again.prelink(Prelink.Options.defaults()).image());
    }

    private static boolean inSite(AltImage a, KernelImage k, int fileOffset) {
        ElfFile.Section text = k.elf().section(".text").orElseThrow();
        for (int i = 0; i < a.siteSlots.size(); i++) {
            long at = text.offset() + a.siteAddress(i) - text.address();
            if (fileOffset >= at && fileOffset < at + 6) {
                return true;
            }
        }
        return false;
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void aParavirtualizedProfileLeavesTheSitesNoReplacementCoversToTheKernel(Isa isa, boolean direct) {
        AltImage a = fourSites(isa, direct);
        byte[] file = a.build();
        KernelImage k = KernelImage.read(file);
        Prelink.Result r = k.prelink(Prelink.Options.defaults().withFeatures(CpuFeatures.parse("PVUNLOCK")));
        assertEquals(Map.of(ParavirtSite.Outcome.REPLACEMENT, 2, ParavirtSite.Outcome.LEFT_TO_KERNEL, 2), r.outcomes());
        ElfFile out = ElfFile.parse(r.image());
        for (int i : new int[] {1, 2}) {
            assertArrayEquals(k.elf().read(a.siteAddress(i), 6), out.read(a.siteAddress(i), 6), "site " + i);
        }
        assertEquals("fb", HexFormat.of().formatHex(out.read(a.siteAddress(3), 1)));
        // Their direct-call entries stay on, so the kernel patches them at boot.
        assertEquals(direct ? 2 : 0, r.edits().size());
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void theLayoutIsFoundFromTheTableEvenWhenBothSizesDivideIt(Isa isa, boolean direct) {
        // 84 bytes: 6 entries of 14, or 7 of 12.
        AltImage a = new AltImage(isa, direct);
        int entries = direct ? 6 : 7;
        int sites = direct ? 3 : entries;
        for (int i = 0; i < sites; i++) {
            a.site(i % 4);
        }
        for (int i = 0; a.entries.size() < entries; i++) {
            a.replacement(i, CpuFeatures.XENPV, true, "fa");
        }
        KernelImage k = KernelImage.read(a.build());
        assertEquals(84, k.altInstructions().orElseThrow().section().size());
        assertEquals(direct ? AltLayout.FT_FLAGS_14 : AltLayout.CPUID_12, k.altInstructions().orElseThrow().layout());
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void pvOpsWithoutSymbolsOrExports(Isa isa, boolean direct) {
        AltImage a = fourSites(isa, direct);
        a.ksymtab = false;
        KernelImage k = KernelImage.read(a.build());
        assertEquals(a.pvOps, k.pvOps().getAsLong());   // the lowest slot read is slot 0 here
        assertTrue(k.pvOpsSource().startsWith(direct ? "the lowest slot" : "from the sites' calls"), k.pvOpsSource());
        KernelImage given = KernelImage.read(a.build(), KernelImage.ReadOptions.defaults().withPvOps(a.pvOps - 16));
        assertEquals("given", given.pvOpsSource());
        // A 6.8+ site's slot number counts from pv_ops; a .parainstructions record says its own.
        int shift = direct ? 16 / isa.pointerSize() : 0;
        assertEquals(List.of(shift, shift + 1, shift + 2, shift + 3), given.sites().stream().map(s -> s.type()).toList());
        assertEquals(direct ? a.slotAddress(0) : a.pvOps - 16, given.paravirtSites(CpuFeatures.defaults()).get(0)
                .slotAddress().getAsLong());
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void readingSitesNeedsNoNativeShimAndClassifiesSlotsOnlyWhenAsked(Isa isa, boolean direct) throws Exception {
        // The library's classes without META-INF/native: the Zydis shim cannot load.
        java.nio.file.Path copy = java.nio.file.Files.createTempDirectory("pvpatch-noshim");
        java.nio.file.Path classes = java.nio.file.Path.of("target/classes");
        try (java.util.stream.Stream<java.nio.file.Path> all = java.nio.file.Files.walk(classes.resolve("io"))) {
            for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) all::iterator) {
                java.nio.file.Path to = copy.resolve(classes.relativize(p).toString());
                if (java.nio.file.Files.isDirectory(p)) {
                    java.nio.file.Files.createDirectories(to);
                } else {
                    java.nio.file.Files.copy(p, to);
                }
            }
        }
        byte[] file = fourSites(isa, direct).build();
        try (java.net.URLClassLoader bare = new java.net.URLClassLoader(new java.net.URL[] {copy.toUri().toURL()},
                null)) {
            Class<?> c = Class.forName(KernelImage.class.getName(), true, bare);
            Object k = c.getMethod("read", byte[].class).invoke(null, (Object) file);
            assertEquals(4, ((List<?>) c.getMethod("sites").invoke(k)).size());
            Class<?> features = Class.forName(CpuFeatures.class.getName(), true, bare);
            Object defaults = features.getMethod("defaults").invoke(null);
            assertEquals(4, ((List<?>) c.getMethod("paravirtSites", features).invoke(k, defaults)).size());
            java.lang.reflect.InvocationTargetException e = assertThrows(
                    java.lang.reflect.InvocationTargetException.class, () -> c.getMethod("slots").invoke(k));
            assertEquals("ZydisUnavailableException", e.getCause().getClass().getSimpleName(), e.getCause().toString());
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void entriesThatRewriteMoreOrLessThanTheSiteAreLeftToTheKernel(Isa isa, boolean direct) {
        AltImage a = new AltImage(isa, direct);
        int s = a.site(AltImage.SLOT_FUNCTION);
        a.entry(s, CpuFeatures.XENPV, AltInstructions.ALT_FLAG_NOT, 3, "fa");
        KernelImage k = KernelImage.read(a.build());
        assertEquals(ParavirtSite.Outcome.LEFT_TO_KERNEL, k.paravirtSites(CpuFeatures.defaults()).get(0).outcome());
        // Without it applying, the site is the slot's again.
        AltImage b = new AltImage(isa, direct);
        b.entry(b.site(AltImage.SLOT_FUNCTION), CpuFeatures.XENPV, 0, 3, "fa");
        assertEquals(ParavirtSite.Outcome.SLOT, KernelImage.read(b.build()).paravirtSites(CpuFeatures.defaults()).get(0)
                .outcome());
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void theLastEntryThatAppliesDecides(Isa isa, boolean direct) {
        // A whole-site replacement after a partial one is applied over it: the site is replaced.
        AltImage a = new AltImage(isa, direct);
        int s = a.site(AltImage.SLOT_FUNCTION);
        a.entry(s, CpuFeatures.XENPV, AltInstructions.ALT_FLAG_NOT, 3, "fa");
        a.replacement(s, CpuFeatures.XENPV, true, "fb");
        a.replacement(s, CpuFeatures.PVUNLOCK, false, "90");   // does not apply on bare metal
        ParavirtSite first = KernelImage.read(a.build()).paravirtSites(CpuFeatures.defaults()).get(0);
        assertEquals(ParavirtSite.Outcome.REPLACEMENT, first.outcome());
        assertEquals(first.candidates().get(1), first.chosen().orElseThrow());
        // A partial one after a whole one rewrites part of the replaced site: left to the kernel.
        AltImage b = new AltImage(isa, direct);
        int t = b.site(AltImage.SLOT_FUNCTION);
        b.replacement(t, CpuFeatures.XENPV, true, "fb");
        b.entry(t, CpuFeatures.XENPV, AltInstructions.ALT_FLAG_NOT, 3, "fa");
        ParavirtSite second = KernelImage.read(b.build()).paravirtSites(CpuFeatures.defaults()).get(0);
        assertEquals(ParavirtSite.Outcome.LEFT_TO_KERNEL, second.outcome());
        assertEquals(Optional.empty(), second.chosen());
    }

    // ---- bad input: an ImageFormatException naming the entry's index and address, and nothing written ----

    @ParameterizedTest
    @MethodSource("kinds")
    void aTableNoLayoutParsesNamesTheEntry(Isa isa, boolean direct) {
        AltImage a = fourSites(isa, direct);
        byte[] file = a.build();
        // Aim the site offset of entry 1 into .data: no code there.
        int at = (int) AltImage.entryOffset(file, 1);
        TestElf.put(file, at, 4, TestElf.get(file, at, 4) + 0x01000000L);
        String m = refused(file);
        assertTrue(m.contains("entry 1 at 0x" + Long.toHexString(a.alt + a.entrySize())), m);
        assertTrue(m.contains("outside every code section"), m);
        // A first entry that names no code in either layout: beside .parainstructions, an older
        // kernel's table; alone, a table that does not parse.
        byte[] first = a.build();
        int at0 = (int) AltImage.entryOffset(first, 0);
        TestElf.put(first, at0, 4, TestElf.get(first, at0, 4) + 0x01000000L);
        if (direct) {
            assertTrue(refused(first).contains("entry 0 at 0x" + Long.toHexString(a.alt)), refused(first));
        } else {
            assertTrue(KernelImage.read(first).tables().contains("older layout, not read"));
        }
        // A table of a size no layout divides: its last, cut entry is named.
        AltImage b = fourSites(isa, direct);
        b.entry(0, CpuFeatures.XENPV, AltInstructions.ALT_FLAG_NOT, -1, "fa");
        byte[] whole = b.build();
        ElfFile elf = ElfFile.parse(whole);
        ElfFile.Section table = elf.section(AltInstructions.SECTION).orElseThrow();
        byte[] cut = shrink(whole, table, 5);
        if (!direct) {
            // Beside .parainstructions, a size neither layout divides is an older kernel's table
            // (13-byte entries, or absolute pointers before 2.6.38), with no paravirt replacements.
            KernelImage old = KernelImage.read(cut);
            assertTrue(old.altInstructions().isEmpty());
            assertTrue(old.tables().contains("older layout, not read"), old.tables());
            assertTrue(old.paravirtSites(CpuFeatures.defaults()).stream().allMatch(p -> p.candidates().isEmpty()));
            assertThrows(ImageFormatException.class, () -> AltInstructions.read(ElfFile.parse(cut)));
            return;
        }
        String m2 = refused(cut);
        long s = table.size() - 5;
        assertTrue(m2.contains("does not parse"), m2);
        assertTrue(m2.contains("entry " + s / 14 + " at 0x" + Long.toHexString(a.alt + s / 14 * 14)), m2);
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void aReplacementOutOfItsSectionNamesTheEntry(Isa isa, boolean direct) {
        AltImage a = fourSites(isa, direct);
        byte[] file = a.build();
        int index = direct ? 1 : 0;   // the cli replacement
        int at = (int) AltImage.entryOffset(file, index) + 4;
        TestElf.put(file, at, 4, TestElf.get(file, at, 4) + 0x1000);
        String m = refused(file);
        assertTrue(m.contains("entry " + index + " at 0x" + Long.toHexString(a.alt + (long) index * a.entrySize())), m);
        assertTrue(m.contains("outside .altinstr_replacement"), m);
        // Longer than its site.
        AltImage b = new AltImage(isa, direct);
        b.replacement(b.site(0), CpuFeatures.XENPV, true, "90 90 90 90 90 90 90");
        String m2 = refused(b.build());
        assertTrue(m2.contains("7-byte replacement for its 6-byte site"), m2);
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void twoDirectCallEntriesForOneSiteAreRefused(Isa isa, boolean direct) {
        if (!direct) {
            return;   // the 12-byte layout has no direct-call flag
        }
        AltImage a = fourSites(isa, true);
        a.entry(2, CpuFeatures.ALWAYS, AltInstructions.ALT_FLAG_DIRECT_CALL, -1, "e8 00 00 00 00");
        String m = refused(a.build());
        int second = a.entries.size() - 1;
        assertTrue(m.contains("entry " + second + " at 0x" + Long.toHexString(a.alt + 14L * second)), m);
        assertTrue(m.contains("second direct-call entry for the site at 0x" + Long.toHexString(a.siteAddress(2))), m);
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void aDirectCallSiteThatIsNotAnIndirectCallIsRefused(Isa isa, boolean direct) {
        if (!direct) {
            return;
        }
        AltImage a = fourSites(isa, true);
        byte[] file = a.build();
        ElfFile.Section text = ElfFile.parse(file).section(".text").orElseThrow();
        file[(int) (text.offset() + a.siteAddress(1) - text.address())] = (byte) 0x90;
        String m = refused(file);
        assertTrue(m.contains("entry 2 at 0x" + Long.toHexString(a.alt + 28) + ": the direct-call site at 0x"
                + Long.toHexString(a.siteAddress(1))), m);
        assertTrue(m.contains("BUG()"), m);
    }

    private static String refused(byte[] file) {
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> KernelImage.read(file));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    /** The file with section {@code s} made {@code by} bytes smaller (its header only). */
    private static byte[] shrink(byte[] file, ElfFile.Section s, int by) {
        byte[] out = file.clone();
        ElfFile elf = ElfFile.parse(file);
        boolean is64 = elf.is64();
        int shoff = (int) TestElf.get(file, is64 ? 40 : 32, is64 ? 8 : 4);
        int h = shoff + (is64 ? 64 : 40) * s.index();
        TestElf.put(out, h + (is64 ? 32 : 20), is64 ? 8 : 4, s.size() - by);
        return out;
    }

    /** A 6.8+ module: two direct-call sites, one with a replacement; relocations name sites, replacements and slots. */
    static byte[] module() {
        byte[] text = new byte[0x40];
        Arrays.fill(text, (byte) 0xCC);
        byte[] repl = HexFormat.of().parseHex("e800000000" + "e800000000" + "fa");
        int[][] entries = {{0x10, 0, CpuFeatures.ALWAYS | 2 << 16, 5}, {0x10, 10, CpuFeatures.XENPV | 1 << 16, 1},
            {0x20, 5, CpuFeatures.ALWAYS | 2 << 16, 5}};
        byte[] table = new byte[14 * entries.length];
        java.io.ByteArrayOutputStream rela = new java.io.ByteArrayOutputStream();
        for (int e = 0; e < entries.length; e++) {
            TestElf.put(table, 14 * e + 8, 4, entries[e][2]);
            table[14 * e + 12] = 6;
            table[14 * e + 13] = (byte) entries[e][3];
            rela.writeBytes(rela(14 * e, 1, 2, entries[e][0]));          // .text + site
            rela.writeBytes(rela(14 * e + 4, 2, 2, entries[e][1]));      // .altinstr_replacement + offset
        }
        java.io.ByteArrayOutputStream relaText = new java.io.ByteArrayOutputStream();
        int[][] sites = {{0x10, 3}, {0x20, 9}};
        for (int[] s : sites) {
            text[s[0]] = (byte) 0xFF;
            text[s[0] + 1] = 0x15;
            relaText.writeBytes(rela(s[0] + 2, 3, 2, 8L * s[1] - 4));   // pv_ops + 8 * slot - 4
        }
        byte[] symtab = TestElf.moduleSymtab();
        byte[] strtab = "\0pv_ops\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        return TestElf.build(true, ElfFile.ET_REL, List.of(
                TestElf.Sec.progbits(".text", TestElf.EXEC, 0, text),
                TestElf.Sec.progbits(AltInstructions.REPLACEMENTS, TestElf.EXEC, 0, repl),
                TestElf.Sec.progbits(AltInstructions.SECTION, TestElf.ALLOC, 0, table),
                new TestElf.Sec(".rela.altinstructions", ElfFile.SHT_RELA, 0, 0, rela.toByteArray(), 6, 3, 24),
                new TestElf.Sec(".rela.text", ElfFile.SHT_RELA, 0, 0, relaText.toByteArray(), 6, 1, 24),
                new TestElf.Sec(".symtab", ElfFile.SHT_SYMTAB, 0, 0, symtab, 7, 3, 24),
                new TestElf.Sec(".strtab", 3, 0, 0, strtab, 0, 0, 0)));
    }

    private static byte[] rela(long offset, int symbol, int type, long addend) {
        byte[] r = new byte[24];
        TestElf.put(r, 0, 8, offset);
        TestElf.put(r, 8, 8, (long) symbol << 32 | type);
        TestElf.put(r, 16, 8, addend);
        return r;
    }

    @org.junit.jupiter.api.Test
    void aModulesDirectCallSitesAndSlotsComeFromItsRelocations() {
        KernelImage m = KernelImage.read(module());
        assertTrue(m.elf().isRelocatable());
        assertEquals(AltLayout.FT_FLAGS_14, m.altInstructions().orElseThrow().layout());
        List<ParavirtSite> sites = m.paravirtSites(CpuFeatures.defaults());
        assertEquals(List.of(0x10L, 0x20L), sites.stream().map(ParavirtSite::address).toList());
        assertEquals(List.of(3, 9), sites.stream().map(p -> p.slot().getAsInt()).toList());
        assertEquals(java.util.OptionalInt.of(9), m.records().get(1).relocatedSlot());
        assertEquals("ALT_NOT(XENPV)", sites.get(0).chosen().orElseThrow().condition());
        assertEquals(AltInstructions.REPLACEMENTS, m.elf().sections().get(sites.get(0).chosen().orElseThrow()
                .replacementSection()).name());
        assertEquals(10, sites.get(0).chosen().orElseThrow().replacementOffset());
        assertEquals(ParavirtSite.Outcome.SLOT, sites.get(1).outcome());
        assertTrue(assertThrows(ImageFormatException.class, () -> m.prelink(Prelink.Options.defaults())).getMessage()
                .contains("a module has no pv_ops"));
        // A relocation at no offset field of a 14-byte entry: the table does not parse.
        byte[] bad = module();
        ElfFile elf = ElfFile.parse(bad);
        ElfFile.Section rela = elf.section(".rela.altinstructions").orElseThrow();
        TestElf.put(bad, (int) rela.offset() + 24, 8, 6);
        assertTrue(refused(bad).contains("no offset field"), refused(bad));
    }
}
