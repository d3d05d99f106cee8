/**
 * Real Linux kernel images and modules: ELF sections, symbols and relocations
 * ({@link io.github.pvpatch.linux.ElfFile}); the vmlinux inside a vmlinuz
 * ({@link io.github.pvpatch.linux.KernelPayload}); the {@code .parainstructions} records in every
 * layout real kernels used ({@link io.github.pvpatch.linux.ParaInstructions}); the
 * {@code .altinstructions} table in both its layouts, whose direct-call entries are the paravirt
 * sites of Linux 6.8 and later and whose other entries are the sites' native replacements
 * ({@link io.github.pvpatch.linux.AltInstructions}); the sites, {@code pv_ops} and what each slot
 * holds at boot ({@link io.github.pvpatch.linux.KernelImage}); what the kernel leaves at each
 * site on a machine ({@link io.github.pvpatch.linux.CpuFeatures},
 * {@link io.github.pvpatch.linux.ParavirtSite}); and offline prelinking of every site
 * ({@link io.github.pvpatch.linux.Prelink}).
 *
 * <pre>{@code
 * KernelImage k = KernelImage.read(Files.readAllBytes(Path.of("/boot/vmlinuz-6.1.0-56-cloud-amd64")));
 * Prelink.Result r = k.prelink(Prelink.Options.defaults().withVerify(true));
 * r.countByStrategy();   // {NOP_PAD=82, INLINE_NATIVE=2459, DIRECT_CALL=1138}
 * r.outcomes();          // {REPLACEMENT=2261, SLOT=1418}: bare metal, every ALT_NOT(XENPV) applies
 * }</pre>
 *
 * <p>Malformed input is an {@link io.github.pvpatch.linux.ImageFormatException} with a one-line
 * message; a site that cannot be patched is a {@link io.github.pvpatch.PatchBug}.
 */
package io.github.pvpatch.linux;
