package io.github.pvpatch.zydis;

/** How {@link ZydisDecoder#format} writes an instruction. */
public enum Syntax {
    /** Intel syntax: {@code call qword ptr [rip+0x1000]}. */
    INTEL,
    /** AT&amp;T syntax: {@code call *0x1000(%rip)}. */
    ATT
}
