package io.github.pvpatch.zydis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;

/**
 * Loads the shim once, on first use: from {@code -Dpvpatch.zydis.library=/path/to/lib} when set,
 * else from the jar ({@code META-INF/native/<os>-<arch>/}, chosen by {@code os.name} and
 * {@code os.arch}), extracted to a private temporary file in {@code java.io.tmpdir}. A failure is
 * remembered and reported the same way on every later use.
 */
final class NativeLoader {
    /** The system property that points at another copy of the shim. */
    static final String LIBRARY_PROPERTY = "pvpatch.zydis.library";
    /** The platforms the jar carries a shim for, as {@code <os>-<arch>}. */
    static final List<String> SUPPORTED = List.of("linux-x86_64", "linux-aarch64", "windows-x86_64");

    private static final Throwable FAILURE = load();

    private NativeLoader() {
    }

    /** {@return null when loaded, else why not} */
    static Throwable failure() {
        return FAILURE;
    }

    /** {@return this JVM's platform as {@code <os>-<arch>}} */
    static String platform() {
        return platform(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    /** {@return the platform named by these {@code os.name} and {@code os.arch} values} */
    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        String osPart = os.startsWith("linux") ? "linux"
                : os.startsWith("windows") ? "windows"
                : os.startsWith("mac") || os.startsWith("darwin") ? "macos"
                : os.replaceAll("[^a-z0-9]+", "_");
        String archPart = switch (arch) {
            case "amd64", "x86_64", "x86-64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch.replaceAll("[^a-z0-9]+", "_");
        };
        return osPart + "-" + archPart;
    }

    /** {@return the shim's file name on this platform: a DLL on Windows, a shared object elsewhere} */
    static String libraryName(String platform) {
        return platform.startsWith("windows-") ? "pvpatch_zydis.dll" : "libpvpatch_zydis.so";
    }

    private static Throwable load() {
        String override = System.getProperty(LIBRARY_PROPERTY);
        if (override != null && !override.isEmpty()) {
            String where = "the Zydis shim at -D" + LIBRARY_PROPERTY + "=" + override;
            try {
                System.load(Path.of(override).toAbsolutePath().toString());
                return null;
            } catch (IllegalCallerException e) {
                return nativeAccessDenied(where, e);
            } catch (UnsatisfiedLinkError | SecurityException e) {
                return new ZydisUnavailableException(where + " could not be loaded: " + e.getMessage(), e);
            }
        }
        String platform = platform();
        String name = libraryName(platform);
        String resource = "/META-INF/native/" + platform + "/" + name;
        String where = "the pvpatch Zydis shim in this jar";
        String tmp = System.getProperty("java.io.tmpdir", "");
        try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                return new ZydisUnavailableException("the pvpatch Zydis shim has no build for platform=" + platform
                        + " (os.name=" + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch")
                        + ") in this jar (looked for " + resource + "); supported platforms=" + String.join(",",
                        SUPPORTED) + "; build src/main/c/pvpatch_zydis.c for it and set -D" + LIBRARY_PROPERTY
                        + "=/path/to/" + name, null);
            }
            Path file = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                    ? Files.createTempFile("pvpatch-zydis-", "-" + name,
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
                    : Files.createTempFile("pvpatch-zydis-", "-" + name);
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toString());
            } finally {
                // Once loaded, the mapping outlives the file on Linux: nothing is left in the temporary
                // directory. Windows keeps a loaded DLL's file locked; it goes when the JVM exits.
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    file.toFile().deleteOnExit();
                }
            }
            return null;
        } catch (IllegalCallerException e) {
            return nativeAccessDenied(where, e);
        } catch (IOException | UnsatisfiedLinkError | SecurityException | UnsupportedOperationException e) {
            return new ZydisUnavailableException(where + " (platform=" + platform + ") could not be extracted to"
                    + " java.io.tmpdir=" + tmp + " and loaded: " + e.getMessage() + "; if that directory is not"
                    + " writable or is mounted noexec (\"failed to map segment\"), run with -Djava.io.tmpdir=<a"
                    + " writable directory that allows execution>, or extract " + resource + " yourself and set -D"
                    + LIBRARY_PROPERTY + "=/path/to/" + name, e);
        }
    }

    private static ZydisUnavailableException nativeAccessDenied(String where, IllegalCallerException e) {
        // JDK 22+ with --illegal-native-access=deny: loading is a restricted method.
        return new ZydisUnavailableException(where + " may not be loaded: native access is denied; run with"
                + " --enable-native-access=io.github.pvpatch on the module path (ALL-UNNAMED on the class path)", e);
    }
}
