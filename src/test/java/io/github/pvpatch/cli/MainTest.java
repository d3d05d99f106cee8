package io.github.pvpatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command as a user meets it: output, files written, exit status, and one-line errors. */
class MainTest {
    private static final Path IMAGES = Path.of("target/test-images");

    @TempDir
    Path dir;

    /** Output, error output and status of one run. */
    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void demoPatchesBothSampleImagesVerified() {
        Run r = run("demo");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("== pvsample-x86_64: x86-64, 9 sites"), r.out());
        assertTrue(r.out().contains("== pvsample-i386: x86-32, 9 sites"), r.out());
        assertTrue(r.out().contains("after  fa 0f 1f 44 00 00                 cli; nop"), r.out());
        assertTrue(r.out().contains("9 sites, 9 verified: {NOP_PAD=1, INLINE_NATIVE=6, DIRECT_CALL=2}"), r.out());
        assertTrue(r.out().contains("callee-save thunk around call"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void sitesListsEveryRecordOfImagesAndModules() {
        Run image = run("sites", IMAGES.resolve("pvsample-x86_64-stripped").toString());
        assertEquals(0, image.status(), image.err());
        assertTrue(image.out().contains("x86-64 vmlinux, .parainstructions ABSOLUTE_64, 9 sites; pv_ops 0x"),
                image.out());
        assertTrue(image.out().contains("from the sites' calls (9 of 9 agree)"), image.out());
        // A header, a column header, the 9 sites, and the counts by table and by outcome.
        assertEquals(2 + 9 + 2, image.out().lines().count());
        assertTrue(image.out().contains("sites by table: {PARAINSTRUCTIONS=9}"), image.out());
        assertTrue(image.out().contains("sites by outcome on {ALWAYS}: {SLOT=9}"), image.out());
        Run module = run("sites", IMAGES.resolve("pvsample-i386-module.o").toString());
        assertEquals(0, module.status(), module.err());
        assertTrue(module.out().contains("x86-32 module"), module.out());
        assertTrue(module.out().contains("pv_ops[7]"), module.out());
        Run forced = run("sites", IMAGES.resolve("pvsample-x86_64-relative").toString(), "--layout", "relative_6");
        assertEquals(0, forced.status(), forced.err());
    }

    @Test
    void prelinkWritesTheImageAndDiffShowsEverySite() throws IOException {
        Path in = IMAGES.resolve("pvsample-i386");
        Path out = dir.resolve("prelinked");
        Run p = run("prelink", in.toString(), "-o", out.toString(), "--verify");
        assertEquals(0, p.status(), p.err());
        assertTrue(p.out().contains("verified: 9 of 9 sites"), p.out());
        assertTrue(p.out().contains(".init.text"), p.out());
        byte[] before = Files.readAllBytes(in);
        byte[] after = Files.readAllBytes(out);
        assertEquals(before.length, after.length);
        Run d = run("diff", in.toString(), out.toString());
        assertEquals(1, d.status(), d.err());   // diff(1): 1 when they differ
        assertTrue(d.out().contains("9 of 9 sites differ\n"), d.out());
        assertTrue(d.out().endsWith("0 bytes differ outside the sites\n"), d.out());
        assertTrue(d.out().contains("+ fb 0f 1f 84 00 00 00 00 00 90     sti; nop"), d.out());
        Run same = run("diff", in.toString(), in.toString());
        assertEquals(0, same.status(), same.err());
        assertTrue(same.out().contains("0 of 9 sites differ\n"), same.out());
        // pvpatch's own output is first-class input: diff in the other order, sites, prelink again.
        Run reversed = run("diff", out.toString(), in.toString());
        assertEquals(1, reversed.status(), reversed.err());
        assertTrue(reversed.out().contains("9 of 9 sites differ\n"), reversed.out());
        assertTrue(reversed.out().contains("- fb 0f 1f 84 00 00 00 00 00 90     sti; nop"), reversed.out());
        Run listed = run("sites", out.toString());
        assertEquals(0, listed.status(), listed.err());
        assertTrue(listed.out().contains("{PRELINKED=9}"), listed.out());
        Path twice = dir.resolve("twice");
        Run again = run("prelink", out.toString(), "-o", twice.toString());
        assertEquals(0, again.status(), again.err());
        org.junit.jupiter.api.Assertions.assertArrayEquals(after, Files.readAllBytes(twice));
    }

    @Test
    void lenientPrelinkCountsAndListsTheSiteItLeaves() throws IOException {
        byte[] file = Files.readAllBytes(IMAGES.resolve("pvsample-x86_64"));
        io.github.pvpatch.linux.KernelImage k = io.github.pvpatch.linux.KernelImage.read(file);
        io.github.pvpatch.linux.ElfFile.Section text = k.sectionOf(0);
        file[(int) (text.offset() + (k.sites().get(0).address() - text.address())) + 2] ^= 0x08;   // another slot
        Path in = dir.resolve("broken");
        Files.write(in, file);
        Run strict = run("prelink", in.toString(), "-o", dir.resolve("strict").toString());
        assertEquals(1, strict.status(), strict.out());
        Run p = run("prelink", in.toString(), "-o", dir.resolve("lenient").toString(), "--lenient", "--verify");
        assertEquals(0, p.status(), p.err());
        // The left site is no strategy's: the counts say how many were left, and the list says why.
        assertTrue(p.out().lines().anyMatch(l -> l.startsWith("  total") && l.endsWith("}, 1 left unpatched")), p.out());
        assertTrue(p.out().lines().anyMatch(l -> l.startsWith("  " + text.name()) && l.endsWith("}, 1 left unpatched")),
                p.out());
        assertTrue(p.out().contains("  left unpatched: violation=ORIGINAL_MISMATCH site=0x"
                + Long.toHexString(k.sites().get(0).address())), p.out());
        assertTrue(p.out().contains("verified: 8 of 9 sites"), p.out());
    }

    @Test
    void badInputIsOneLineAndStatusOne() throws IOException {
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[64]);
        assertError(run("sites", junk.toString()), "not an ELF file");
        assertError(run("sites", dir.resolve("missing").toString()), "no such file");
        Path cut = dir.resolve("cut");
        Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(IMAGES.resolve("pvsample-x86_64")), 700));
        assertError(run("sites", cut.toString()), "runs past the end of the file");
        assertError(run("prelink", IMAGES.resolve("pvsample-x86_64-module.o").toString(), "-o",
                dir.resolve("x").toString()), "a module has no pv_ops");
        // A site whose bytes are not its call: the record lies, the prelink refuses, nothing is written.
        byte[] lying = Files.readAllBytes(IMAGES.resolve("pvsample-x86_64"));
        io.github.pvpatch.linux.KernelImage k = io.github.pvpatch.linux.KernelImage.read(lying.clone());
        io.github.pvpatch.PatchSite first = k.sites().get(0);
        io.github.pvpatch.linux.ElfFile.Section text = k.sectionOf(0);
        lying[(int) (text.offset() + first.address() - text.address()) + 2] ^= 0x10;
        Path liar = dir.resolve("liar");
        Files.write(liar, lying);
        Path never = dir.resolve("never");
        assertError(run("prelink", liar.toString(), "-o", never.toString()), "violation=ORIGINAL_MISMATCH");
        assertFalse(Files.exists(never));
        // diff(1): trouble is 2.
        assertError(run("diff", IMAGES.resolve("pvsample-x86_64").toString(), IMAGES.resolve("pvsample-i386").toString()),
                "is x86-32", 2);
    }

    @Test
    void aLargeBadInputIsStillOneLineOnStandardError() throws IOException {
        // Above 4 MB the command once announced "reading big (5 MB)…" on standard error before the error.
        Path big = dir.resolve("big");
        Files.write(big, new byte[5 << 20]);
        Path never = dir.resolve("never");
        assertError(run("sites", big.toString()), "input=" + big + ": not an ELF file");
        assertError(run("prelink", big.toString(), "-o", never.toString()), "input=" + big + ": not an ELF file");
        assertError(run("diff", big.toString(), big.toString()), "before=" + big + ": not an ELF file", 2);
        assertFalse(Files.exists(never));
        // --verbose narrates on standard output; standard error still holds the error alone.
        Run verbose = run("prelink", big.toString(), "-o", never.toString(), "--verbose");
        assertError(verbose, "input=" + big + ": not an ELF file");
        assertEquals("pvpatch: reading big (5 MB)…\n", verbose.out());
        assertFalse(Files.exists(never));
    }

    @Test
    void verboseAnnouncesEachStageOnStandardOutput() throws IOException {
        Path in = IMAGES.resolve("pvsample-x86_64");
        Run v = run("prelink", in.toString(), "-o", dir.resolve("v").toString(), "--verify", "--verbose");
        assertEquals(0, v.status(), v.err());
        assertEquals("", v.err());
        String[] lines = v.out().split("\n");
        assertEquals("pvpatch: reading pvsample-x86_64 (" + Files.size(in) + " bytes)…", lines[0]);
        assertTrue(lines[1].matches("pvpatch: prelinking 9 sites in \\d+ sections, verifying each with Zydis…"),
                lines[1]);
        Run quiet = run("prelink", in.toString(), "-o", dir.resolve("q").toString(), "--verify");
        assertEquals(0, quiet.status(), quiet.err());
        assertEquals("", quiet.err());
        assertFalse(quiet.out().contains("pvpatch: "), quiet.out());
        assertEquals(lines.length - 2, quiet.out().lines().count(), "the same summary, without the two stages");
        Run sites = run("sites", in.toString(), "--verbose");
        assertTrue(sites.out().startsWith("pvpatch: reading pvsample-x86_64 ("), sites.out());
        assertEquals("", sites.err());
        Run diff = run("diff", in.toString(), dir.resolve("v").toString(), "--verbose");
        assertEquals(1, diff.status(), diff.err());
        assertTrue(diff.out().startsWith("pvpatch: reading pvsample-x86_64 (" + Files.size(in) + " bytes)…\n"
                + "pvpatch: reading v ("), diff.out());
        assertEquals("", diff.err());
        // A stripped image's prelinked copy finds no pv_ops of its own: diff parses it again with
        // the other's, from the bytes it already read; each file is announced (and read) once.
        Path stripped = IMAGES.resolve("pvsample-x86_64-stripped");
        assertEquals(0, run("prelink", stripped.toString(), "-o", dir.resolve("s").toString()).status());
        Run retried = run("diff", stripped.toString(), dir.resolve("s").toString(), "--verbose");
        assertEquals(1, retried.status(), retried.err());
        assertEquals(java.util.List.of("pvpatch: reading pvsample-x86_64-stripped", "pvpatch: reading s"),
                retried.out().lines().filter(l -> l.startsWith("pvpatch: reading")).map(l -> l.replaceFirst(" \\(.*",
                        "")).collect(java.util.stream.Collectors.toList()));
        assertEquals(2, run("demo", "--verbose").status(), "demo reads no file: it takes no --verbose");
    }

    private static void assertError(Run r, String part) {
        assertError(r, part, 1);
    }

    private static void assertError(Run r, String part, int status) {
        assertEquals(status, r.status(), r.out() + r.err());
        assertTrue(r.err().startsWith("pvpatch: ") && r.err().contains(part), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void badUsageShowsTheUsageAndStatusTwo() {
        for (String[] args : new String[][] {{}, {"frobnicate"}, {"prelink", "x"}, {"sites"}, {"sites", "a", "b"},
            {"sites", "a", "--layout"}, {"sites", "a", "--layout", "nope"}, {"sites", "a", "--bogus"}, {"demo", "x"}}) {
            Run r = run(args);
            assertEquals(2, r.status(), String.join(" ", args));
            assertTrue(r.err().contains("usage: pvpatch demo"), r.err());
        }
        Run help = run("--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("pvpatch prelink <image> -o <out>"));
    }

    @Test
    void cpuFeaturesChooseWhatSitesAndPrelinkWrite() throws IOException {
        Path in = dir.resolve("alt");
        Files.write(in, io.github.pvpatch.linux.AltImage.sample(false));
        Run bare = run("sites", in.toString());
        assertEquals(0, bare.status(), bare.err());
        assertTrue(bare.out().contains(".altinstructions FT_FLAGS_14, 3 sites"), bare.out());
        assertTrue(bare.out().contains("*ALT_NOT(XENPV) [fa]"), bare.out());
        assertTrue(bare.out().contains("*ALT_NOT(PVUNLOCK) [c6 07 00]"), bare.out());
        assertTrue(bare.out().contains("sites by table: {ALTINSTRUCTIONS=3}"), bare.out());
        assertTrue(bare.out().contains("sites by outcome on {ALWAYS}: {REPLACEMENT=2, SLOT=1}"), bare.out());
        Run kvm = run("sites", in.toString(), "--cpu-features", "PVUNLOCK,277");
        assertEquals(0, kvm.status(), kvm.err());
        assertTrue(kvm.out().contains(" ALT_NOT(PVUNLOCK) [c6 07 00]"), kvm.out());   // listed, not chosen
        assertTrue(kvm.out().contains("{REPLACEMENT=1, LEFT_TO_KERNEL=2}"), kvm.out());
        Path out = dir.resolve("alt.pre");
        Run p = run("prelink", in.toString(), "-o", out.toString(), "--verify");
        assertEquals(0, p.status(), p.err());
        assertTrue(p.out().contains("bytes changed outside the sites: 3"), p.out());
        Run d = run("diff", out.toString(), in.toString());
        assertEquals(1, d.status(), d.err());   // diff(1): they differ
        assertTrue(d.out().contains("3 of 3 sites differ"), d.out());
        assertTrue(d.out().contains(".altinstructions+0x26 (entry 2): 03 -> 02"), d.out());
        assertTrue(d.out().endsWith("3 bytes differ outside the sites\n"), d.out());
        Run given = run("sites", in.toString(), "--pv-ops", "0xffffffff82000030");
        assertTrue(given.out().contains("pv_ops 0xffffffff82000030 (given)"), given.out());
        assertEquals(2, run("sites", in.toString(), "--cpu-features", "KVM").status());
        assertEquals(2, run("sites", in.toString(), "--pv-ops", "xyz").status());
        assertTrue(run("--help").out().contains("--cpu-features <LIST>"));
    }

    @Test
    void aBadAlternativesTableIsRefusedAndNothingIsWritten() throws IOException {
        Path in = dir.resolve("bad-alt");
        Files.write(in, io.github.pvpatch.linux.AltImage.sample(true));
        Path out = dir.resolve("bad-alt.pre");
        Run r = run("prelink", in.toString(), "-o", out.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains(".altinstructions entry 1 at 0xffffffff8310000e"), r.err());
        assertTrue(r.err().contains("outside .altinstr_replacement"), r.err());
        assertFalse(Files.exists(out));
    }
}
