package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.x86.Encodings;
import io.github.pvpatch.x86.IndirectForm;
import io.github.pvpatch.x86.NopTable;
import java.util.Objects;

/**
 * The canonical code of a site as compiled, before any patching: push/pop pairs for every
 * register a C call may destroy that the site keeps, the indirect call (or jump) through the op's
 * slot between them, then NOP padding to the site's length. It is what Linux's
 * {@code PVOP_CALL}-style macros emit, and so what test generators, verifiers and the demo build
 * sites from.
 *
 * <p>What the slots' implementations destroy is {@link #slotClobbers()}: plain C functions by
 * default, or callee-save thunks with {@link #withSlotClobbers(ClobberSet)}.
 *
 * <p>The ops table lives at {@link #tableAddress()}; slot <i>t</i> is at
 * {@code tableAddress + t * pointerSize}. Saves are pushed in {@link Encodings#saveOrder(Isa)}
 * order; on x86-64 an odd number of saves gets one more push so the call stays 16-byte aligned.
 * A site with arguments on the stack cannot have saves (they would move the arguments), so it
 * must allow every caller-saved register.
 *
 * <pre>{@code
 * UnpatchedForm form = UnpatchedForm.of(Isa.X86_32, 0xc0400000L);
 * PatchSite site = form.site(0xc1000000L, 7, SiteKind.CALL, ClobberSet.of(Register.EAX), 0);
 * byte[] bytes = form.encode(site);   // 51 52 FF 15 1C 00 40 C0 5A 59 (push ecx; push edx; call; ...)
 * }</pre>
 */
public final class UnpatchedForm {
    private final Isa isa;
    private final long tableAddress;
    private final IndirectForm callForm;
    private final IndirectForm jumpForm;
    private final ClobberSet slotClobbers;

    private UnpatchedForm(Isa isa, long tableAddress, IndirectForm callForm, IndirectForm jumpForm,
            ClobberSet slotClobbers) {
        this.isa = Objects.requireNonNull(isa, "isa");
        this.slotClobbers = Objects.requireNonNull(slotClobbers, "slotClobbers").requireIn(isa);
        this.callForm = requireForm(callForm, isa, SiteKind.CALL);
        this.jumpForm = requireForm(jumpForm, isa, SiteKind.JUMP);
        if (!isa.isAddress(tableAddress)) {
            throw new IllegalArgumentException("tableAddress=0x" + Long.toHexString(tableAddress)
                    + " is not an address of isa=" + isa.displayName());
        }
        this.tableAddress = tableAddress;
    }

    private static IndirectForm requireForm(IndirectForm form, Isa isa, SiteKind kind) {
        Objects.requireNonNull(form, "form");
        if (form.isa() != isa || form.kind() != kind) {
            throw new IllegalArgumentException("form=" + form + " is not a " + kind + " form of isa="
                    + isa.displayName());
        }
        return form;
    }

    /**
     * {@return the form using the current kernel's encodings: {@code FF 15 abs32} on x86-32,
     * {@code FF 15 disp32} (RIP-relative) on x86-64, and {@code FF 25} for jumps}
     *
     * @param isa the instruction set
     * @param tableAddress the address of the ops table's slot 0
     */
    public static UnpatchedForm of(Isa isa, long tableAddress) {
        return new UnpatchedForm(isa, tableAddress, IndirectForm.standard(isa, SiteKind.CALL),
                IndirectForm.standard(isa, SiteKind.JUMP), ClobberSet.callerSaved(isa));
    }

    /**
     * {@return this form with other indirect encodings}
     *
     * @param call the encoding of call sites
     * @param jump the encoding of jump sites
     * @throws IllegalArgumentException if an encoding is of another ISA or kind
     */
    public UnpatchedForm withForms(IndirectForm call, IndirectForm jump) {
        return new UnpatchedForm(isa, tableAddress, call, jump, slotClobbers);
    }

    /**
     * {@return this form for slots whose implementations destroy only {@code clobbers}} The
     * default is {@link ClobberSet#callerSaved(Isa)}: slots hold plain C functions, so the site
     * saves the rest. Kernels from 2.6.24 on also have callee-save sites, whose slots hold thunks
     * that save everything but the return register themselves; their sites are a bare indirect
     * call, which {@code withSlotClobbers(ClobberSet.of(Register.RAX))} describes.
     *
     * @param clobbers what the slots' implementations destroy
     */
    public UnpatchedForm withSlotClobbers(ClobberSet clobbers) {
        return new UnpatchedForm(isa, tableAddress, callForm, jumpForm, clobbers);
    }

    /** {@return what the slots' implementations are assumed to destroy} */
    public ClobberSet slotClobbers() {
        return slotClobbers;
    }

    /** {@return the instruction set} */
    public Isa isa() {
        return isa;
    }

    /** {@return the address of slot 0 of the ops table} */
    public long tableAddress() {
        return tableAddress;
    }

    /** {@return the encoding of call sites} */
    public IndirectForm callForm() {
        return callForm;
    }

    /** {@return the encoding of jump sites} */
    public IndirectForm jumpForm() {
        return jumpForm;
    }

    /**
     * {@return the encoding of {@code kind} sites}
     *
     * @param kind call or jump
     */
    public IndirectForm form(SiteKind kind) {
        return Objects.requireNonNull(kind, "kind") == SiteKind.CALL ? callForm : jumpForm;
    }

    /**
     * {@return the address of the slot of op {@code type}}
     *
     * @param type the op type
     */
    public long slotAddress(int type) {
        return tableAddress + (long) type * isa.pointerSize();
    }

    /**
     * {@return the registers the unpatched code saves around its call: every register of
     * {@link #slotClobbers()} (by default, every one a C call may destroy) that {@code clobbers}
     * does not allow; none for jump sites}
     *
     * @param kind call or jump
     * @param clobbers the site's clobbers
     */
    public ClobberSet saves(SiteKind kind, ClobberSet clobbers) {
        return kind == SiteKind.JUMP ? ClobberSet.none() : slotClobbers.minus(clobbers);
    }

    /**
     * {@return the length of the unpatched code without padding}
     *
     * @param kind call or jump
     * @param clobbers the site's clobbers
     */
    public int minimumLength(SiteKind kind, ClobberSet clobbers) {
        return 2 * Encodings.savesLength(isa, saves(kind, clobbers).bits()) + form(kind).length();
    }

    /**
     * {@return a site whose length and call offset match this form}
     *
     * @param address the site's address
     * @param type the op type
     * @param kind call or jump
     * @param clobbers the site's clobbers
     * @param padding bytes of NOPs after the code, 0 or more
     */
    public PatchSite site(long address, int type, SiteKind kind, ClobberSet clobbers, int padding) {
        if (padding < 0) {
            throw new IllegalArgumentException("padding=" + padding + " is negative");
        }
        int callOffset = Encodings.savesLength(isa, saves(kind, clobbers).bits());
        return PatchSite.of(isa, address, minimumLength(kind, clobbers) + padding, type, clobbers)
                .withKind(kind).withCallOffset(callOffset);
    }

    /**
     * {@return the unpatched bytes of {@code site}, padded with {@link NopTable#P6} NOPs}
     *
     * @param site the site
     * @throws IllegalArgumentException as {@link #encode(PatchSite, NopTable, byte[], int)}
     */
    public byte[] encode(PatchSite site) {
        byte[] out = new byte[site.length()];
        encode(site, NopTable.P6, out, 0);
        return out;
    }

    /**
     * Writes the unpatched bytes of {@code site} into {@code dst[offset ..]}.
     *
     * @param site the site
     * @param nops the padding
     * @param dst where to write
     * @param offset the first index
     * @throws IllegalArgumentException if the site is of another ISA, too short for this form,
     *     records a call offset other than where this form puts the call, has stack arguments and
     *     saves, or its slot cannot be encoded from its address
     */
    public void encode(PatchSite site, NopTable nops, byte[] dst, int offset) {
        Objects.checkFromIndexSize(offset, site.length(), dst.length);
        if (site.isa() != isa) {
            throw new IllegalArgumentException(site + " is isa=" + site.isa().displayName() + ", the form is "
                    + isa.displayName());
        }
        ClobberSet saves = saves(site.kind(), site.clobbers());
        int savesLength = Encodings.savesLength(isa, saves.bits());
        int min = minimumLength(site.kind(), site.clobbers());
        if (site.length() < min) {
            throw new IllegalArgumentException(site + " is shorter than its unpatched code, " + min + " bytes");
        }
        if (site.callOffset().isPresent() && site.callOffset().getAsInt() != savesLength) {
            throw new IllegalArgumentException(site + " records its call where this form has saves; the call is at "
                    + savesLength);
        }
        if (site.stackArguments() > 0 && !saves.isEmpty()) {
            throw new IllegalArgumentException(site + " has stack arguments, so it cannot save "
                    + saves.toString(isa) + ": its clobbers must hold every caller-saved register");
        }
        IndirectForm form = form(site.kind());
        int at = Encodings.putSaves(dst, offset, isa, saves.bits());
        form.encode(dst, at, site.address() + (at - offset), slotAddress(site.type()));
        at = Encodings.putRestores(dst, at + form.length(), isa, saves.bits());
        nops.fill(dst, at, site.length() - (at - offset), isa);
    }

    @Override
    public String toString() {
        return "UnpatchedForm{" + isa.displayName() + ", table=0x" + Long.toHexString(tableAddress) + ", "
                + callForm + ", " + jumpForm + ", slotClobbers=" + slotClobbers.toString(isa) + "}";
    }
}
