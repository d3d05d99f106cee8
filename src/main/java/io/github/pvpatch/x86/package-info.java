/**
 * x86 encodings the patchers share: NOP tables, the indirect call and jump forms of real patch
 * sites, and the {@code call}/{@code jmp rel32}, {@code push} and {@code pop} emitters with their
 * reach checks. Everything here writes into a caller's array at an explicit offset and allocates
 * nothing.
 */
package io.github.pvpatch.x86;
