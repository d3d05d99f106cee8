package io.github.pvpatch.linux;

import java.util.OptionalInt;

/**
 * One {@code .parainstructions} record, resolved: where the site is (its section and the
 * offset in it, and its run-time address), its op type, length and clobber mask as recorded,
 * and, in a relocatable module, the ops-table slot its call's relocation names.
 *
 * @param section the index of the section that holds the site's bytes
 * @param offset the site's offset in that section
 * @param address the site's run-time address (section address plus offset; in a module the
 *     section address is 0)
 * @param type the op type: the slot index
 * @param length the site's length in bytes
 * @param clobbers the Linux {@code CLBR_*} mask, or -1 when the layout has none
 * @param relocatedSlot in a module, the slot named by the relocation of the site's call
 */
public record ParaSite(int section, long offset, long address, int type, int length, int clobbers,
        OptionalInt relocatedSlot) {
}
