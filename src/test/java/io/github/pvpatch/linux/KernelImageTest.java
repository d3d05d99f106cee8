package io.github.pvpatch.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.SiteOutcome;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.Violation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Synthetic images the build assembles from src/main/asm/pvsample.S: both ELF classes, all three
 * record layouts, with and without symbols, and relocatable modules.
 */
class KernelImageTest {
    static byte[] image(String name) throws IOException {
        return Files.readAllBytes(Path.of("target/test-images", name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pvsample-x86_64", "pvsample-x86_64-stripped", "pvsample-x86_64-relative",
        "pvsample-i386", "pvsample-i386-stripped", "pvsample-i386-relative"})
    void everyVariantReadsClassifiesAndPrelinksVerified(String name) throws IOException {
        byte[] file = image(name);
        KernelImage k = KernelImage.read(file);
        Isa isa = name.contains("x86_64") ? Isa.X86_64 : Isa.X86_32;
        assertEquals(isa, k.isa());
        assertEquals(9, k.sites().size());
        ParaLayout want = name.endsWith("relative") ? ParaLayout.RELATIVE_6
                : isa == Isa.X86_64 ? ParaLayout.ABSOLUTE_64 : ParaLayout.ABSOLUTE_32;
        assertEquals(want, k.paraInstructions().orElseThrow().layout());
        assertEquals(name.endsWith("stripped") || name.endsWith("relative") ? "from the sites' calls (9 of 9 agree)"
                : "symbol pv_ops", k.pvOpsSource());
        Map<Integer, SlotTarget.Kind> kinds = new java.util.TreeMap<>();
        k.slots().forEach(s -> kinds.put(s.type(), s.kind()));
        assertEquals(SlotTarget.Kind.NATIVE, kinds.get(0));                        // cli; ret
        assertEquals(SlotTarget.Kind.NOP, kinds.get(5));                           // ret
        assertEquals(SlotTarget.Kind.FUNCTION, kinds.get(6));                      // branches
        assertEquals(SlotTarget.Kind.CALLEE_SAVE_THUNK, kinds.get(7));
        assertEquals(isa == Isa.X86_64 ? SlotTarget.Kind.NATIVE : SlotTarget.Kind.NOP, kinds.get(8));  // ident
        SlotTarget thunk = k.slots().stream().filter(s -> s.type() == 7).findFirst().orElseThrow();
        assertTrue(thunk.clobbersProven());
        assertEquals(SlotTarget.Evidence.C_ABI, k.slots().stream().filter(s -> s.type() == 6).findFirst()
                .orElseThrow().evidence());
        assertEquals(isa == Isa.X86_64 ? ClobberSet.of(Register.RAX) : ClobberSet.of(Register.EAX, Register.EDX),
                thunk.op().clobbers());
        // Records without clobbers (the 2023 layout) are taken as CLBR_ANY.
        if (name.endsWith("relative")) {
            assertTrue(k.sites().stream().allMatch(s -> s.clobbers().equals(ClobberSet.linuxAny(isa))));
        }

        Prelink.Result r = k.prelink(Prelink.Options.defaults().withVerify(true));
        assertEquals(9, r.verified());
        assertEquals(List.of(".text", ".init.text"), List.copyOf(r.plans().keySet()));
        assertEquals(List.of(), r.problems());
        assertEquals(9, r.countByStrategy().values().stream().mapToInt(Integer::intValue).sum());
        byte[] out = r.image();
        int changedOutside = 0;
        for (int i = 0; i < file.length; i++) {
            if (file[i] != out[i] && !inSite(k, i)) {
                changedOutside++;
            }
        }
        assertEquals(0, changedOutside);
        assertFalse(java.util.Arrays.equals(file, out));
        // Prelinking without the disassembler gives the same bytes.
        assertArrayEquals(out, k.prelink(Prelink.Options.defaults()).image());
        // The result is immutable: what a caller does to its copy is not the next caller's image.
        assertEquals(out.length, r.imageLength());
        java.util.Arrays.fill(out, (byte) 0);
        assertFalse(java.util.Arrays.equals(out, r.image()));
        r.plans().values().forEach(p -> assertTrue(p.size() > 0));
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> r.edits().clear());
        assertTrue(r.toString().startsWith("Prelink.Result[image=" + file.length + " bytes, sites=9, verified=9"),
                r.toString());
    }

    private static boolean inSite(KernelImage k, int fileOffset) {
        for (Map.Entry<ElfFile.Section, List<PatchSite>> e : k.sitesBySection().entrySet()) {
            for (PatchSite s : e.getValue()) {
                long at = e.getKey().offset() + (s.address() - e.getKey().address());
                if (fileOffset >= at && fileOffset < at + s.length()) {
                    return true;
                }
            }
        }
        return false;
    }

    @ParameterizedTest
    @ValueSource(strings = {"pvsample-x86_64-module.o", "pvsample-i386-module.o"})
    void modulesResolveSitesAndSlotsThroughRelocations(String name) throws IOException {
        KernelImage m = KernelImage.read(image(name));
        assertTrue(m.elf().isRelocatable());
        assertTrue(m.pvOps().isEmpty());
        assertEquals(9, m.paraInstructions().orElseThrow().sites().size());
        for (ParaSite p : m.paraInstructions().orElseThrow().sites()) {
            assertEquals(OptionalInt.of(p.type()), p.relocatedSlot(), p.toString());
        }
        // The record naming .init.text resolves into that section, not .text.
        assertEquals(2, m.sitesBySection().size());
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> m.prelink(Prelink.Options.defaults()));
        assertTrue(e.getMessage().contains("a module has no pv_ops"), e.getMessage());
    }

    @Test
    void theLayoutCanBeForcedAndAWrongOneIsRefused() throws IOException {
        byte[] file = image("pvsample-x86_64");
        assertEquals(ParaLayout.ABSOLUTE_64, KernelImage.read(file, ParaLayout.ABSOLUTE_64)
                .paraInstructions().orElseThrow().layout());
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> KernelImage.read(file, ParaLayout.RELATIVE_6));
        assertTrue(e.getMessage().contains("not a whole number") || e.getMessage().contains("outside"), e.getMessage());
    }

    @Test
    void readOptionsAreBuiltFromDefaultsAndNeverTakeAnOptional() {
        KernelImage.ReadOptions d = KernelImage.ReadOptions.defaults();
        assertEquals(Optional.empty(), d.layout());
        assertEquals(java.util.OptionalLong.empty(), d.pvOps());
        KernelImage.ReadOptions both = d.withLayout(ParaLayout.RELATIVE_6).withPvOps(0xffffffff82000000L);
        assertEquals(Optional.of(ParaLayout.RELATIVE_6), both.layout());
        assertEquals(java.util.OptionalLong.of(0xffffffff82000000L), both.pvOps());
        assertEquals(Optional.empty(), d.layout(), "defaults() is not changed by a with...()");
        assertEquals(both, d.withPvOps(0xffffffff82000000L).withLayout(ParaLayout.RELATIVE_6));
        assertEquals(both.hashCode(), d.withPvOps(0xffffffff82000000L).withLayout(ParaLayout.RELATIVE_6).hashCode());
        assertFalse(both.equals(d.withLayout(ParaLayout.RELATIVE_6)));
        assertFalse(d.withPvOps(0).equals(d), "pv_ops at 0 given is not pv_ops to find");
        assertEquals("ReadOptions{layout=RELATIVE_6, pvOps=0xffffffff82000000}", both.toString());
        assertEquals("ReadOptions{layout=detect, pvOps=find}", d.toString());
        assertThrows(NullPointerException.class, () -> d.withLayout(null));
        // No public constructor: a caller cannot hand in an Optional (issue 10, item 7).
        assertEquals(0, KernelImage.ReadOptions.class.getConstructors().length);
        for (var m : KernelImage.ReadOptions.class.getMethods()) {
            for (Class<?> t : m.getParameterTypes()) {
                assertFalse(t == Optional.class || t == java.util.OptionalLong.class, m.toString());
            }
        }
    }

    @Test
    void aSiteWhoseBytesAreNotItsCallIsRefusedEvenWithoutTheDisassembler() throws IOException {
        byte[] file = image("pvsample-x86_64");
        KernelImage k = KernelImage.read(file);
        PatchSite first = k.sites().get(0);
        ElfFile.Section text = k.sectionOf(0);
        int at = (int) (text.offset() + (first.address() - text.address()));
        file[at + 2] ^= 0x08;   // the call now reads another slot
        KernelImage broken = KernelImage.read(file);
        for (Prelink.Options o : List.of(Prelink.Options.defaults(), Prelink.Options.defaults().withVerify(true))) {
            PatchBug bug = assertThrows(PatchBug.class, () -> broken.prelink(o));
            assertEquals(Violation.ORIGINAL_MISMATCH, bug.violation());
            assertEquals(first.address(), bug.site().address());
        }
        Prelink.Result lenient = broken.prelink(Prelink.Options.defaults().withMode(PatchOptions.Mode.LENIENT));
        assertEquals(1, lenient.problems().size());
        assertEquals(first.address(), lenient.problems().get(0).site().address());
        assertEquals(Violation.ORIGINAL_MISMATCH, lenient.problems().get(0).violation());
        assertEquals(lenient.sites() - 1, lenient.countByStrategy().values().stream().mapToInt(Integer::intValue).sum(),
                "a site left unpatched is no strategy's");
        PatchPlan plan = lenient.plans().get(text.name());
        int row = plan.sites().indexOf(first);
        assertEquals(SiteOutcome.leftUnpatched(lenient.problems().get(0)), plan.outcome(row));
        Prelink.Result verified = broken.prelink(Prelink.Options.defaults().withMode(PatchOptions.Mode.LENIENT)
                .withVerify(true));
        assertEquals(verified.sites() - 1, verified.verified(), "the site left unpatched is not counted verified");
    }

    @Test
    void aPlainFunctionAtACalleeSaveSiteIsAssumedCalleeSaveAndSaidSo() throws IOException {
        // Rewrite the record of the mmu_update site (slot 6, a function that branches) to CLBR_RET.
        byte[] file = image("pvsample-x86_64");
        ElfFile elf = ElfFile.parse(file);
        ElfFile.Section para = elf.section(ParaInstructions.SECTION).orElseThrow();
        int record = 4;   // the fifth record: _start's PV_CALL(MMU_UPDATE)
        int at = (int) para.offset() + 16 * record;
        assertEquals(6, file[at + 8]);
        file[at + 10] = 0x01;
        file[at + 11] = 0x00;
        KernelImage k = KernelImage.read(file);
        SlotTarget six = k.slots().stream().filter(s -> s.type() == 6).findFirst().orElseThrow();
        assertEquals(SlotTarget.Evidence.KERNEL_CONTRACT, six.evidence());
        assertFalse(six.clobbersProven());
        assertEquals(ClobberSet.of(Register.RAX), six.op().clobbers());
        assertTrue(six.description().contains("assumed callee-save"), six.description());
        assertEquals(SiteOutcome.patched(Strategy.DIRECT_CALL), k.prelink(Prelink.Options.defaults()).plans().get(".text").outcome(record));
    }

    @Test
    void malformedFilesGetOneClearMessage() throws IOException {
        byte[] good = image("pvsample-x86_64");
        assertMessage(new byte[100], "not an ELF file");
        assertMessage(java.util.Arrays.copyOf(good, 600), "runs past the end of the file");
        byte[] arm = good.clone();
        arm[18] = (byte) 183;   // EM_AARCH64
        assertMessage(arm, "is not i386 (3, ELF32) or x86-64 (62, ELF64)");
        byte[] bigEndian = good.clone();
        bigEndian[5] = 2;
        assertMessage(bigEndian, "not little-endian");
        // A record whose site lies outside every section.
        ElfFile elf = ElfFile.parse(good);
        ElfFile.Section para = elf.section(ParaInstructions.SECTION).orElseThrow();
        byte[] stray = good.clone();
        stray[(int) para.offset() + 3] = 0x7f;
        assertMessage(stray, "outside every section");
        // No .parainstructions: rename it.
        byte[] none = good.clone();
        int name = new String(none, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf(".parainstructions");
        none[name + 1] = 'X';
        assertMessage(none, "no .parainstructions section");
    }

    private static void assertMessage(byte[] file, String part) {
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> KernelImage.read(file));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
