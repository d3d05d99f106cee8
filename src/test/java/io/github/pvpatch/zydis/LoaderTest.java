package io.github.pvpatch.zydis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How the shim loads, seen from a fresh JVM each time: from the system property when it is set,
 * with a clear {@link ZydisUnavailableException} when that copy is missing, and without harm to
 * the rest of the library.
 */
class LoaderTest {
    private static String run(String... props) throws Exception {
        String classes = Path.of(Zydis.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String tests = Path.of(LoaderProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(props));
        cmd.addAll(List.of("-cp", classes + File.pathSeparator + tests, LoaderProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void missingShimIsReportedClearlyAndTheRestWorks() throws Exception {
        String out = run("-Dpvpatch.zydis.library=/nonexistent/libpvpatch_zydis.so");
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("why=the Zydis shim at -Dpvpatch.zydis.library=/nonexistent/libpvpatch_zydis.so"
                + " could not be loaded: "), out);
                assertTrue(out.contains("decoder=ZydisUnavailableException"), out);
        assertTrue(out.contains("patched=660f1f440000"), out);
    }

    @Test
    void shimLoadsFromTheJarResourceAndFromAnExplicitPath() throws Exception {
        String fromJar = run();
        assertTrue(fromJar.contains("available=true"), fromJar);
        assertTrue(fromJar.contains("decoder=created"), fromJar);
        Path lib = Path.of(Zydis.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("META-INF/native/" + NativeLoader.platform() + "/" + NativeLoader.LIBRARY_NAME);
        String explicit = run("-Dpvpatch.zydis.library=" + lib);
        assertTrue(explicit.contains("available=true"), explicit);
    }
}
