package io.github.pvpatch.zydis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Loads the shim once, on first use: from {@code -Dpvpatch.zydis.library=/path/to/lib} when set,
 * else from the jar ({@code META-INF/native/<os>-<arch>/}), extracted to a private temporary
 * file. A failure is remembered and reported the same way on every later use.
 */
final class NativeLoader {
    /** The system property that points at another copy of the shim. */
    static final String LIBRARY_PROPERTY = "pvpatch.zydis.library";
    static final String LIBRARY_NAME = "libpvpatch_zydis.so";

    private static final Throwable FAILURE = load();

    private NativeLoader() {
    }

    /** {@return null when loaded, else why not} */
    static Throwable failure() {
        return FAILURE;
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName = os.contains("linux") ? "linux" : os.replace(' ', '_');
        String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch;
        return osName + "-" + archName;
    }

    private static Throwable load() {
        String override = System.getProperty(LIBRARY_PROPERTY);
        String where = override != null && !override.isEmpty()
                ? "the Zydis shim at -D" + LIBRARY_PROPERTY + "=" + override
                : "the pvpatch Zydis shim in this jar";
        try {
            if (override != null && !override.isEmpty()) {
                System.load(Path.of(override).toAbsolutePath().toString());
                return null;
            }
            String resource = "/META-INF/native/" + platform() + "/" + LIBRARY_NAME;
            try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
                if (in == null) {
                    return new ZydisUnavailableException("the pvpatch Zydis shim has no build for platform="
                            + platform() + " in this jar (looked for " + resource + "); build it from source, or set -D"
                            + LIBRARY_PROPERTY + "=/path/to/" + LIBRARY_NAME, null);
                }
                Path file = Files.createTempFile("pvpatch-zydis-", ".so",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                try {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                    System.load(file.toString());
                } finally {
                    // Once loaded, the mapping outlives the file; nothing is left in /tmp.
                    Files.deleteIfExists(file);
                }
            }
            return null;
        } catch (IllegalCallerException e) {
            // JDK 22+ with --illegal-native-access=deny: loading is a restricted method.
            return new ZydisUnavailableException(where + " may not be loaded: native access is denied; run with"
                    + " --enable-native-access=io.github.pvpatch (ALL-UNNAMED on the class path)", e);
        } catch (IOException | UnsatisfiedLinkError | SecurityException | UnsupportedOperationException e) {
            return new ZydisUnavailableException(where + " could not be loaded: " + e.getMessage(), e);
        }
    }
}
