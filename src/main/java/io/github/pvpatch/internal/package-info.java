/**
 * Low-level helpers with no dependency on the rest of the library (byte copies and little-endian
 * stores). Not exported; not API. The built-in patchers live in {@code io.github.pvpatch} itself,
 * package-private, so that this package stays below it.
 */
package io.github.pvpatch.internal;
