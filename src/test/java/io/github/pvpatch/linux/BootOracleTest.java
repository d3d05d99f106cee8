package io.github.pvpatch.linux;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.pvpatch.PatchSite;
import io.github.pvpatch.zydis.MachineMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel's own boot as the oracle (issue 9, item 6): each of Debian's kernels is booted
 * under QEMU/TCG to the panic for want of a root file system, its {@code .text} is dumped through
 * the QEMU monitor ({@code src/build/boot-dump.sh}), and every paravirt site pvpatch's prelink
 * writes into {@code .text} must hold what the kernel wrote there itself or the inlined body of
 * the function the kernel calls ({@link BootOracle}). The prelinked x86-64 image must then boot
 * to the same panic, and a 6.8+ kernel's boot must leave its prelinked sites as they are.
 *
 * <p>Kernels and their vmlinux come from {@code src/build/fetch-kernels.sh} (which {@code .ci/run}
 * runs): Debian 12's 6.1 cloud-amd64 and 686, Debian 13's 6.12 cloud-amd64, Debian testing's 7.x
 * cloud-amd64, the newest of each
 * found. An original's dump is deterministic, so it is kept next to its kernel
 * ({@code boot/oracle/}) and CI boots each original once per machine. Mandatory when
 * {@code PVPATCH_REQUIRE_KERNELS=1} (CI sets it; the 686 kernel, which
 * {@code fetch-kernels.sh} fetches on a best-effort basis, is skipped when absent); with
 * {@code PVPATCH_BOOT_ORACLE=1} it runs without failing on a missing kernel; skipped otherwise.
 *
 * <p>The sites are {@link KernelImage#sites()} of the image read straight from the vmlinuz; for
 * a 6.8+ kernel that list must include the {@code .altinstructions} {@code ALT_FLAG_DIRECT_CALL}
 * sites.
 */
class BootOracleTest {
    private static final int BOOT_TIMEOUT_SECONDS = 180;
    private static final java.util.HexFormat HEX = java.util.HexFormat.ofDelimiter(" ");

    /**
     * A Debian kernel flavour.
     *
     * @param keepsPrelinked whether its own boot must leave prelinked sites as they are: a 6.8+
     *     kernel's alternatives pass must skip them (issue 9, item 4); a 6.1 kernel's
     *     {@code apply_paravirt} writes its own call back over an inlined body, as it may
     */
    private record Kernel(String label, String packageGlob, MachineMode mode, boolean required,
            boolean keepsPrelinked) {
        String qemuArch() {
            return mode == MachineMode.X86_64 ? "x86_64" : "i386";
        }
    }

    private static final List<Kernel> KERNELS = List.of(
            new Kernel("6.1 cloud amd64", "linux-image-6.1.0-*-cloud-amd64-unsigned_*", MachineMode.X86_64, true, false),
            new Kernel("6.12 cloud amd64", "linux-image-6.12.*-cloud-amd64-unsigned_*", MachineMode.X86_64, true, true),
            // Debian's testing (forky): Linux 7.x, in the package layout Debian uses from 7.x on.
            new Kernel("7.x cloud amd64", "linux-binary-unsigned-7.*-cloud-amd64_*", MachineMode.X86_64, true, true),
            new Kernel("6.1 686", "linux-image-6.1.0-*-686-unsigned_*", MachineMode.X86_32, false, false));

    private static boolean required() {
        return "1".equals(System.getenv("PVPATCH_REQUIRE_KERNELS"));
    }

    @TestFactory
    Stream<DynamicTest> everyTextSiteIsEqualToOrBeyondTheKernelsOwnBoot() {
        assumeTrue(required() || "1".equals(System.getenv("PVPATCH_BOOT_ORACLE")),
                "the boot oracle runs with PVPATCH_REQUIRE_KERNELS=1 (CI) or PVPATCH_BOOT_ORACLE=1");
        return KERNELS.stream().map(k -> DynamicTest.dynamicTest(k.label(), () -> check(k)));
    }

    @Test
    void aKernelThatDoesNotReachThePanicGivesNoDump(@TempDir Path tmp) throws IOException, InterruptedException {
        assumeTrue(required() || "1".equals(System.getenv("PVPATCH_BOOT_ORACLE")),
                "the boot oracle runs with PVPATCH_REQUIRE_KERNELS=1 (CI) or PVPATCH_BOOT_ORACLE=1");
        // Not a kernel: QEMU refuses it at once.
        Path junk = Files.writeString(tmp.resolve("junk"), "not a kernel\n");
        Path out = tmp.resolve("junk.bin");
        long t0 = System.nanoTime();
        String said = bootAndDump("x86_64", junk, 0x1000000, 4096, out, 60);
        assertTrue(said.contains("did not reach 'VFS: Unable to mount root fs' before QEMU exited"), said);
        assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "waited for a QEMU that had exited");
        assertTrue(Files.notExists(out), said);
        // A real kernel that is given too little time.
        Optional<Path> pkg = newest(KERNELS.get(0).packageGlob());
        assumeTrue(pkg.isPresent(), "no " + KERNELS.get(0).packageGlob());
        Path vmlinux;
        try (Stream<Path> s = Files.list(pkg.get().resolve("boot"))) {
            vmlinux = s.filter(p -> p.getFileName().toString().startsWith("vmlinux-")).findFirst().orElseThrow();
        }
        said = bootAndDump("x86_64", vmlinux, 0x1000000, 4096, out, 1);
        assertTrue(said.contains("did not reach 'VFS: Unable to mount root fs' within 1s"), said);
        assertTrue(Files.notExists(out), said);
    }

    @Test
    void physicalAddressesComeFromTheLoadSegments() {
        // ELF64: one PT_NOTE, then PT_LOAD vaddr 0xffffffff81000000 paddr 0x1000000 filesz 0x1000.
        ByteBuffer b = ByteBuffer.allocate(0x100).order(ByteOrder.LITTLE_ENDIAN);
        b.put(4, (byte) 2).putLong(0x20, 0x40).putShort(0x36, (short) 56).putShort(0x38, (short) 2);
        b.putInt(0x40, 4).putInt(0x78, 1).putLong(0x78 + 16, 0xffffffff81000000L).putLong(0x78 + 24, 0x1000000)
                .putLong(0x78 + 32, 0x1000);
        assertEquals(0x1000010L, physicalAddress(b.array(), 0xffffffff81000010L));
        assertThrows(AssertionError.class, () -> physicalAddress(b.array(), 0xffffffff81001000L));
        // ELF32: PT_LOAD vaddr 0xc1000000 paddr 0x1000000 filesz 0x2000.
        ByteBuffer c = ByteBuffer.allocate(0x100).order(ByteOrder.LITTLE_ENDIAN);
        c.put(4, (byte) 1).putInt(0x1c, 0x34).putShort(0x2a, (short) 32).putShort(0x2c, (short) 1);
        c.putInt(0x34, 1).putInt(0x34 + 8, 0xc1000000).putInt(0x34 + 12, 0x1000000).putInt(0x34 + 16, 0x2000);
        assertEquals(0x1001234L, physicalAddress(c.array(), 0xc1001234L));
        assertThrows(AssertionError.class, () -> physicalAddress(c.array(), 0xc0fffff0L));
    }

    private static void check(Kernel spec) throws IOException, InterruptedException {
        Optional<Path> pkg = newest(spec.packageGlob());
        if (pkg.isEmpty()) {
            if (required() && spec.required()) {
                fail("PVPATCH_REQUIRE_KERNELS=1 but no " + spec.packageGlob() + " under " + RealKernelTest.root()
                        + ": run src/build/fetch-kernels.sh");
            }
            assumeTrue(false, "no " + spec.packageGlob() + " under " + RealKernelTest.root());
        }
        Path boot = pkg.get().resolve("boot");
        Path vmlinuz;
        try (Stream<Path> s = Files.list(boot)) {
            vmlinuz = s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).findFirst()
                    .orElseThrow(() -> new AssertionError("no vmlinuz-* in " + boot));
        }
        String release = vmlinuz.getFileName().toString().substring("vmlinuz-".length());
        Path vmlinux = boot.resolve("vmlinux-" + release);
        assertTrue(Files.isRegularFile(vmlinux), vmlinux + " is missing: src/build/fetch-kernels.sh writes it");

        // The oracle: what the kernel wrote into .text while booting, kept next to the kernel.
        byte[] elfBytes = Files.readAllBytes(vmlinux);
        ElfFile elf = ElfFile.parse(elfBytes);
        ElfFile.Section text = elf.section(".text").orElseThrow(() -> new AssertionError(vmlinux + " has no .text"));
        long phys = physicalAddress(elfBytes, text.address());
        Path dump = boot.resolve(String.format("oracle/boot-text-0x%x-0x%x.bin", phys, text.size()));
        if (!Files.isRegularFile(dump)) {
            Files.createDirectories(dump.getParent());
            Path image = spec.mode() == MachineMode.X86_64 ? vmlinux : vmlinuz;   // i386: no PVH note
            String out = bootAndDump(spec.qemuArch(), image, phys, text.size(), dump);
            assertTrue(Files.isRegularFile(dump), "the original " + release + " did not boot to the VFS panic:\n" + out);
        }
        byte[] kernelText = Files.readAllBytes(dump);
        byte[] fileText = elf.bytes(text);
        assertEquals(fileText.length, kernelText.length, dump.toString());
        int same = 0;
        for (int i = 0; i < fileText.length; i++) {
            same += fileText[i] == kernelText[i] ? 1 : 0;
        }
        // A dump of other memory would share almost nothing with .text; boot-time patching changes ~1%.
        assertTrue(same > fileText.length * 0.9, String.format("%s: only %d of %d bytes of the dump at phys=0x%x equal"
                + " .text at 0x%x: not the kernel's .text", dump, same, fileText.length, phys, text.address()));

        // pvpatch, from the vmlinuz as a user gives it.
        KernelImage k;
        try {
            k = KernelImage.read(Files.readAllBytes(vmlinuz));
        } catch (ImageFormatException e) {
            fail("pvpatch cannot read " + vmlinuz.getFileName() + ": " + e.getMessage());
            return;
        }
        assertTrue(Arrays.equals(elfBytes, k.elfBytes()), "pvpatch unpacks " + vmlinuz.getFileName()
                + " to other bytes than Debian's decompressor (" + vmlinux.getFileName() + ")");
        long t0 = System.nanoTime();
        Prelink.Result r = k.prelink(Prelink.Options.defaults());
        long prelinkMs = (System.nanoTime() - t0) / 1_000_000;
        ElfFile prelinked = ElfFile.parse(r.image());
        byte[] ourText = prelinked.bytes(prelinked.section(".text").orElseThrow());

        BootOracle oracle = BootOracle.of(spec.mode());
        Map<Long, Optional<List<BootOracle.Insn>>> bodies = new HashMap<>();
        BootOracle.Tally tally = new BootOracle.Tally();
        List<PatchSite> inText = new ArrayList<>();
        for (PatchSite s : k.sites()) {
            if (!text.containsAddress(s.address(), s.length())) {
                continue;
            }
            inText.add(s);
            int at = (int) (s.address() - text.address());
            tally.add(oracle.judge(s.address(), Arrays.copyOfRange(kernelText, at, at + s.length()),
                    Arrays.copyOfRange(ourText, at, at + s.length()),
                    f -> bodies.computeIfAbsent(f, g -> oracle.body(kernelText, text.address(), g))));
        }
        assertTrue(inText.size() > 0, "KernelImage.sites() of " + release + " has no site in .text at 0x"
                + Long.toHexString(text.address()) + ": nothing to compare");
        System.out.printf("boot oracle %s: %s (%s; %d of its %d sites in .text; prelink %d ms)%n", spec.label(),
                tally.summary(), release, inText.size(), k.sites().size(), prelinkMs);

        // The prelinked image boots to the same panic (x86-64: a vmlinux boots through its PVH note;
        // an i386 image would need a bzImage again, which pvpatch does not write).
        String bootFailure = null;
        if (spec.mode() == MachineMode.X86_64) {
            Path dir = Files.createDirectories(Path.of("target", "boot-oracle"));
            Path image = dir.resolve("vmlinux-" + release + ".prelinked");
            Path prelinkedDump = dir.resolve("vmlinux-" + release + ".prelinked.text");
            Files.write(image, r.image());
            Files.deleteIfExists(prelinkedDump);
            String out = bootAndDump("x86_64", image, phys, text.size(), prelinkedDump);
            if (Files.isRegularFile(prelinkedDump)) {
                byte[] again = Files.readAllBytes(prelinkedDump);
                List<String> rewritten = new ArrayList<>();
                for (PatchSite s : inText) {
                    int at = (int) (s.address() - text.address());
                    if (!Arrays.equals(again, at, at + s.length(), ourText, at, at + s.length())) {
                        rewritten.add(String.format("0x%x [%s] -> [%s]", s.address(),
                                HEX.formatHex(ourText, at, at + s.length()), HEX.formatHex(again, at, at + s.length())));
                    }
                }
                System.out.printf("boot oracle %s: the prelinked image boots to the VFS panic; its own boot rewrote"
                        + " %d of the %d prelinked .text sites%s%n", spec.label(), rewritten.size(), inText.size(),
                        rewritten.isEmpty() ? "" : ", such as " + String.join(", ", rewritten.subList(0,
                                Math.min(3, rewritten.size()))));
                Files.delete(prelinkedDump);
                if (spec.keepsPrelinked() && !rewritten.isEmpty()) {
                    bootFailure = "the prelinked " + release + "'s own boot rewrote " + rewritten.size()
                            + " prelinked sites, such as " + rewritten.get(0);
                }
            } else {
                bootFailure = "the prelinked " + release + " did not boot to the VFS panic:\n" + out;
            }
            Files.delete(image);
        }
        String failure = bootFailure;
        assertAll(() -> assertEquals(0, tally.count(BootOracle.Verdict.WORSE) + tally.count(BootOracle.Verdict.WRONG),
                        "boot oracle " + spec.label() + ": " + tally.summary() + "; first of them:\n" + tally.examples()),
                () -> assertTrue(failure == null, failure));
    }

    /** Runs {@code boot-dump.sh}; {@return its output} (the dump exists only when it succeeded) */
    private static String bootAndDump(String arch, Path kernel, long phys, long size, Path out)
            throws IOException, InterruptedException {
        return bootAndDump(arch, kernel, phys, size, out, BOOT_TIMEOUT_SECONDS);
    }

    private static String bootAndDump(String arch, Path kernel, long phys, long size, Path out, int timeout)
            throws IOException, InterruptedException {
        Path script = Path.of("src", "build", "boot-dump.sh").toAbsolutePath();
        Process p = new ProcessBuilder("bash", script.toString(), arch, kernel.toString(), "0x" + Long.toHexString(phys),
                Long.toString(size), out.toString(), Integer.toString(timeout))
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout + 60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String text = new String(output, StandardCharsets.UTF_8);
        System.out.print(text);
        return text;
    }

    /** {@return the physical (load) address of virtual {@code address}, from the program headers} */
    static long physicalAddress(byte[] elf, long address) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        boolean is64 = elf[4] == 2;
        long phoff = is64 ? b.getLong(0x20) : Integer.toUnsignedLong(b.getInt(0x1c));
        int phentsize = Short.toUnsignedInt(b.getShort(is64 ? 0x36 : 0x2a));
        int phnum = Short.toUnsignedInt(b.getShort(is64 ? 0x38 : 0x2c));
        for (int i = 0; i < phnum; i++) {
            int h = (int) (phoff + (long) i * phentsize);
            if (b.getInt(h) != 1) {   // PT_LOAD
                continue;
            }
            long vaddr = is64 ? b.getLong(h + 16) : Integer.toUnsignedLong(b.getInt(h + 8));
            long paddr = is64 ? b.getLong(h + 24) : Integer.toUnsignedLong(b.getInt(h + 12));
            long filesz = is64 ? b.getLong(h + 32) : Integer.toUnsignedLong(b.getInt(h + 16));
            if (Long.compareUnsigned(address, vaddr) >= 0 && Long.compareUnsigned(address - vaddr, filesz) < 0) {
                return paddr + (address - vaddr);
            }
        }
        throw new AssertionError(String.format("no PT_LOAD holds address=0x%x", address));
    }

    /** {@return the newest package directory matching {@code glob}, by version order of its name} */
    private static Optional<Path> newest(String glob) {
        Path root = RealKernelTest.root();
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        java.nio.file.PathMatcher m = root.getFileSystem().getPathMatcher("glob:" + glob);
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> m.matches(p.getFileName()) && Files.isDirectory(p))
                    .max(Comparator.comparing(p -> p.getFileName().toString(), BootOracleTest::compareVersions));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compares names as {@code sort -V} does for Debian's: runs of digits by value, the rest as text. */
    static int compareVersions(String a, String b) {
        List<String> x = runs(a);
        List<String> y = runs(b);
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
            String p = x.get(i);
            String q = y.get(i);
            int c = Character.isDigit(p.charAt(0)) && Character.isDigit(q.charAt(0))
                    ? new java.math.BigInteger(p).compareTo(new java.math.BigInteger(q)) : p.compareTo(q);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.size(), y.size());
    }

    private static List<String> runs(String s) {
        return Stream.of(s.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)")).collect(Collectors.toList());
    }
}
