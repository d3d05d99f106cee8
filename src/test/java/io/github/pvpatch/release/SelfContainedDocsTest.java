package io.github.pvpatch.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The sources and the user documentation speak of the project alone: no comment or README line
 * cites a document the repository does not have (design notes, fact sheets, the mailing-list
 * thread the project started from). A reader of the javadoc must find the fact itself, not a
 * pointer to a file they cannot open.
 */
class SelfContainedDocsTest {
    /** Phrases that point outside the repository; case-insensitive. */
    static final Pattern OUTSIDE = Pattern.compile(String.join("|",
            "KERNEL-FACTS",
            "DESIGN\\.md",
            "STYLE\\.md",
            "HELPER-RULES",
            "/work/shared",
            "\\bseed/",
            "\\bseed (?:thread|post|document|design)",
            "\\bthe seed's",
            "\\boriginal thread",
            "\\bmailing[- ]list thread",
            "\\bthe thread's\\s*\"",
            "\\bas the thread\\b",
            "§\\s*\\d"), Pattern.CASE_INSENSITIVE);

    /** {@return every "file:line: text" in which {@link #OUTSIDE} matches} */
    static List<String> offenders(Path file, String text) {
        List<String> found = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = OUTSIDE.matcher(lines[i]);
            if (m.find()) {
                found.add(file + ":" + (i + 1) + ": '" + m.group() + "' in: " + lines[i].trim());
            }
        }
        return found;
    }

    private static List<Path> scanned() throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
            s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(files::add);
        }
        files.add(Path.of("README.md"));
        files.add(Path.of("module-info-docs/README.md"));
        return files;
    }

    @Test
    void noSourceOrReadmeCitesADocumentOutsideTheRepository() throws IOException {
        List<Path> files = scanned();
        // The walk must really have found the sources: an empty scan would pass vacuously.
        assertTrue(files.size() > 50, "scanned files=" + files.size());
        List<String> found = new ArrayList<>();
        for (Path f : files) {
            found.addAll(offenders(f, Files.readString(f, StandardCharsets.UTF_8)));
        }
        assertEquals(List.of(), found, "state the fact itself instead of citing a document outside the repository");
    }

    @Test
    void thePatternCatchesTheReferencesItIsFor() {
        for (String bad : new String[] {
                " * The record layouts of {@code .parainstructions} (KERNEL-FACTS 1.1).",
                " * as DESIGN.md section 8 says",
                "The seed thread thought disassembling the sequence \"seems like overkill\"",
                " * the seed's own feature",
                " * adds what the original thread asked for",
                "against a new ops table (the thread's \"late paravirtualization\")",
                " * see STYLE.md", " * (§ 4.2)", " * read /work/shared/seed/pvops.c"}) {
            assertEquals(1, offenders(Path.of("X.java"), bad).size(), bad);
        }
    }

    @Test
    void thePatternLeavesOrdinaryWordsAlone() {
        for (String good : new String[] {
                " * Immutable and thread-safe.", " * one object per thread", "-Dpvpatch.fuzz.seed=S reruns it",
                " * the thread's interrupt status is kept", " * the random seed of the run",
                " * the kernel's {@code struct paravirt_patch_site}"}) {
            assertEquals(List.of(), offenders(Path.of("X.java"), good), good);
        }
    }
}
