package io.github.pvpatch.linux;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The CPU feature bits the machine a kernel will boot on sets, in the kernel's own numbering
 * ({@code word * 32 + bit}, as {@code X86_FEATURE_*}). The alternatives attached to a paravirt
 * site are conditioned on these bits, so which code the kernel leaves at a site depends on the
 * machine: a prelink is made for one profile. Immutable.
 *
 * <p>{@link #ALWAYS} is in every profile, as the kernel always sets it. The {@linkplain
 * #defaults() default} is bare metal, or an emulator without paravirtual features: none of
 * {@link #XENPV}, {@link #PVUNLOCK}, {@link #VCPUPREEMPT}. A KVM guest with paravirtual
 * spinlocks and steal time sets {@code PVUNLOCK} and {@code VCPUPREEMPT}; a Xen PV guest sets
 * {@code XENPV}.
 *
 * <pre>{@code
 * CpuFeatures.defaults();                      // {ALWAYS}
 * CpuFeatures.parse("PVUNLOCK,VCPUPREEMPT");   // a KVM guest with PV spinlocks
 * CpuFeatures.parse("272");                    // XENPV, by number
 * }</pre>
 */
public final class CpuFeatures {
    /** {@code X86_FEATURE_ALWAYS}, word 3 bit 21: set on every machine. */
    public static final int ALWAYS = 3 * 32 + 21;
    /** {@code X86_FEATURE_XENPV}, word 8 bit 16: a Xen PV guest. */
    public static final int XENPV = 8 * 32 + 16;
    /** {@code X86_FEATURE_PVUNLOCK}, word 8 bit 20: spinlock unlock is paravirtualized. */
    public static final int PVUNLOCK = 8 * 32 + 20;
    /** {@code X86_FEATURE_VCPUPREEMPT}, word 8 bit 21: {@code vcpu_is_preempted} is paravirtualized. */
    public static final int VCPUPREEMPT = 8 * 32 + 21;
    /** The largest feature number accepted: 32 words of 32 bits, beyond every kernel's capability and bug words. */
    public static final int MAX_BIT = 32 * 32 - 1;

    private static final Map<String, Integer> NAMES = Map.of("ALWAYS", ALWAYS, "XENPV", XENPV,
            "PVUNLOCK", PVUNLOCK, "VCPUPREEMPT", VCPUPREEMPT);
    private static final CpuFeatures DEFAULTS = new CpuFeatures(new BitSet());

    private final BitSet bits;

    private CpuFeatures(BitSet bits) {
        BitSet copy = (BitSet) bits.clone();
        copy.set(ALWAYS);
        this.bits = copy;
    }

    /** {@return bare metal or an emulator: only {@link #ALWAYS}} */
    public static CpuFeatures defaults() {
        return DEFAULTS;
    }

    /**
     * {@return the profile with {@link #ALWAYS} and {@code features} set}
     *
     * @param features feature numbers, {@code word * 32 + bit}
     * @throws IllegalArgumentException if a number is negative or above {@link #MAX_BIT}
     */
    public static CpuFeatures of(int... features) {
        BitSet b = new BitSet();
        for (int f : features) {
            b.set(check(f));
        }
        return new CpuFeatures(b);
    }

    /**
     * {@return the profile a comma-separated list names: feature names ({@code XENPV},
     * {@code PVUNLOCK}, {@code VCPUPREEMPT}, {@code ALWAYS}; any case) or numbers (decimal, or
     * hex with {@code 0x}); an empty list is the default}
     *
     * @param list such as {@code "PVUNLOCK,VCPUPREEMPT"} or {@code "272"}
     * @throws IllegalArgumentException naming the item that is neither
     */
    public static CpuFeatures parse(String list) {
        Objects.requireNonNull(list, "list");
        BitSet b = new BitSet();
        for (String raw : list.split(",", -1)) {
            String item = raw.trim();
            if (item.isEmpty()) {
                if (list.isBlank()) {
                    continue;
                }
                throw new IllegalArgumentException("cpu features '" + list + "': an empty item");
            }
            Integer named = NAMES.get(item.toUpperCase(Locale.ROOT).replaceFirst("^X86_FEATURE_", ""));
            if (named != null) {
                b.set(named);
                continue;
            }
            try {
                int n = item.startsWith("0x") || item.startsWith("0X") ? Integer.parseInt(item.substring(2), 16)
                        : Integer.parseInt(item);
                b.set(check(n));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("cpu feature '" + item + "' is neither a name (" + String.join(", ",
                        new TreeMap<>(NAMES).keySet()) + ") nor a number word*32+bit");
            }
        }
        return new CpuFeatures(b);
    }

    private static int check(int feature) {
        if (feature < 0 || feature > MAX_BIT) {
            throw new IllegalArgumentException("cpu feature " + feature + " is outside 0.." + MAX_BIT);
        }
        return feature;
    }

    /**
     * {@return whether the machine sets {@code feature}}
     *
     * @param feature a feature number; any value (those outside 0..{@link #MAX_BIT} are never set)
     */
    public boolean has(int feature) {
        return feature >= 0 && feature <= MAX_BIT && bits.get(feature);
    }

    /**
     * {@return this profile with {@code feature} set too}
     *
     * @param feature a feature number
     */
    public CpuFeatures with(int feature) {
        BitSet b = (BitSet) bits.clone();
        b.set(check(feature));
        return new CpuFeatures(b);
    }

    /** {@return whether the profile sets any of the paravirtual bits: XENPV, PVUNLOCK, VCPUPREEMPT} */
    public boolean isParavirtualized() {
        return has(XENPV) || has(PVUNLOCK) || has(VCPUPREEMPT);
    }

    /** {@return the set bits, ascending} */
    public int[] bits() {
        return bits.stream().toArray();
    }

    /**
     * {@return the name of a feature pvpatch knows by name, else its {@code word*32+bit} form}
     *
     * @param feature a feature number
     */
    public static String name(int feature) {
        for (Map.Entry<String, Integer> e : NAMES.entrySet()) {
            if (e.getValue() == feature) {
                return e.getKey();
            }
        }
        return feature + " (" + feature / 32 + "*32+" + feature % 32 + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuFeatures c && c.bits.equals(bits);
    }

    @Override
    public int hashCode() {
        return bits.hashCode();
    }

    /** {@return the bits by name where known, such as {@code {ALWAYS, PVUNLOCK}}} */
    @Override
    public String toString() {
        List<String> out = new ArrayList<>();
        bits.stream().forEach(f -> out.add(NAMES.containsValue(f) ? name(f) : Integer.toString(f)));
        return "{" + String.join(", ", out) + "}";
    }
}
