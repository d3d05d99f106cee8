package io.github.pvpatch.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ParaSite} and {@link ParavirtSite} are values read from an image: equal when every part is. */
class SiteValuesTest {
    private static byte[] image(String name) throws IOException {
        return Files.readAllBytes(Path.of("target/test-images", name));
    }

    @Test
    void readingAnImageTwiceGivesEqualSites() throws IOException {
        KernelImage a = KernelImage.read(image("pvsample-x86_64"));
        KernelImage b = KernelImage.read(image("pvsample-x86_64"));
        assertEquals(a.records(), b.records());
        assertEquals(a.records().hashCode(), b.records().hashCode());
        List<ParavirtSite> sa = a.paravirtSites(CpuFeatures.defaults());
        List<ParavirtSite> sb = b.paravirtSites(CpuFeatures.defaults());
        assertEquals(sa, sb);
        assertEquals(sa.hashCode(), sb.hashCode());
        ParaSite first = a.records().get(0);
        assertNotEquals(first, a.records().get(1));
        assertTrue(first.toString().startsWith("ParaSite[section="), first.toString());
        assertTrue(first.relocatedSlot().isEmpty(), "a vmlinux names no slot by relocation");
        ParavirtSite site = sa.get(0);
        assertNotEquals(site, sa.get(1));
        assertEquals(first.address(), site.address());
        assertEquals(first.type(), site.slot().getAsInt());
        assertTrue(site.toString().startsWith("ParavirtSite[address=" + first.address() + ", "), site.toString());
        assertThrows(UnsupportedOperationException.class, () -> site.candidates().clear());
        // Another profile, another site value where the outcome differs.
        List<ParavirtSite> xen = a.paravirtSites(CpuFeatures.of(CpuFeatures.XENPV));
        assertNotEquals(sa, xen);
    }
}
