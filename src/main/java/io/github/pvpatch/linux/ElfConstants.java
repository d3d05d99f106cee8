package io.github.pvpatch.linux;

/** ELF numbers the importer compares against, named once (not exported). */
final class ElfConstants {
    /** {@code R_X86_64_PC32}: a 32-bit PC-relative field, {@code S + A - P}. */
    static final int R_X86_64_PC32 = 2;
    /** {@code R_X86_64_PLT32}: a 32-bit PC-relative call target, resolved like {@code PC32}. */
    static final int R_X86_64_PLT32 = 4;

    private ElfConstants() {
    }

    /** {@return whether an x86-64 relocation of {@code type} is PC-relative over a 4-byte field} */
    static boolean isPcRelative32(int type) {
        return type == R_X86_64_PC32 || type == R_X86_64_PLT32;
    }
}
