package io.github.pvpatch.outside;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code pvpatch} command as a separate process, the way a user runs it: the exit codes the
 * README promises (0 ok, 1 bad input or refused, 2 usage; diff 0 same, 1 differ, 2 trouble), one
 * line naming the file, and no file of the user's changed by a failed run.
 */
class CliAsANewUserTest {
    @TempDir
    Path dir;

    record Run(int status, String out, String err) {
    }

    private static String classPath() {
        List<String> entries = new ArrayList<>();
        for (String prop : new String[] {"jdk.module.path", "java.class.path"}) {
            String v = System.getProperty(prop, "");
            if (!v.isEmpty()) {
                entries.addAll(Arrays.asList(v.split(File.pathSeparator)));
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private Run pvpatch(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath(), "io.github.pvpatch.cli.Main"));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile())
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "pvpatch " + String.join(" ", args) + " finished");
        Run r = new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    private Path sample(String name) throws IOException {
        Path p = dir.resolve(name);
        Files.copy(Path.of("target/test-images", name), p);
        return p;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static void refused(Run r, int status, String... needles) {
        assertEquals(status, r.status(), r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        for (String n : needles) {
            assertTrue(last.contains(n), "'" + n + "' in the last line: " + r.err());
        }
    }

    @Test
    void helpVersionAndUsageErrors() throws Exception {
        Run help = pvpatch("--help");
        assertEquals(0, help.status());
        String readme = Files.readString(Path.of("README.md"));
        assertTrue(readme.contains("$ pvpatch --help\n" + help.out()), "README shows the real --help:\n" + help.out());
        for (String cmd : new String[] {"demo", "sites", "prelink", "diff"}) {
            Run h = pvpatch("help", cmd);
            assertEquals(0, h.status(), h.err());
            assertTrue(h.out().startsWith("usage: pvpatch " + cmd), h.out());
        }
        Run version = pvpatch("--version");
        assertEquals(0, version.status());
        assertTrue(version.out().matches("(?s)pvpatch \\d+\\.\\d+\\.\\d+.*\\nZydis \\d+\\.\\d+.*"), version.out());
        for (String[] usage : new String[][] {{}, {"nosuch"}, {"help", "nosuch"}, {"sites"}, {"prelink", "x"},
                {"prelink", "x", "-o"}, {"diff", "a"}, {"sites", "x", "--bogus"}, {"sites", "x", "--layout", "FOO"}}) {
            Run r = pvpatch(usage);
            assertEquals(2, r.status(), String.join(" ", usage) + ": " + r.err());
            assertTrue(r.err().contains("usage: pvpatch"), r.err());
            assertEquals("", r.out());
        }
    }

    @Test
    void badInputIsOneLineNamingTheFileAndExitOne() throws Exception {
        Path elf = sample("pvsample-x86_64");
        byte[] bytes = Files.readAllBytes(elf);
        Files.write(dir.resolve("garbage"), new byte[4096]);
        Files.write(dir.resolve("header-only"), Arrays.copyOf(bytes, 40));
        Files.write(dir.resolve("truncated"), Arrays.copyOf(bytes, bytes.length / 3));
        Files.createDirectory(dir.resolve("adir"));
        refused(pvpatch("sites", "nosuch"), 1, "nosuch");
        refused(pvpatch("sites", "adir"), 1, "adir", "directory");
        refused(pvpatch("sites", "garbage"), 1, "garbage", "not an ELF");
        refused(pvpatch("sites", "header-only"), 1, "header-only", "truncated?");
        refused(pvpatch("sites", "truncated"), 1, "truncated");
        refused(pvpatch("diff", "garbage", "pvsample-x86_64"), 2, "before=garbage");
        refused(pvpatch("diff", "pvsample-x86_64", "nosuch"), 2, "after=nosuch");
    }

    @Test
    void aFailedRunChangesNoFile() throws Exception {
        Path elf = sample("pvsample-x86_64");
        byte[] input = Files.readAllBytes(elf);
        Files.write(dir.resolve("garbage"), new byte[4096]);
        Files.writeString(dir.resolve("previous.pre"), "previous output");
        Files.createDirectory(dir.resolve("adir"));
        List<String> before = files();
        refused(pvpatch("prelink", "pvsample-x86_64", "-o", "pvsample-x86_64"), 1, "output=pvsample-x86_64");
        refused(pvpatch("prelink", "pvsample-x86_64", "-o", "./pvsample-x86_64"), 1, "input");
        Files.createSymbolicLink(dir.resolve("link"), elf.getFileName());
        refused(pvpatch("prelink", "link", "-o", "pvsample-x86_64"), 1, "input");
        refused(pvpatch("prelink", "garbage", "-o", "previous.pre"), 1, "garbage");
        refused(pvpatch("prelink", "pvsample-x86_64", "-o", "adir"), 1, "adir");
        refused(pvpatch("prelink", "pvsample-x86_64", "-o", "nodir/out.pre"), 1, "nodir");
        assertArrayEquals(input, Files.readAllBytes(elf), "the input is byte-identical");
        assertEquals("previous output", Files.readString(dir.resolve("previous.pre")));
        List<String> after = files();
        after.remove("link");
        assertEquals(before, after, "no temporary or partial file is left behind");
    }

    @Test
    void prelinkThenDiffFollowsDiff1() throws Exception {
        sample("pvsample-x86_64");
        sample("pvsample-i386");
        Run ok = pvpatch("prelink", "pvsample-x86_64", "-o", "out.pre", "--verify");
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().contains("wrote out.pre"), ok.out());
        assertEquals(0, pvpatch("diff", "pvsample-x86_64", "pvsample-x86_64").status());
        Run differ = pvpatch("diff", "pvsample-x86_64", "out.pre");
        assertEquals(1, differ.status(), differ.err());
        assertTrue(differ.out().contains("9 of 9 sites differ"), differ.out());
        Run isas = pvpatch("diff", "pvsample-i386", "pvsample-x86_64");
        refused(isas, 2, "x86-64");
        // --in-place replaces the input atomically, keeping no temporary file
        Path copy = dir.resolve("copy");
        Files.copy(dir.resolve("pvsample-x86_64"), copy);
        List<String> before = files();
        assertEquals(0, pvpatch("prelink", "copy", "--in-place").status());
        assertArrayEquals(Files.readAllBytes(dir.resolve("out.pre")), Files.readAllBytes(copy), "--in-place == -o");
        assertEquals(before, files());
    }
}
