/**
 * Disassembler-backed checks of patch sites, on our Zydis binding: {@link
 * io.github.pvpatch.verify.SiteVerifier} proves a site's unpatched bytes are what the site says
 * (the indirect call through its op's slot, the saves its clobbers need, nothing else) and that
 * a patcher's output is what its strategy means (whole instructions ending at the site's end,
 * branches to the op's target, mirrored saves, NOPs only as padding); {@link
 * io.github.pvpatch.verify.NativeScanner} turns native code into an op whose clobbers and
 * relocations come from decoding it.
 *
 * <p>Needs the Zydis shim; when it cannot be loaded, the factories throw
 * {@link io.github.pvpatch.zydis.ZydisUnavailableException}.
 */
package io.github.pvpatch.verify;
