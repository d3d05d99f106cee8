package io.github.pvpatch.linux;

/**
 * The entry layouts of {@code .altinstructions} ({@code struct alt_instr}) in real kernels. Both
 * begin with two self-relative offsets, to the site and to its replacement; they differ in how
 * the condition is stored. pvpatch tells them apart by the table itself: the section's size (or,
 * in a module, the offsets its relocations apply at) and whether every entry then names a site
 * in code and a replacement inside {@code .altinstr_replacement}.
 *
 * <table>
 *   <caption>Layouts</caption>
 *   <tr><th>layout</th><th>entry</th><th>size</th><th>kernels</th></tr>
 *   <tr><td>{@link #CPUID_12}</td><td>{@code s32 instr_offset; s32 repl_offset; u16 cpuid; u8 instrlen;
 *       u8 replacementlen}; bit 15 of {@code cpuid} is the NOT flag</td><td>12</td><td>5.13 to 6.x
 *       (Debian's 6.1)</td></tr>
 *   <tr><td>{@link #FT_FLAGS_14}</td><td>{@code s32 instr_offset; s32 repl_offset; u32 ft_flags; u8 instrlen;
 *       u8 replacementlen}; the low 16 bits of {@code ft_flags} are the feature, the high 16 the
 *       flags ({@code ALT_FLAG_NOT} = 1, {@code ALT_FLAG_DIRECT_CALL} = 2)</td><td>14</td>
 *       <td>by 6.12 (Debian's trixie)</td></tr>
 * </table>
 */
public enum AltLayout {
    /** The 12-byte entry with the NOT flag in bit 15 of {@code cpuid}; it has no direct-call flag. */
    CPUID_12(12),
    /** The 14-byte entry with a 32-bit {@code ft_flags}. */
    FT_FLAGS_14(14);

    private final int entrySize;

    AltLayout(int entrySize) {
        this.entrySize = entrySize;
    }

    /** {@return the size of one entry in bytes} */
    public int entrySize() {
        return entrySize;
    }
}
