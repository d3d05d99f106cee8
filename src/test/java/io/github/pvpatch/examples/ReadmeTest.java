package io.github.pvpatch.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's example must be the code {@link QuickStartTest} compiles and runs. */
class ReadmeTest {

    @Test
    void readmeShowsTheTestedExample() throws IOException {
        String test = Files.readString(Path.of("src/test/java/io/github/pvpatch/examples/QuickStartTest.java"));
        String region = test.substring(test.indexOf("// README-BEGIN\n") + 16, test.indexOf("        // README-END"));
        String example = region.lines().map(l -> l.startsWith("        ") ? l.substring(8) : l)
                .collect(Collectors.joining("\n"));
        String readme = Files.readString(Path.of("README.md"));
        assertTrue(readme.contains("```java\n" + example + "\n```"),
                "README.md's example differs from QuickStartTest's README-BEGIN..END region");
        assertTrue(readme.contains("mvn -B verify"), "the Quick start names the test command .ci/run runs");
    }
}
