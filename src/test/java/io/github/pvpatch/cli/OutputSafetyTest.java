package io.github.pvpatch.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.pvpatch.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nothing the user had before a failed run changes: atomic output, the input never overwritten
 * by accident, paths checked before any work, and every file named in the error.
 */
class OutputSafetyTest {
    private static final Path IMAGES = Path.of("target/test-images");

    @TempDir
    Path dir;

    record Run(int status, String out, String err) {
    }

    static Run run(OutputFile.Disk disk, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), disk).run(args);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run run(String... args) {
        return run(OutputFile.Disk.REAL, args);
    }

    /** A disk whose {@code step} fails as a full device does, after writing half the bytes. */
    static OutputFile.Disk failing(String step) {
        return new OutputFile.Disk() {
            @Override
            public void create(Path temp) throws IOException {
                if (step.equals("create")) {
                    throw new java.nio.file.FileSystemException(temp.toString(), null, "Read-only file system");
                }
                OutputFile.Disk.super.create(temp);
            }

            @Override
            public void write(FileChannel channel, ByteBuffer data) throws IOException {
                if (step.equals("write")) {
                    channel.write(ByteBuffer.wrap(data.array(), 0, data.remaining() / 2));
                    throw new IOException("No space left on device");
                }
                OutputFile.Disk.super.write(channel, data);
            }

            @Override
            public void force(FileChannel channel) throws IOException {
                if (step.equals("force")) {
                    throw new IOException("Input/output error");
                }
                OutputFile.Disk.super.force(channel);
            }

            @Override
            public void move(Path temp, Path target) throws IOException {
                if (step.equals("move")) {
                    throw new java.nio.file.AtomicMoveNotSupportedException(temp.toString(), target.toString(),
                            "Invalid cross-device link");
                }
                OutputFile.Disk.super.move(temp, target);
            }
        };
    }

    private static void assertRefused(Run r, String... parts) {
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.err().startsWith("pvpatch: "), r.err());
        for (String part : parts) {
            assertTrue(r.err().contains(part), "'" + part + "' in: " + r.err());
        }
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    /** {@return the names in {@code d} that are not {@code keep}: temporary files left behind} */
    private static List<String> strays(Path d, String... keep) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !List.of(keep).contains(n))
                    .collect(Collectors.toList());
        }
    }

    private Path previousOutput() throws IOException {
        Path out = dir.resolve("out.pre");
        Files.write(out, "the user's previous output\n".getBytes(StandardCharsets.US_ASCII));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"write", "force", "move"})
    void aFailedWriteLeavesThePreviousOutputAndNoTemporaryFile(String step) throws IOException {
        Path out = previousOutput();
        byte[] before = Files.readAllBytes(out);
        Run r = run(failing(step), "prelink", IMAGES.resolve("pvsample-x86_64").toString(), "-o", out.toString());
        assertRefused(r, "cannot write output=" + out, "it is unchanged");
        assertArrayEquals(before, Files.readAllBytes(out));
        assertEquals(List.of(), strays(dir, "out.pre"));
        if (step.equals("write")) {
            assertTrue(r.err().contains("No space left on device"), r.err());
        }
        // The same run on a working disk replaces it.
        Run ok = run("prelink", IMAGES.resolve("pvsample-x86_64").toString(), "-o", out.toString());
        assertEquals(0, ok.status(), ok.err());
        assertNotEquals(before.length, Files.size(out));
        assertEquals(List.of(), strays(dir, "out.pre"));
    }

    @Test
    void aRefusedPrelinkLeavesThePreviousOutputAndNoTemporaryFile() throws IOException {
        Path out = previousOutput();
        byte[] before = Files.readAllBytes(out);
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[100]);
        assertRefused(run("prelink", junk.toString(), "-o", out.toString()), "input=" + junk, "not an ELF file");
        assertRefused(run("prelink", IMAGES.resolve("pvsample-x86_64-module.o").toString(), "-o", out.toString()),
                "a module has no pv_ops");
        assertArrayEquals(before, Files.readAllBytes(out));
        assertEquals(List.of(), strays(dir, "out.pre", "junk"));
    }

    @Test
    void aNewOutputGetsTheUmaskAndAReplacedOneKeepsItsPermissions() throws IOException {
        Path out = previousOutput();
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-r-----"));
        Run r = run("prelink", IMAGES.resolve("pvsample-i386").toString(), "-o", out.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        Path fresh = dir.resolve("fresh");
        assertEquals(0, run("prelink", IMAGES.resolve("pvsample-i386").toString(), "-o", fresh.toString()).status());
        // Not the 0600 of a temporary file: the umask's default, readable by others as any new file.
        assertTrue(Files.getPosixFilePermissions(fresh).contains(java.nio.file.attribute.PosixFilePermission
                .OTHERS_READ) || Files.getPosixFilePermissions(fresh).contains(java.nio.file.attribute
                .PosixFilePermission.GROUP_READ), PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)));
    }

    @Test
    void theOutputMayNotBeTheInputByPathHardLinkOrSymlink() throws IOException {
        Path input = dir.resolve("vmlinux");
        Files.copy(IMAGES.resolve("pvsample-x86_64"), input);
        byte[] original = Files.readAllBytes(input);
        Path hard = Files.createLink(dir.resolve("hard"), input);
        Path soft = Files.createSymbolicLink(dir.resolve("soft"), input);
        Files.createDirectory(dir.resolve("sub"));
        Path dotted = dir.resolve("sub/../vmlinux");
        for (Path out : List.of(input, dotted, hard, soft, Path.of(input.toString() + "/").normalize())) {
            Run r = run("prelink", input.toString(), "-o", out.toString());
            assertRefused(r, "output=" + out, "is the input", "--in-place");
            assertEquals("", r.out());
            assertArrayEquals(original, Files.readAllBytes(input));
        }
        // Through the symbolic link as input, too.
        assertRefused(run("prelink", soft.toString(), "-o", input.toString()), "is the input");
        assertArrayEquals(original, Files.readAllBytes(input));
        assertEquals(List.of(), strays(dir, "vmlinux", "hard", "soft", "sub"));
    }

    @Test
    void inPlaceReplacesTheInputAtomicallyAndOnlyWhenAsked() throws IOException {
        Path input = dir.resolve("vmlinux");
        Files.copy(IMAGES.resolve("pvsample-x86_64"), input);
        byte[] original = Files.readAllBytes(input);
        // A failing disk: the input stays byte-identical.
        for (String step : List.of("write", "force", "move")) {
            assertRefused(run(failing(step), "prelink", input.toString(), "--in-place"), "output=" + input);
            assertArrayEquals(original, Files.readAllBytes(input));
            assertEquals(List.of(), strays(dir, "vmlinux"));
        }
        Path hard = Files.createLink(dir.resolve("hard"), input);
        Run r = run("prelink", input.toString(), "-o", hard.toString(), "--in-place");
        assertEquals(0, r.status(), r.err());
        byte[] prelinked = Files.readAllBytes(hard);
        assertEquals(original.length, prelinked.length);
        assertFalse(java.util.Arrays.equals(original, prelinked));
        // The rename replaced the name's file: the other link still holds the original bytes.
        assertArrayEquals(original, Files.readAllBytes(input));
        Run alone = run("prelink", input.toString(), "--in-place", "--verify");
        assertEquals(0, alone.status(), alone.err());
        assertArrayEquals(prelinked, Files.readAllBytes(input));
        assertEquals(List.of(), strays(dir, "vmlinux", "hard"));
        // --in-place with -o naming some other file is a usage error.
        Run other = run("prelink", input.toString(), "--in-place", "-o", dir.resolve("elsewhere").toString());
        assertEquals(2, other.status(), other.err());
        assertFalse(Files.exists(dir.resolve("elsewhere")));
    }

    @Test
    void aSymlinkedOutputIsWrittenThroughAndStaysALink() throws IOException {
        Path real = previousOutput();
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        Run r = run("prelink", IMAGES.resolve("pvsample-i386").toString(), "-o", link.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(real, Files.readSymbolicLink(link));
        assertEquals(Files.size(IMAGES.resolve("pvsample-i386")), Files.size(real));
        assertEquals(List.of(), strays(dir, "out.pre", "link"));
    }

    @Test
    void inPlaceOnABzImageIsRefused() throws IOException {
        Path vmlinuz = dir.resolve("vmlinuz");
        byte[] bz = Images.bzImage(Images.gzip(Files.readAllBytes(IMAGES.resolve("pvsample-x86_64"))));
        Files.write(vmlinuz, bz);
        assertRefused(run("prelink", vmlinuz.toString(), "--in-place"), "input=" + vmlinuz, "is a bzImage");
        assertArrayEquals(bz, Files.readAllBytes(vmlinuz));
        assertEquals(List.of(), strays(dir, "vmlinuz"));
        // Refused from the header, before the payload is read: a payload that would not even unpack
        // (once reported as the payload's error, after reading the whole file) gets the same refusal.
        Path broken = dir.resolve("broken");
        byte[] unreadable = Images.bzImage(new byte[] {1, 2, 3, 4, 5, 6});
        Files.write(broken, unreadable);
        assertRefused(run("prelink", broken.toString(), "--in-place", "-o", broken.toString()), "input=" + broken,
                "is a bzImage: --in-place would replace it with the unpacked ELF; write that with -o <out>");
        assertArrayEquals(unreadable, Files.readAllBytes(broken));
        assertEquals(List.of(), strays(dir, "vmlinuz", "broken"));
        // A file compressed whole (a .ko.xz, a vmlinux.gz) would be replaced by its ELF just the same.
        Path gz = dir.resolve("vmlinux.gz");
        byte[] packed = Images.gzip(Files.readAllBytes(IMAGES.resolve("pvsample-x86_64")));
        Files.write(gz, packed);
        assertRefused(run("prelink", gz.toString(), "--in-place"), "input=" + gz,
                "is compressed: --in-place would replace it with the unpacked ELF; write that with -o <out>");
        assertArrayEquals(packed, Files.readAllBytes(gz));
        Run unpacked = run("prelink", gz.toString(), "-o", dir.resolve("vmlinux.pre").toString());
        assertEquals(0, unpacked.status(), unpacked.err());
        assertTrue(unpacked.out().contains("the prelinked ELF unpacked from the input"), unpacked.out());
        assertEquals(List.of(), strays(dir, "vmlinuz", "broken", "vmlinux.gz", "vmlinux.pre"));
        // Without --in-place the payload is read, and its own error is the one reported.
        Path out = dir.resolve("out");
        Run r = run("prelink", broken.toString(), "-o", out.toString());
        assertEquals(1, r.status(), r.err());
        assertFalse(r.err().contains("is a bzImage:"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void outputPathsAreCheckedBeforeAnyWork() throws IOException {
        // The input is not even an image: each output problem is still what is reported.
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[100]);
        Path missingDir = dir.resolve("no/such/dir/out.pre");
        Run r = run("prelink", junk.toString(), "-o", missingDir.toString());
        assertRefused(r, "output=" + missingDir, "its directory " + dir.resolve("no/such/dir") + " does not exist");
        assertEquals("", r.out());
        Path aDir = Files.createDirectory(dir.resolve("adir"));
        assertRefused(run("prelink", junk.toString(), "-o", aDir.toString()), "output=" + aDir, "is a directory");
        Path fileAsDir = dir.resolve("junk/out.pre");
        assertRefused(run("prelink", junk.toString(), "-o", fileAsDir.toString()), "output=" + fileAsDir,
                "is not a directory");
        Path ro = dir.resolve("out.pre");
        assertRefused(run(failing("create"), "prelink", junk.toString(), "-o", ro.toString()), "output=" + ro,
                "cannot create a file in its directory " + dir, "Read-only file system");
        assertFalse(Files.exists(ro));
        assertEquals(List.of(), strays(dir, "junk", "adir"));
    }

    @Test
    void inputsAreNamedWhenMissingOrADirectory() throws IOException {
        Path missing = dir.resolve("missing");
        assertRefused(run("sites", missing.toString()), "input=" + missing, "no such file");
        assertRefused(run("sites", dir.toString()), "input=" + dir, "is a directory");
        assertRefused(run("prelink", dir.toString(), "-o", dir.resolve("o").toString()), "input=" + dir,
                "is a directory");
        assertFalse(Files.exists(dir.resolve("o")));
    }

    @Test
    void diffNamesItsBadFileAndExitsLikeDiff() throws IOException {
        Path a = IMAGES.resolve("pvsample-x86_64");
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[100]);
        Path missing = dir.resolve("missing");
        Run r1 = run("diff", junk.toString(), a.toString());
        assertEquals(2, r1.status());
        assertTrue(r1.err().contains("before=" + junk + ": not an ELF file"), r1.err());
        Run r2 = run("diff", a.toString(), junk.toString());
        assertEquals(2, r2.status());
        assertTrue(r2.err().contains("after=" + junk + ": not an ELF file"), r2.err());
        Run r3 = run("diff", a.toString(), missing.toString());
        assertEquals(2, r3.status());
        assertTrue(r3.err().contains("after=" + missing + ": no such file"), r3.err());
        Run r4 = run("diff", dir.toString(), a.toString());
        assertEquals(2, r4.status());
        assertTrue(r4.err().contains("before=" + dir + " is a directory"), r4.err());
        Run r5 = run("diff", a.toString(), IMAGES.resolve("pvsample-i386").toString());
        assertEquals(2, r5.status());
        assertTrue(r5.err().contains("after=") && r5.err().contains("before="), r5.err());
        assertEquals(2, run("diff", a.toString()).status());
        Run same = run("diff", a.toString(), a.toString());
        assertEquals(0, same.status(), same.err());
        Path pre = dir.resolve("pre");
        assertEquals(0, run("prelink", a.toString(), "-o", pre.toString()).status());
        Run differ = run("diff", a.toString(), pre.toString());
        assertEquals(1, differ.status(), differ.err());
        assertTrue(differ.out().contains("9 of 9 sites differ\n"), differ.out());
        assertTrue(differ.out().endsWith("0 bytes differ outside the sites\n"), differ.out());
        assertEquals("", differ.err());
    }

    @Test
    void theHelperAloneCommitsOnceAndCleansUp() throws IOException {
        Path out = previousOutput();
        byte[] before = Files.readAllBytes(out);
        try (OutputFile f = OutputFile.prepare(out)) {
            assertTrue(Files.exists(f.temporary()));
            assertEquals(out.getParent(), f.temporary().getParent());
            // Work that throws: close deletes the temporary file, the target is untouched.
        }
        assertArrayEquals(before, Files.readAllBytes(out));
        assertEquals(List.of(), strays(dir, "out.pre"));
        OutputFile f = OutputFile.prepare(out);
        f.commit(new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(out));
        assertThrows(IllegalStateException.class, () -> f.commit(new byte[0]));
        f.close();
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(out));
        assertEquals(List.of(), strays(dir, "out.pre"));
        OutputFile.Refused e = assertThrows(OutputFile.Refused.class,
                () -> OutputFile.prepare(out, out, false));
        assertTrue(e.getMessage().contains("is the input"), e.getMessage());
        OutputFile g = OutputFile.prepare(out, failing("write"));
        assertThrows(OutputFile.Refused.class, () -> g.commit(new byte[4096]));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(out));
        assertEquals(List.of(), strays(dir, "out.pre"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"kill", "exit"})
    void aKilledOrExitingRunDeletesItsTemporaryFile(String how) throws Exception {
        Path out = previousOutput();
        byte[] before = Files.readAllBytes(out);
        String classes = Path.of(OutputFile.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        String tests = Path.of(OutputFileProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                classes + java.io.File.pathSeparator + tests, OutputFileProbe.class.getName(), out.toString(),
                how.equals("kill") ? "wait" : "exit").redirectErrorStream(true).start();
        java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8));
        String line = lines.readLine();
        assertTrue(line != null && line.startsWith("temporary="), String.valueOf(line));
        Path temp = Path.of(line.substring("temporary=".length()));
        if (how.equals("kill")) {
            assertTrue(Files.exists(temp), "the probe holds its temporary file while it works");
            p.destroy();   // SIGTERM, as kill does; Ctrl-C's SIGINT runs the same hooks
        }
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertFalse(Files.exists(temp), temp + " left behind");
        assertArrayEquals(before, Files.readAllBytes(out));
        assertEquals(List.of(), strays(dir, "out.pre"));
    }

    @Test
    void aRefusedInPlacePrelinkLeavesTheInput() throws IOException {
        Path input = dir.resolve("vmlinux");
        byte[] lying = Files.readAllBytes(IMAGES.resolve("pvsample-x86_64"));
        io.github.pvpatch.linux.KernelImage k = io.github.pvpatch.linux.KernelImage.read(lying.clone());
        io.github.pvpatch.linux.ElfFile.Section text = k.sectionOf(0);
        lying[(int) (text.offset() + k.sites().get(0).address() - text.address()) + 2] ^= 0x10;
        Files.write(input, lying);
        assertRefused(run("prelink", input.toString(), "--in-place"), "violation=ORIGINAL_MISMATCH");
        assertArrayEquals(lying, Files.readAllBytes(input));
        assertEquals(List.of(), strays(dir, "vmlinux"));
    }

    // ---- A real full disk and a real read-only directory: tmpfs mounts, when this runs as root.

    private static boolean sh(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void aRealFullDiskLeavesThePreviousOutput() throws IOException {
        Path mnt = Files.createDirectory(dir.resolve("full"));
        assumeTrue(sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt.toString()),
                "cannot mount a tmpfs here (not root?): the injected disk failures above stand in");
        try {
            Path out = mnt.resolve("out.pre");
            Path in = IMAGES.resolve("pvsample-x86_64");
            Run first = run("prelink", in.toString(), "-o", out.toString());
            assertEquals(0, first.status(), first.err());
            byte[] before = Files.readAllBytes(out);
            // Fill the device.
            try (OutputStream filler = Files.newOutputStream(mnt.resolve("filler"))) {
                byte[] block = new byte[1024];
                for (int i = 0; i < 1024; i++) {
                    filler.write(block);
                    filler.flush();
                }
            } catch (IOException full) {
                assertTrue(String.valueOf(full.getMessage()).contains("No space left"), full.getMessage());
            }
            Run r = run("prelink", IMAGES.resolve("pvsample-x86_64-stripped").toString(), "-o", out.toString());
            assertRefused(r, "cannot write output=" + out, "No space left on device", "it is unchanged");
            assertArrayEquals(before, Files.readAllBytes(out));
            assertEquals(List.of(), strays(mnt, "out.pre", "filler"));
        } finally {
            assertTrue(sh("umount", mnt.toString()));
        }
    }

    @Test
    void aRealReadOnlyDirectoryIsRefusedBeforeAnyWork() throws IOException {
        Path mnt = Files.createDirectory(dir.resolve("ro"));
        assumeTrue(sh("mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", mnt.toString()),
                "cannot mount a tmpfs here (not root?): the injected create failure above stands in");
        try {
            Path out = mnt.resolve("out.pre");
            Run r = run("prelink", IMAGES.resolve("pvsample-x86_64").toString(), "-o", out.toString());
            assertRefused(r, "output=" + out, "not writable");
            assertEquals("", r.out());
            assertFalse(Files.exists(out));
        } finally {
            assertTrue(sh("umount", mnt.toString()));
        }
    }
}
