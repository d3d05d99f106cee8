package io.github.pvpatch.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Strategy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Debian's real kernels, as {@code .ci/run} downloads and unpacks them under
 * {@code ~/.cache/pvpatch/kernels/extracted} (or {@code $PVPATCH_KERNELS}): every site imported,
 * prelinked with the disassembler checking each one, and nothing outside the sites changed.
 * Without kernels the test is skipped, unless {@code PVPATCH_REQUIRE_KERNELS=1} (CI sets it).
 */
class RealKernelTest {
    static Path root() {
        String env = System.getenv("PVPATCH_KERNELS");
        return env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache/pvpatch/kernels/extracted");
    }

    static List<Path> find(String glob) {
        Path root = root();
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        java.nio.file.PathMatcher m = root.getFileSystem().getPathMatcher("glob:" + glob);
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> m.matches(p.getFileName())).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> kernels() {
        List<Path> found = find("vmlinuz-*");
        boolean required = "1".equals(System.getenv("PVPATCH_REQUIRE_KERNELS"));
        assertFalse(required && found.isEmpty(), "PVPATCH_REQUIRE_KERNELS=1 but no vmlinuz under " + root());
        assumeFalse(found.isEmpty(), "no kernels under " + root() + ": run .ci/run to fetch Debian's");
        return found;
    }

    @Test
    void everySiteOfEveryRealKernelPrelinksVerified() throws IOException {
        for (Path vmlinuz : kernels()) {
            long t0 = System.nanoTime();
            byte[] file = Files.readAllBytes(vmlinuz);
            KernelImage k = KernelImage.read(file);
            assertTrue(k.wasUnpacked());
            long t1 = System.nanoTime();
            Prelink.Result r = k.prelink(Prelink.Options.defaults().withVerify(true));
            long t2 = System.nanoTime();
            List<ParavirtSite> listed = k.paravirtSites(CpuFeatures.defaults());
            assertEquals(k.sites().size(), listed.size());
            assertEquals(k.sites().size(), r.sites());
            assertEquals(k.sites().size(), r.verified(), "every site verified before and after");
            assertEquals(List.of(), r.problems());
            assertEquals(r.sites(), r.countByStrategy().values().stream().mapToInt(Integer::intValue).sum());
            // Bare metal: every ALT_NOT(...) replacement applies, and is what the prelink wrote.
            byte[] after = r.image();
            ElfFile out = ElfFile.parse(after);
            int replaced = 0;
            for (ParavirtSite p : listed) {
                boolean applies = p.candidates().stream().anyMatch(c -> c.appliesOn(CpuFeatures.defaults()));
                assertEquals(applies ? ParavirtSite.Outcome.REPLACEMENT : ParavirtSite.Outcome.SLOT, p.outcome(),
                        p.toString());
                if (applies) {
                    AltEntry c = p.chosen().orElseThrow();
                    byte[] repl = k.elf().read(c.replacementAddress(), c.replacementLength());
                    byte[] site = out.read(p.address(), p.length());
                    assertArrayEquals(repl, java.util.Arrays.copyOf(site, repl.length), "site 0x"
                            + Long.toHexString(p.address()) + " starts with its replacement");
                    assertTrue(repl.length == 0 || (site[0] & 0xFF) != 0xE8, "never a call where the kernel inlines");
                    replaced++;
                }
            }
            // No byte outside the sites changed, but the documented direct-call entry bits.
            byte[] before = k.elfBytesCopy();
            assertEquals(before.length, after.length);
            boolean[] inSite = new boolean[before.length];
            for (Map.Entry<ElfFile.Section, List<PatchSite>> e : k.sitesBySection().entrySet()) {
                for (PatchSite s : e.getValue()) {
                    int at = (int) (e.getKey().offset() + (s.address() - e.getKey().address()));
                    java.util.Arrays.fill(inSite, at, at + s.length(), true);
                }
            }
            java.util.Set<Long> edited = new java.util.HashSet<>();
            r.edits().forEach(x -> edited.add(x.fileOffset()));
            int changed = 0;
            int outside = 0;
            for (int i = 0; i < before.length; i++) {
                if (before[i] != after[i]) {
                    if (!inSite[i]) {
                        assertTrue(edited.contains((long) i), "byte at file offset 0x" + Integer.toHexString(i)
                                + " is outside every site and no documented edit");
                        outside++;
                    }
                    changed++;
                }
            }
            assertEquals(r.edits().size(), outside);
            boolean direct = k.paraInstructions().isEmpty();
            assertEquals(direct ? k.sites().size() : 0, outside, "one bit per direct-call entry; none for 6.1");
            // pvpatch's own output reads back: every site prelinked, and prelinking it again changes nothing.
            KernelImage again = KernelImage.read(after);
            assertTrue(again.paravirtSites(CpuFeatures.defaults()).stream()
                    .allMatch(p -> p.outcome() == ParavirtSite.Outcome.PRELINKED));
            assertArrayEquals(after, again.prelink(Prelink.Options.defaults()).image());
            long proven = k.slots().stream().filter(SlotTarget::clobbersProven).count();
            // Every callee-save site of Debian's kernels calls something whose clobbers the bytes prove.
            assertEquals(0, k.slots().stream().filter(s -> s.evidence() == SlotTarget.Evidence.KERNEL_CONTRACT).count(),
                    k.slots().toString());
            Map<SlotTarget.Kind, Long> kinds = k.slots().stream().collect(Collectors.groupingBy(SlotTarget::kind,
                    java.util.TreeMap::new, Collectors.counting()));
            Map<ParavirtSite.Source, Long> bySource = listed.stream().collect(Collectors.groupingBy(
                    ParavirtSite::source, java.util.TreeMap::new, Collectors.counting()));
            System.out.printf("kernel %s: %s, %d sites (%s; by table %s), pv_ops 0x%x %s; slots %s, %d of %d clobbers"
                    + " proven; outcomes %s (%d replacements); %s; %d bytes changed, %d outside the sites; read %d ms,"
                    + " prelink+verify %d ms%n", vmlinuz.getFileName(), k.isa().displayName(), k.sites().size(),
                    k.tables(), bySource, k.pvOps().getAsLong(), k.pvOpsSource(), kinds, proven, k.slots().size(),
                    r.outcomes(), replaced, r.countByStrategy(), changed, outside, (t1 - t0) / 1_000_000,
                    (t2 - t1) / 1_000_000);
            for (Map.Entry<String, PatchPlan> e : r.plans().entrySet()) {
                System.out.printf("  %-12s %s%n", e.getKey(), e.getValue().countByStrategy());
            }
        }
    }

    @Test
    void everySiteOfRealModulesNamesItsSlotInItsRelocation() throws IOException {
        kernels();
        List<Path> modules = find("{kvm,kvm-intel,xen-blkfront,virtio_net,ext4}.ko");
        assumeFalse(modules.isEmpty(), "no modules found");
        int total = 0;
        for (Path ko : modules) {
            byte[] bytes = Files.readAllBytes(ko);
            if (ElfFile.parse(bytes).section(ParaInstructions.SECTION).isEmpty()) {
                continue;   // a module that makes no pv call
            }
            KernelImage m = KernelImage.read(bytes);
            assertTrue(m.elf().isRelocatable());
            assertTrue(m.pvOps().isEmpty());
            List<ParaSite> sites = m.paraInstructions().orElseThrow().sites();
            for (ParaSite p : sites) {
                assertEquals(java.util.OptionalInt.of(p.type()), p.relocatedSlot(), ko.getFileName() + " " + p);
            }
            total += sites.size();
            System.out.printf("module %s: %d sites, each call's relocation names pv_ops slot = type%n",
                    ko.getFileName(), sites.size());
        }
        assertTrue(total > 0);
    }

    @Test
    void debiansCompressedModulesReadAsXzItselfUnpacksThem() throws IOException, InterruptedException {
        // Debian 13 and later ship modules as .ko.xz: what a user points pvpatch at.
        kernels();
        List<Path> modules = find("{kvm,kvm-intel,kvm-amd}.ko.xz");
        boolean required = "1".equals(System.getenv("PVPATCH_REQUIRE_KERNELS"));
        assertFalse(required && modules.isEmpty(), "PVPATCH_REQUIRE_KERNELS=1 but no kvm*.ko.xz under " + root());
        assumeFalse(modules.isEmpty(), "no compressed modules found");
        int total = 0;
        for (Path ko : modules) {
            // The oracle: Debian's own xz, not the decoder under test.
            Process xz = new ProcessBuilder("xz", "-dc", ko.toString()).redirectErrorStream(false).start();
            byte[] unpacked = xz.getInputStream().readAllBytes();
            assertEquals(0, xz.waitFor(), "xz -dc " + ko);
            byte[] file = Files.readAllBytes(ko);
            assertArrayEquals(unpacked, KernelPayload.unpack(file), ko.toString());
            KernelImage m = KernelImage.read(file);
            assertTrue(m.wasUnpacked() && m.elf().isRelocatable(), ko.toString());
            assertEquals(KernelImage.read(unpacked).sites(), m.sites(), ko.toString());
            List<ParavirtSite> sites = m.paravirtSites(CpuFeatures.defaults());
            assertTrue(sites.stream().allMatch(p -> p.slot().isPresent()), ko + ": every site names its slot");
            total += sites.size();
            System.out.printf("module %s: %d sites (%s), unpacked %d -> %d bytes as xz -dc does%n", ko.getFileName(),
                    sites.size(), m.tables(), file.length, unpacked.length);
        }
        assertTrue(total > 0, "no site in " + modules);
    }
}
