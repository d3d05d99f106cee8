/**
 * The vocabulary every other package speaks: the instruction sets ({@link
 * io.github.pvpatch.arch.Isa}), the general-purpose registers ({@link
 * io.github.pvpatch.arch.Register}) and whether a site calls or jumps ({@link
 * io.github.pvpatch.arch.SiteKind}). It depends on nothing else in the library; the x86 encodings
 * ({@code io.github.pvpatch.x86}) sit on it, and patching ({@code io.github.pvpatch}) on both.
 */
package io.github.pvpatch.arch;
