/**
 * Real Linux kernel images and modules: ELF sections, symbols and relocations
 * ({@link io.github.pvpatch.linux.ElfFile}); the vmlinux inside a vmlinuz
 * ({@link io.github.pvpatch.linux.KernelPayload}); the {@code .parainstructions} records in every
 * layout real kernels used ({@link io.github.pvpatch.linux.ParaInstructions}); the sites,
 * {@code pv_ops} and what each slot holds at boot ({@link io.github.pvpatch.linux.KernelImage});
 * and offline prelinking of every site ({@link io.github.pvpatch.linux.Prelink}).
 *
 * <pre>{@code
 * KernelImage k = KernelImage.read(Files.readAllBytes(Path.of("/boot/vmlinuz-6.1.0-56-cloud-amd64")));
 * Prelink.Result r = k.prelink(Prelink.Options.defaults().withVerify(true));
 * r.countByStrategy();   // {NOP_PAD=82, INLINE_NATIVE=2411, DIRECT_CALL=1186}
 * }</pre>
 *
 * <p>Malformed input is an {@link io.github.pvpatch.linux.ImageFormatException} with a one-line
 * message; a site that cannot be patched is a {@link io.github.pvpatch.PatchBug}.
 */
package io.github.pvpatch.linux;
