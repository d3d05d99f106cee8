package io.github.pvpatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.zydis.Zydis;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code --help}, {@code help <command>}, {@code --version} and the README's command section. */
class HelpAndVersionTest {
    private static OutputSafetyTest.Run run(String... args) {
        return OutputSafetyTest.run(args);
    }

    /** Help text joins wrapped lines; compare words, not line breaks. */
    private static String flat(String s) {
        return s.replaceAll("\\s+", " ");
    }

    @Test
    void helpExplainsEveryCommandAndOption() {
        OutputSafetyTest.Run r = run("--help");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        assertEquals(Main.help(), r.out());
        assertEquals(r.out(), run("-h").out());
        assertEquals(r.out(), run("help").out());
        String text = flat(r.out());
        for (Main.Command c : Main.COMMANDS) {
            assertTrue(text.contains("pvpatch " + c.name()) && text.contains(c.text()), c.name());
        }
        for (Main.Option o : Main.OPTIONS) {
            assertTrue(text.contains(o.label()), o.name());
            assertTrue(text.contains(flat(o.text())), o.name() + " explained");
        }
        for (String named : new String[] {"--verify", "--lenient", "--layout", "--in-place", "--version", "-o"}) {
            assertTrue(Main.OPTIONS.stream().anyMatch(o -> o.name().equals(named) || o.alias().equals(named)), named);
        }
        assertTrue(text.contains("diff follows diff(1): 0 the sites are the same, 1 they differ, 2 trouble"), text);
        assertTrue(r.out().lines().allMatch(l -> l.length() <= 100), "fits 100 columns");
    }

    @Test
    void helpForACommandExplainsItsOptionsOnly() {
        for (Main.Command c : Main.COMMANDS) {
            OutputSafetyTest.Run r = run("help", c.name());
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().startsWith("usage: pvpatch " + c.name()), r.out());
            for (Main.Option o : Main.OPTIONS) {
                assertEquals(o.takes(c.name()), flat(r.out()).contains(flat(o.text())), c.name() + " " + o.name());
            }
            if (!c.name().equals("help")) {
                assertEquals(r.out(), run(c.name(), "--help").out());
            }
        }
        OutputSafetyTest.Run prelink = run("prelink", "-h");
        assertTrue(prelink.out().contains("--verify") && prelink.out().contains("--lenient")
                && prelink.out().contains("--layout <L>") && prelink.out().contains("--in-place"), prelink.out());
        // After a command, --help wins over the rest of the line, even a line that would be refused.
        for (String[] line : new String[][] {{"prelink", "--help", "extra"}, {"prelink", "a", "b", "-h"},
            {"sites", "--layout", "nope", "--help"}}) {
            OutputSafetyTest.Run r = run(line);
            assertEquals(0, r.status(), String.join(" ", line) + ": " + r.err());
            assertEquals(Main.help(line[0]), r.out(), String.join(" ", line));
            assertEquals("", r.err());
        }
        OutputSafetyTest.Run nope = run("help", "nope");
        assertEquals(2, nope.status());
        assertTrue(nope.err().startsWith("pvpatch: no command 'nope' to explain\n" + Main.usage()), nope.err());
    }

    @Test
    void usageErrorsAreStatusTwoWithTheShortUsage() {
        for (String[] args : new String[][] {{}, {"frobnicate"}, {"prelink", "x"}, {"sites", "--verify", "x"},
            {"diff", "a"}, {"help", "a", "b"}, {"prelink", "x", "-o"}, {"prelink", "x", "-o", "a", "-o", "b"},
            {"sites", "x", "--layout", "nope"}, {"--bogus"}, {"--version", "extra"}, {"--help", "extra"},
            {"-h", "prelink"}, {"help", "prelink", "extra"}}) {
            OutputSafetyTest.Run r = run(args);
            assertEquals(2, r.status(), String.join(" ", args));
            assertTrue(r.err().startsWith("pvpatch: ") && r.err().endsWith(Main.usage()), r.err());
            assertEquals(1 + Main.usage().lines().count(), r.err().lines().count(), r.err());
            assertEquals("", r.out());
        }
    }

    @Test
    void anUnexpectedArgumentIsNamed() {
        String[][] cases = {{"--version", "extra"}, {"--help", "extra"}, {"-h", "extra"}, {"help", "prelink", "extra"},
            {"sites", "a", "extra"}, {"diff", "a", "b", "extra"}};
        String[] says = {"--version takes none", "--help takes none (one command's help: pvpatch help <command>)",
            "-h takes none", "help takes at most one <command>", "sites takes 1 file argument, got 2",
            "diff takes 2 file arguments, got 3"};
        for (int i = 0; i < cases.length; i++) {
            OutputSafetyTest.Run r = run(cases[i]);
            assertEquals(2, r.status(), String.join(" ", cases[i]));
            String first = r.err().lines().findFirst().orElse("");
            assertTrue(first.startsWith("pvpatch: ") && first.contains("unexpected") && first.contains("'extra'")
                    && first.contains(says[i]), first);
            assertEquals("", r.out(), "no help or version printed");
        }
    }

    @Test
    void versionPrintsTheLibraryAndZydisVersions() throws IOException {
        OutputSafetyTest.Run r = run("--version");
        assertEquals(0, r.status(), r.err());
        Matcher m = Pattern.compile("<artifactId>pvpatch</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(m.find());
        assertTrue(r.out().startsWith("pvpatch " + m.group(1) + "\n"), r.out());
        assertFalse(r.out().contains("unknown"), r.out());
        assertTrue(Zydis.isAvailable());
        assertTrue(r.out().contains("\nZydis " + Zydis.version() + " "), r.out());
        assertTrue(Zydis.version().startsWith("4."), Zydis.version());
    }

    @Test
    void theReadmeShowsExactlyTheHelp() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        assertTrue(readme.contains("```\n$ pvpatch --help\n" + Main.help() + "```\n"),
                "README.md's command section must be `pvpatch --help`'s output:\n" + Main.help());
    }
}
