package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.x86.Encodings;


/**
 * Reads which registers a site's own code saves around its call: the bytes before the call must
 * be nothing but pushes, and the bytes right after it the same registers popped in mirror order.
 * Allocation-free: up to 16 pushes are remembered as nibbles of one {@code long}.
 */
final class SavedRegisters {
    private static final int MAX_PUSHES = 16;
    private static final int REX_B = Encodings.REX_B;
    private static final int SP_BIT = 1 << 4;

    private SavedRegisters() {
    }

    /**
     * {@return the registers saved around the call at {@code callOffset} as a bit mask, 0 when the
     * call has nothing before it, or -1 when the bytes around it are not a clean push/pop bracket}
     */
    static int around(SiteWriter out, int callOffset, int callLength) {
        long pushes = 0;
        int count = 0;
        int i = 0;
        boolean x64 = out.isa() == io.github.pvpatch.arch.Isa.X86_64;
        while (i < callOffset) {
            int b = out.originalByte(i);
            int high = 0;
            if (x64 && b == REX_B && i + 1 < callOffset) {
                high = 8;
                b = out.originalByte(++i);
            }
            if (b < Encodings.PUSH_REG || b > Encodings.PUSH_REG + 7 || count == MAX_PUSHES) {
                return -1;
            }
            pushes |= (long) (high | (b - Encodings.PUSH_REG)) << (4 * count++);
            i++;
        }
        int at = callOffset + callLength;
        int saved = 0;
        for (int k = count - 1; k >= 0; k--) {
            int reg = (int) (pushes >>> (4 * k)) & 0xF;
            if (reg >= 8) {
                if (at >= out.siteLength() || out.originalByte(at++) != REX_B) {
                    return -1;
                }
            }
            if (at >= out.siteLength() || out.originalByte(at++) != Encodings.POP_REG + (reg & 7)) {
                return -1;
            }
            saved |= 1 << reg;
        }
        return saved & ~SP_BIT;
    }
}
