package io.github.pvpatch.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's example must be the code {@link QuickStartTest} compiles and runs. */
class ReadmeTest {

    private static String region(String test, String name) {
        String begin = "// " + name + "-BEGIN\n";
        String region = test.substring(test.indexOf(begin) + begin.length(), test.indexOf("        // " + name + "-END"));
        return region.lines().map(l -> l.startsWith("        ") ? l.substring(8) : l).collect(Collectors.joining("\n"));
    }

    @Test
    void readmeShowsTheTestedExamples() throws IOException {
        String test = Files.readString(Path.of("src/test/java/io/github/pvpatch/examples/QuickStartTest.java"));
        String readme = Files.readString(Path.of("README.md"));
        for (String name : new String[] {"README", "VERIFY"}) {
            assertTrue(readme.contains("```java\n" + region(test, name) + "\n```"),
                    "README.md's example differs from QuickStartTest's " + name + "-BEGIN..END region");
        }
        assertTrue(readme.contains("mvn -B verify"), "the Quick start names the test command .ci/run runs");
    }

    @Test
    void readmeListsTheImportsTheExamplesNeed() throws IOException {
        String test = Files.readString(Path.of("src/test/java/io/github/pvpatch/examples/QuickStartTest.java"));
        String readme = Files.readString(Path.of("README.md"));
        String code = region(test, "README") + "\n" + region(test, "VERIFY");
        String imports = test.lines().filter(l -> l.startsWith("import ") && !l.startsWith("import static"))
                .filter(l -> !l.contains("junit"))
                .filter(l -> {
                    String simple = l.substring(l.lastIndexOf('.') + 1, l.length() - 1);
                    return java.util.regex.Pattern.compile("\\b" + simple + "\\b").matcher(code).find();
                })
                .collect(Collectors.joining("\n"));
        assertTrue(imports.contains("import io.github.pvpatch.x86.NopTable;"), imports);
        assertTrue(readme.contains("```java\n" + imports + "\n```"),
                "README.md's import block differs from what QuickStartTest's examples use:\n" + imports);
    }

    @Test
    void readmeTellsConsumersWhatTheyNeed() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        for (String needle : new String[] {"<artifactId>pvpatch</artifactId>",
                "--enable-native-access=io.github.pvpatch", "--enable-native-access=ALL-UNNAMED",
                "-Dpvpatch.zydis.library=", "java.io.tmpdir", "requires static org.tukaani.xz",
                "--add-modules org.tukaani.xz", "linux-aarch64", "windows-x86_64", "macOS is not built here"}) {
            assertTrue(readme.contains(needle), "README.md lacks " + needle);
        }
    }

    /** The Quick start's one install command names exactly the packages .ci/run installs on a fresh machine. */
    @Test
    void quickStartInstallsWhatCiInstalls() throws IOException {
        String ci = Files.readString(Path.of(".ci/run"));
        String list = ci.substring(ci.indexOf("packages=(") + "packages=(".length());
        java.util.Set<String> ciPackages = new java.util.TreeSet<>(java.util.List.of(
                list.substring(0, list.indexOf(')')).trim().split("\\s+")));
        String readme = Files.readString(Path.of("README.md"));
        String line = readme.substring(readme.indexOf("apt-get install -y --no-install-recommends "));
        line = line.substring(0, line.indexOf("\n", line.indexOf("\\\n") + 2)).replace("\\\n", " ");
        java.util.Set<String> readmePackages = new java.util.TreeSet<>(java.util.List.of(line.substring(
                "apt-get install -y --no-install-recommends ".length()).trim().split("\\s+")));
        assertTrue(ciPackages.size() >= 10, "read .ci/run's list: " + ciPackages);
        org.junit.jupiter.api.Assertions.assertEquals(ciPackages, readmePackages);
    }
}
