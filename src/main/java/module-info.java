/**
 * pvpatch: patch x86 machine-code call sites the way Linux patches its paravirt_ops sites.
 *
 * <p>Exports the API ({@code io.github.pvpatch}), its vocabulary ({@code io.github.pvpatch.arch}:
 * {@code Isa}, {@code Register}, {@code SiteKind}), the x86 encodings
 * ({@code io.github.pvpatch.x86}) and the JNI binding to the Zydis disassembler
 * ({@code io.github.pvpatch.zydis}, which loads a native library: grant
 * {@code --enable-native-access=io.github.pvpatch} on JDK 22 and later), and the
 * disassembler-backed site checks ({@code io.github.pvpatch.verify}), and live patching while other
 * CPUs run the code ({@code io.github.pvpatch.live});
 * {@code io.github.pvpatch.internal} holds low-level byte helpers and is not exported. The
 * packages form no cycle: arch, then x86, then the API, then verify, live and linux.
 */
module io.github.pvpatch {
    exports io.github.pvpatch;
    exports io.github.pvpatch.arch;
    exports io.github.pvpatch.x86;
    exports io.github.pvpatch.zydis;
    exports io.github.pvpatch.verify;
    exports io.github.pvpatch.linux;
    exports io.github.pvpatch.live;

    // XZ-compressed kernels only; absent at run time unless the user adds it (the command has it).
    requires static org.tukaani.xz;
    // zstd-compressed kernels only (Debian 12 and 13 x86-64); optional in the same way.
    requires static com.github.luben.zstd_jni;
}
