package io.github.pvpatch.zydis;

import java.util.Optional;

/**
 * Whether the Zydis disassembler is usable here, and which version is bound.
 *
 * <pre>{@code
 * if (Zydis.isAvailable()) {
 *     System.out.println("Zydis " + Zydis.version());   // Zydis 4.0.0.0
 * }
 * }</pre>
 */
public final class Zydis {
    private Zydis() {
    }

    /** {@return whether the shim is loaded (loading it on first call)} */
    public static boolean isAvailable() {
        return NativeLoader.failure() == null;
    }

    /** {@return why the shim is not usable, when it is not} */
    public static Optional<ZydisUnavailableException> unavailability() {
        return Optional.ofNullable((ZydisUnavailableException) NativeLoader.failure());
    }

    /**
     * Throws unless the shim is usable.
     *
     * @throws ZydisUnavailableException saying what is missing and how to fix it
     */
    public static void requireAvailable() {
        Throwable t = NativeLoader.failure();
        if (t != null) {
            ZydisUnavailableException e = (ZydisUnavailableException) t;
            throw new ZydisUnavailableException(e.getMessage(), e.getCause());
        }
    }

    /**
     * {@return the version of Zydis the shim was built with, such as {@code 4.0.0.0}}
     *
     * @throws ZydisUnavailableException if the shim is not usable
     */
    public static String version() {
        requireAvailable();
        long v = ZydisNative.version();
        return (v >>> 48 & 0xFFFF) + "." + (v >>> 32 & 0xFFFF) + "." + (v >>> 16 & 0xFFFF) + "." + (v & 0xFFFF);
    }

    /** The table of mnemonic names, read once from Zydis. */
    static final class Mnemonics {
        static final String[] NAMES = load();

        private Mnemonics() {
        }

        private static String[] load() {
            String[] names = new String[ZydisNative.mnemonicCount()];
            for (int i = 0; i < names.length; i++) {
                String n = ZydisNative.mnemonicName(i);
                names[i] = n == null ? "invalid" : n;
            }
            return names;
        }

        static String name(int id) {
            return id >= 0 && id < NAMES.length ? NAMES[id] : "invalid";
        }
    }
}
