/**
 * The patching API: sites, clobber sets, ops tables, the strategies that rewrite sites, and the
 * plans and journals that write them all-or-nothing.
 *
 * <p>A {@link io.github.pvpatch.PatchSite} starts life as an indirect call through an
 * {@link io.github.pvpatch.OpsTable} slot, with the register saves a C call needs around it, so
 * it is always safe to run unpatched. A {@link io.github.pvpatch.Patcher} later rewrites it for
 * the {@link io.github.pvpatch.Op} installed: NOPs, native code inline, or a direct call with the
 * saves it needs; a site that cannot take the rewrite raises a
 * {@link io.github.pvpatch.PatchBug} naming the rule and the numbers.
 *
 * <pre>{@code
 * Isa isa = Isa.X86_64;
 * UnpatchedForm form = UnpatchedForm.of(isa, 0x40_0000);
 * PatchSite site = form.site(0x10_0000, 3, SiteKind.CALL, ClobberSet.of(Register.RAX), 0);
 * byte[] text = new byte[0x100];
 * form.encode(site, NopTable.P6, text, 0);
 * CodeBuffer code = CodeBuffer.wrap(text, 0x10_0000);
 * OpsTable ops = OpsTable.builder().put(3, Op.nativeCode("9c 58", ClobberSet.of(Register.RAX))).build();
 * Journal journal = PatchPlan.of(code, List.of(site), ops).apply();  // pushf; pop %rax + NOPs
 * }</pre>
 */
package io.github.pvpatch;
