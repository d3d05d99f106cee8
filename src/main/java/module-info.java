/**
 * pvpatch: patch x86 machine-code call sites the way Linux patches its paravirt_ops sites.
 *
 * <p>Exports the API ({@code io.github.pvpatch}), the x86 encodings
 * ({@code io.github.pvpatch.x86}) and the JNI binding to the Zydis disassembler
 * ({@code io.github.pvpatch.zydis}, which loads a native library: grant
 * {@code --enable-native-access=io.github.pvpatch} on JDK 22 and later), and the
 * disassembler-backed site checks ({@code io.github.pvpatch.verify});
 * {@code io.github.pvpatch.internal} holds the built-in strategies and is not exported.
 */
module io.github.pvpatch {
    exports io.github.pvpatch;
    exports io.github.pvpatch.x86;
    exports io.github.pvpatch.zydis;
    exports io.github.pvpatch.verify;
    exports io.github.pvpatch.linux;

    // XZ-compressed kernels only; absent at run time unless the user adds it (the command has it).
    requires static org.tukaani.xz;
    // zstd-compressed kernels only (Debian 12 and 13 x86-64); optional in the same way.
    requires static com.github.luben.zstd_jni;
}
