/**
 * pvpatch: patch x86 machine-code call sites the way Linux patches its paravirt_ops sites.
 *
 * <p>Exports the API ({@code io.github.pvpatch}) and the x86 encodings
 * ({@code io.github.pvpatch.x86}); {@code io.github.pvpatch.internal} holds the built-in
 * strategies and is not exported.
 */
module io.github.pvpatch {
    exports io.github.pvpatch;
    exports io.github.pvpatch.x86;
}
