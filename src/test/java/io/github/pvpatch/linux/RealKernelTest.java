package io.github.pvpatch.linux;

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
            assertEquals(k.sites().size(), r.sites());
            assertEquals(k.sites().size(), r.verified(), "every site verified before and after");
            assertFalse(r.countByStrategy().containsKey(Strategy.LEFT_UNPATCHED));
            // No byte outside the sites changed.
            byte[] before = k.elfBytesCopy();
            byte[] after = r.image();
            assertEquals(before.length, after.length);
            boolean[] inSite = new boolean[before.length];
            for (Map.Entry<ElfFile.Section, List<PatchSite>> e : k.sitesBySection().entrySet()) {
                for (PatchSite s : e.getValue()) {
                    int at = (int) (e.getKey().offset() + (s.address() - e.getKey().address()));
                    java.util.Arrays.fill(inSite, at, at + s.length(), true);
                }
            }
            int changed = 0;
            for (int i = 0; i < before.length; i++) {
                if (before[i] != after[i]) {
                    assertTrue(inSite[i], "byte at file offset 0x" + Integer.toHexString(i) + " is outside every site");
                    changed++;
                }
            }
            // The prelinked ELF reads back with the same records; its sites hold no indirect call any
            // more, so pv_ops cannot be found from them, and saying so is the right answer.
            assertEquals(k.paraInstructions().sites(), ParaInstructions.read(ElfFile.parse(after)).sites());
            ImageFormatException twice = org.junit.jupiter.api.Assertions.assertThrows(ImageFormatException.class,
                    () -> KernelImage.read(after));
            assertTrue(twice.getMessage().contains("already prelinked?"), twice.getMessage());
            long proven = k.slots().stream().filter(SlotTarget::clobbersProven).count();
            // Every callee-save site of Debian's kernels calls something whose clobbers the bytes prove.
            assertEquals(0, k.slots().stream().filter(s -> s.evidence() == SlotTarget.Evidence.KERNEL_CONTRACT).count(),
                    k.slots().toString());
            Map<SlotTarget.Kind, Long> kinds = k.slots().stream().collect(Collectors.groupingBy(SlotTarget::kind,
                    java.util.TreeMap::new, Collectors.counting()));
            System.out.printf("kernel %s: %s, %d sites (%s), pv_ops 0x%x %s; slots %s, %d of %d clobbers proven;"
                    + " %s; %d bytes changed; read %d ms, prelink+verify %d ms%n", vmlinuz.getFileName(),
                    k.isa().displayName(), k.sites().size(), k.paraInstructions().layout(), k.pvOps().getAsLong(),
                    k.pvOpsSource(), kinds, proven, k.slots().size(), r.countByStrategy(), changed,
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
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
            List<ParaSite> sites = m.paraInstructions().sites();
            for (ParaSite p : sites) {
                assertEquals(java.util.OptionalInt.of(p.type()), p.relocatedSlot(), ko.getFileName() + " " + p);
            }
            total += sites.size();
            System.out.printf("module %s: %d sites, each call's relocation names pv_ops slot = type%n",
                    ko.getFileName(), sites.size());
        }
        assertTrue(total > 0);
    }
}
