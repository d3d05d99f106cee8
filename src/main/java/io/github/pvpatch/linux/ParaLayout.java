package io.github.pvpatch.linux;

/**
 * The record layouts of {@code .parainstructions} in real kernels: the kernel's
 * {@code struct paravirt_patch_site}, which changed its shape twice.
 *
 * <table>
 *   <caption>Layouts</caption>
 *   <tr><th>layout</th><th>record</th><th>size</th><th>kernels</th></tr>
 *   <tr><td>{@link #ABSOLUTE_32}</td><td>{@code u32 instr; u8 type; u8 len; u16 clobbers}</td><td>8</td>
 *       <td>i386, 2.6.20 to 6.x</td></tr>
 *   <tr><td>{@link #ABSOLUTE_64}</td><td>{@code u64 instr; u8 type; u8 len; u16 clobbers; 4 bytes padding}</td>
 *       <td>16</td><td>x86-64 to 6.6 (Debian's 6.1 included)</td></tr>
 *   <tr><td>{@link #RELATIVE_6}</td><td>{@code s32 instr_offset; u8 type; u8 len} (packed), the site at
 *       the field's own address plus its value</td><td>6</td><td>2023, about 6.6 to 6.7</td></tr>
 * </table>
 */
public enum ParaLayout {
    /** The i386 record. */
    ABSOLUTE_32(8),
    /** The x86-64 record. */
    ABSOLUTE_64(16),
    /** The packed, self-relative record of 2023; it has no clobbers field. */
    RELATIVE_6(6);

    private final int recordSize;

    ParaLayout(int recordSize) {
        this.recordSize = recordSize;
    }

    /** {@return the size of one record in bytes} */
    public int recordSize() {
        return recordSize;
    }

    /** {@return whether the record has a clobbers field} */
    public boolean hasClobbers() {
        return this != RELATIVE_6;
    }
}
