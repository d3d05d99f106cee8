package io.github.pvpatch;

/**
 * A relative field inside a native sequence: a branch displacement ({@code rel8}/{@code rel32})
 * or an x86-64 RIP-relative {@code disp32}, which names its target relative to the end of its
 * instruction and so must be rewritten when the sequence is copied to another address.
 *
 * <p>When a native op {@linkplain Op#nativeCodeAt(long, byte[], ClobberSet, java.util.List) knows
 * where its code lives}, inlining it re-aims every field whose target lies outside the sequence,
 * as the kernel's {@code __apply_relocation} does; a target the field can no longer reach from
 * the site is a {@link Violation#TARGET_OUT_OF_REACH}. Fields that point inside the sequence move
 * with it and are left alone; the sequence's end counts as inside (the kernel's {@code need_reloc}
 * range is {@code [src, src+len]}), so a branch to the byte just past the code still lands just
 * past it in the site. {@code io.github.pvpatch.verify.NativeScanner} finds the fields with
 * a disassembler.
 *
 * <pre>{@code
 * // mov rax, [rip+0x100] (48 8B 05 00 01 00 00): a disp32 at offset 3, instruction ends at 7
 * Relocation r = Relocation.of(3, 4, 7);
 * }</pre>
 *
 * @param fieldOffset where the field starts in the sequence
 * @param fieldSize the field's size in bytes: 1, 2 or 4
 * @param instructionEnd where its instruction ends in the sequence: the field is relative to it
 */
public record Relocation(int fieldOffset, int fieldSize, int instructionEnd) {
    /**
     * Checks the components.
     *
     * @param fieldOffset where the field starts in the sequence
     * @param fieldSize the field's size in bytes: 1, 2 or 4
     * @param instructionEnd where its instruction ends
     * @throws IllegalArgumentException if the size is not 1, 2 or 4, or the field is not inside
     *     its instruction
     */
    public Relocation {
        if (fieldSize != 1 && fieldSize != 2 && fieldSize != 4) {
            throw new IllegalArgumentException("fieldSize=" + fieldSize + " is not 1, 2 or 4");
        }
        if (fieldOffset < 0 || fieldOffset + fieldSize > instructionEnd
                || instructionEnd > fieldOffset + fieldSize + 15) {
            throw new IllegalArgumentException("fieldOffset=" + fieldOffset + " fieldSize=" + fieldSize
                    + " instructionEnd=" + instructionEnd + ": the field is not inside an instruction ending there");
        }
    }

    /**
     * {@return a relocation}
     *
     * @param fieldOffset where the field starts in the sequence
     * @param fieldSize the field's size in bytes: 1, 2 or 4
     * @param instructionEnd where its instruction ends in the sequence
     */
    public static Relocation of(int fieldOffset, int fieldSize, int instructionEnd) {
        return new Relocation(fieldOffset, fieldSize, instructionEnd);
    }
}
