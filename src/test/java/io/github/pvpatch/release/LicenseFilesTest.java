package io.github.pvpatch.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The jar carries its own license and the full texts of what the shims link in: a consumer of
 * the jar alone has every notice the licenses require.
 */
class LicenseFilesTest {
    private static String resource(String name) throws IOException {
        try (InputStream in = LicenseFilesTest.class.getResourceAsStream(name)) {
            assertNotNull(in, "missing resource=" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void jarCarriesTheApacheLicenseAndTheRepositoryCopyIsTheSame() throws IOException {
        String license = resource("/META-INF/LICENSE");
        assertTrue(license.contains("Apache License") && license.contains("Version 2.0, January 2004"), license);
        assertEquals(Files.readString(Path.of("LICENSE")), license);
    }

    @Test
    void noticeNamesEveryBundledComponent() throws IOException {
        String notice = resource("/META-INF/NOTICE");
        for (String needle : new String[] {"Apache License, Version 2.0", "Zydis 4.0.0", "Zycore 1.4.1",
                "META-INF/native/zydis/LICENSE", "META-INF/native/zycore/LICENSE", "XZ for Java"}) {
            assertTrue(notice.contains(needle), "NOTICE lacks " + needle);
        }
    }

    @Test
    void fullMitTextsOfZydisAndZycoreSitBesideTheShims() throws IOException {
        for (String component : new String[] {"zydis", "zycore"}) {
            String text = resource("/META-INF/native/" + component + "/LICENSE");
            assertTrue(text.startsWith("The MIT License (MIT)"), component);
            assertTrue(text.contains("Florian Bernd") && text.contains("Joel Höner"), component);
            assertTrue(text.contains("The above copyright notice and this permission notice shall be included"),
                    component);
            assertEquals(Files.readString(Path.of("src/main/native/vendor", component, "LICENSE")), text);
        }
    }

    @Test
    void javadocFooterAgreesWithTheLicense() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        assertTrue(pom.contains("<bottom>Copyright &#169; 2026 The pvpatch developers. Licensed under the Apache"
                + " License, Version 2.0.</bottom>"), "javadoc bottom");
        assertTrue(pom.contains("<name>Apache License, Version 2.0</name>"), "POM license");
    }
}
