/**
 * pvpatch's own JNI binding to the Zydis 4 disassembler: decode one instruction (length,
 * mnemonic, branch target, memory operand, registers written and read), decode a whole buffer in
 * one native call into primitive arrays, and format instructions as Intel or AT&amp;T text.
 *
 * <p>The shim ships inside the jar, with Zydis linked in statically, for linux-x86_64; it is
 * loaded on first use. On JDK 22 and later, grant the module native access to avoid the
 * restricted-method warning: {@code --enable-native-access=io.github.pvpatch}. When the shim
 * cannot be loaded, every entry point throws a {@link io.github.pvpatch.zydis.ZydisUnavailableException}
 * that says why; the rest of pvpatch works without it.
 *
 * <p>This package depends on nothing else of pvpatch.
 */
package io.github.pvpatch.zydis;
