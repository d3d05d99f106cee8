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
                .resolve("META-INF/native/" + NativeLoader.platform() + "/"
                        + NativeLoader.libraryName(NativeLoader.platform()));
        String explicit = run("-Dpvpatch.zydis.library=" + lib);
        assertTrue(explicit.contains("available=true"), explicit);
    }

    @Test
    void platformIsChosenByOsNameAndOsArch() {
        assertEquals("linux-x86_64", NativeLoader.platform("Linux", "amd64"));
        assertEquals("linux-aarch64", NativeLoader.platform("Linux", "aarch64"));
        assertEquals("windows-x86_64", NativeLoader.platform("Windows 11", "amd64"));
        assertEquals("windows-x86_64", NativeLoader.platform("Windows Server 2022", "x86_64"));
        assertEquals("macos-aarch64", NativeLoader.platform("Mac OS X", "aarch64"));
        assertEquals("macos-x86_64", NativeLoader.platform("Mac OS X", "x86_64"));
        assertEquals("freebsd-x86_64", NativeLoader.platform("FreeBSD", "amd64"));
        assertEquals("linux-ppc64le", NativeLoader.platform("Linux", "ppc64le"));
        assertEquals("pvpatch_zydis.dll", NativeLoader.libraryName("windows-x86_64"));
        assertEquals("libpvpatch_zydis.so", NativeLoader.libraryName("linux-aarch64"));
        assertEquals(List.of("linux-x86_64", "linux-aarch64", "windows-x86_64"), NativeLoader.SUPPORTED);
    }

    @Test
    void everySupportedPlatformHasItsShimInTheBuild() throws Exception {
        // The build makes all three when the cross compilers exist; CI must have them.
        Path classes = Path.of(Zydis.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        for (String platform : NativeLoader.SUPPORTED) {
            Path shim = classes.resolve("META-INF/native/" + platform + "/" + NativeLoader.libraryName(platform));
            if ("true".equals(System.getenv("CI")) || platform.equals(NativeLoader.platform())) {
                assertTrue(java.nio.file.Files.size(shim) > 100_000, shim.toString());
            }
        }
    }

    @Test
    void unsupportedPlatformNamesTheSupportedOnes() throws Exception {
        String out = run("-Dos.name=Mac OS X", "-Dos.arch=aarch64");
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("no build for platform=macos-aarch64 (os.name=Mac OS X, os.arch=aarch64)"), out);
        assertTrue(out.contains("supported platforms=linux-x86_64,linux-aarch64,windows-x86_64"), out);
        assertTrue(out.contains("-Dpvpatch.zydis.library=/path/to/libpvpatch_zydis.so"), out);
        assertTrue(out.contains("decoder=ZydisUnavailableException"), out);
        assertTrue(out.contains("patched=660f1f440000"), out);
    }

    @Test
    void extractionFailureHintsAtTheTemporaryDirectory() throws Exception {
        String out = run("-Djava.io.tmpdir=/nonexistent/pvpatch-tmp");
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("could not be extracted to java.io.tmpdir=/nonexistent/pvpatch-tmp and loaded"), out);
        assertTrue(out.contains("mounted noexec (\"failed to map segment\"), run with -Djava.io.tmpdir="), out);
        assertTrue(out.contains("-Dpvpatch.zydis.library="), out);
    }
}
