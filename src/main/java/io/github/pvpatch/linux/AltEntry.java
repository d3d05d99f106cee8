package io.github.pvpatch.linux;

/**
 * One {@code .altinstructions} entry, resolved: the site it rewrites, the condition under which
 * the kernel rewrites it at boot, and where its replacement bytes are.
 *
 * @param index the entry's index in the table
 * @param entryOffset the entry's offset in the file (where a prelink edits it)
 * @param entryAddress the entry's run-time address (in a module, its offset in the table)
 * @param section the index of the section holding the site
 * @param offset the site's offset in that section
 * @param address the site's run-time address (the section's address plus the offset)
 * @param length the site's length ({@code instrlen})
 * @param feature the feature bit ({@code cpuid}, without the NOT flag)
 * @param not whether the replacement applies when the feature is <em>not</em> set ({@code ALT_FLAG_NOT})
 * @param directCall whether it is an {@code ALT_FLAG_DIRECT_CALL} entry: the site is a paravirt call
 * @param replacementSection the index of the section holding the replacement bytes
 * @param replacementOffset the replacement's offset in that section
 * @param replacementAddress the replacement's run-time address
 * @param replacementLength the replacement's length ({@code replacementlen})
 */
public record AltEntry(int index, long entryOffset, long entryAddress, int section, long offset, long address, int length, int feature,
        boolean not, boolean directCall, int replacementSection, long replacementOffset, long replacementAddress,
        int replacementLength) {

    /**
     * {@return whether the kernel applies the entry on a machine with {@code features}: it is
     * skipped when {@code !boot_cpu_has(cpuid) == !(flags & ALT_FLAG_NOT)}}
     *
     * @param features the machine's feature bits
     */
    public boolean appliesOn(CpuFeatures features) {
        return features.has(feature) != not;
    }

    /**
     * {@return whether this is a direct-call entry pvpatch turned off when it prelinked its site:
     * {@code ALT_NOT(ALWAYS)}, a condition no machine meets}
     */
    public boolean isPrelinkedMark() {
        return directCall && not && feature == CpuFeatures.ALWAYS;
    }

    /** {@return the condition as the kernel's source writes it, such as {@code ALT_NOT(XENPV)}} */
    public String condition() {
        String f = CpuFeatures.name(feature);
        return (not ? "ALT_NOT(" + f + ")" : f) + (directCall ? " DIRECT_CALL" : "");
    }

    /** {@return the entry named as error messages name it: {@code .altinstructions entry 12 at 0xffffffff836a7700}} */
    public String where() {
        return AltInstructions.SECTION + " entry " + index + " at 0x" + Long.toHexString(entryAddress);
    }

    @Override
    public String toString() {
        return "alt[" + index + "] 0x" + Long.toHexString(address) + " len " + length + " " + condition()
                + " repl 0x" + Long.toHexString(replacementAddress) + " len " + replacementLength;
    }
}
