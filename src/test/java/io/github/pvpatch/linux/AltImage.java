package io.github.pvpatch.linux;

import io.github.pvpatch.arch.Isa;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Builds synthetic kernel images with paravirt sites in {@code .altinstructions}: a 6.8+ image
 * (14-byte entries, one {@code ALT_FLAG_DIRECT_CALL} entry per site) or a 6.1 image
 * ({@code .parainstructions} records and 12-byte entries with the NOT bit in {@code cpuid}), for
 * either ISA. Every site is the indirect call through its slot; the slots hold, in order, a
 * native {@code cli; ret}, a {@code ret}, and two functions that call.
 */
public final class AltImage {
    static final int SLOT_NATIVE = 0;
    static final int SLOT_NOP = 1;
    static final int SLOT_FUNCTION = 2;

    final Isa isa;
    final boolean direct;
    final long text;
    final long data;
    final long repl;
    final long alt;
    final long pvOps;
    boolean ksymtab = true;
    final List<int[]> siteSlots = new ArrayList<>();
    /** Entries in table order: site index, feature, flags (NOT=1, DIRECT_CALL=2), instrlen (-1: the site's), bytes. */
    final List<Object[]> entries = new ArrayList<>();

    AltImage(Isa isa, boolean direct) {
        this.isa = isa;
        this.direct = direct;
        boolean is64 = isa == Isa.X86_64;
        text = is64 ? 0xffffffff81000000L : 0xc1000000L;
        data = is64 ? 0xffffffff82000000L : 0xc2000000L;
        repl = is64 ? 0xffffffff83000000L : 0xc3000000L;
        alt = is64 ? 0xffffffff83100000L : 0xc3100000L;
        pvOps = data + 0x40;
    }

    /**
     * {@return a 6.8+-style x86-64 image: a site replaced by {@code cli} under ALT_NOT(XENPV), a
     * NOP slot's site, and a spin-unlock site replaced under ALT_NOT(PVUNLOCK)} For tests outside
     * this package.
     *
     * @param corrupt whether the first replacement's offset points outside .altinstr_replacement
     */
    public static byte[] sample(boolean corrupt) {
        AltImage a = new AltImage(Isa.X86_64, true);
        a.replacement(a.site(SLOT_NATIVE), CpuFeatures.XENPV, true, "fa");
        a.site(SLOT_NOP);
        a.replacement(a.site(SLOT_FUNCTION), CpuFeatures.PVUNLOCK, true, "c6 07 00");
        byte[] file = a.build();
        if (corrupt) {
            int at = (int) entryOffset(file, 1) + 4;
            TestElf.put(file, at, 4, TestElf.get(file, at, 4) + 0x1000);
        }
        return file;
    }

    /** A named synthetic image, for tests outside this package. */
    public record Sample(String name, byte[] bytes) {
    }

    /**
     * {@return images of both table layouts on both ISAs, each with a native, a NOP and a function
     * slot's site and replacements under every paravirt feature bit} For tests outside this package.
     */
    public static java.util.List<Sample> samples() {
        java.util.List<Sample> out = new ArrayList<>();
        for (Isa isa : Isa.values()) {
            for (boolean direct : new boolean[] {true, false}) {
                AltImage a = new AltImage(isa, direct);
                a.replacement(a.site(SLOT_NATIVE), CpuFeatures.XENPV, true, "fa");
                a.site(SLOT_NOP);
                int f = a.site(SLOT_FUNCTION);
                a.replacement(f, CpuFeatures.PVUNLOCK, true, isa == Isa.X86_64 ? "c6 07 00" : "c6 00 00");
                a.replacement(f, CpuFeatures.VCPUPREEMPT, true, isa == Isa.X86_64 ? "48 31 c0" : "31 c0");
                out.add(new Sample("alt-" + (direct ? "6.8-" : "6.1-") + isa.name().toLowerCase(java.util.Locale.ROOT),
                        a.build()));
            }
        }
        return out;
    }

    /** Adds a site calling through {@code slot}; a 6.8+ image gets its direct-call entry. {@return its index} */
    int site(int slot) {
        siteSlots.add(new int[] {slot});
        int i = siteSlots.size() - 1;
        if (direct) {
            entry(i, CpuFeatures.ALWAYS, AltInstructions.ALT_FLAG_DIRECT_CALL, -1, "e8 00 00 00 00");
        }
        return i;
    }

    /** Attaches a native replacement to site {@code i}, applied when the feature is set (or not, with {@code not}). */
    AltImage replacement(int i, int feature, boolean not, String hex) {
        return entry(i, feature, not ? AltInstructions.ALT_FLAG_NOT : 0, -1, hex);
    }

    AltImage entry(int i, int feature, int flags, int instrlen, String hex) {
        entries.add(new Object[] {i, feature, flags, instrlen, HexFormat.of().parseHex(hex.replace(" ", ""))});
        return this;
    }

    long siteAddress(int i) {
        return text + 0x10L * (i + 1);
    }

    int entrySize() {
        return direct ? 14 : 12;
    }

    long slotAddress(int slot) {
        return pvOps + (long) isa.pointerSize() * slot;
    }

    long function(int slot) {
        return text + 0x100 + 0x10L * slot;
    }

    /** {@return the file offset of entry {@code index} in {@code file}} */
    static long entryOffset(byte[] file, int index) {
        ElfFile elf = ElfFile.parse(file);
        AltInstructions t = AltInstructions.read(elf).orElseThrow();
        return t.section().offset() + (long) index * t.layout().entrySize();
    }

    byte[] build() {
        boolean is64 = isa == Isa.X86_64;
        int ptr = isa.pointerSize();
        byte[] code = new byte[0x200];
        java.util.Arrays.fill(code, (byte) 0xCC);
        for (int i = 0; i < siteSlots.size(); i++) {
            int at = (int) (siteAddress(i) - text);
            code[at] = (byte) 0xFF;
            code[at + 1] = 0x15;
            long slot = slotAddress(siteSlots.get(i)[0]);
            TestElf.put(code, at + 2, 4, is64 ? slot - (siteAddress(i) + 6) : slot);
        }
        byte[] fnative = {(byte) 0xFA, (byte) 0xC3};
        byte[] fnop = {(byte) 0xC3};
        System.arraycopy(fnative, 0, code, 0x100, 2);
        System.arraycopy(fnop, 0, code, 0x110, 1);
        for (int f = 2; f <= 3; f++) {
            // push bp; mov sp,bp; call the nop function; pop bp; ret
            byte[] body = is64 ? HexFormat.of().parseHex("554889e5e8000000005dc3") : HexFormat.of().parseHex("5589e5e8000000005dc3");
            int callAt = is64 ? 4 : 3;
            int start = 0x100 + 0x10 * f;
            TestElf.put(body, callAt + 1, 4, (text + 0x110) - (text + start + callAt + 5));
            System.arraycopy(body, 0, code, start, body.length);
        }
        byte[] pvData = new byte[0x100];
        for (int s = 0; s < 4; s++) {
            TestElf.put(pvData, 0x40 + ptr * s, ptr, function(s));
        }
        ByteArrayOutputStream replBytes = new ByteArrayOutputStream();
        int size = entrySize();
        byte[] table = new byte[size * entries.size()];
        for (int e = 0; e < entries.size(); e++) {
            Object[] x = entries.get(e);
            int site = (int) x[0];
            int feature = (int) x[1];
            int flags = (int) x[2];
            int instrlen = (int) x[3] < 0 ? 6 : (int) x[3];
            byte[] bytes = (byte[]) x[4];
            long entryAddress = alt + (long) e * size;
            long replAddress = repl + replBytes.size();
            replBytes.writeBytes(bytes);
            int at = e * size;
            TestElf.put(table, at, 4, siteAddress(site) - entryAddress);
            TestElf.put(table, at + 4, 4, replAddress - (entryAddress + 4));
            if (direct) {
                TestElf.put(table, at + 8, 4, feature | (long) flags << 16);
            } else {
                TestElf.put(table, at + 8, 2, feature | ((flags & 1) != 0 ? 0x8000 : 0));
            }
            table[at + size - 2] = (byte) instrlen;
            table[at + size - 1] = (byte) bytes.length;
        }
        List<TestElf.Sec> secs = new ArrayList<>();
        secs.add(TestElf.Sec.progbits(".text", TestElf.EXEC, text, code));
        secs.add(TestElf.Sec.progbits(".data", TestElf.ALLOC | TestElf.WRITE, data, pvData));
        secs.add(TestElf.Sec.progbits(AltInstructions.REPLACEMENTS, TestElf.EXEC, repl, replBytes.toByteArray()));
        secs.add(TestElf.Sec.progbits(AltInstructions.SECTION, TestElf.ALLOC, alt, table));
        if (!direct) {
            int rec = is64 ? 16 : 8;
            byte[] para = new byte[rec * siteSlots.size()];
            for (int i = 0; i < siteSlots.size(); i++) {
                TestElf.put(para, rec * i, ptr, siteAddress(i));
                para[rec * i + ptr] = (byte) siteSlots.get(i)[0];
                para[rec * i + ptr + 1] = 6;
                TestElf.put(para, rec * i + ptr + 2, 2, is64 ? 0x1FF : 0xF);
            }
            secs.add(TestElf.Sec.progbits(ParaInstructions.SECTION, TestElf.ALLOC, alt + 0x10000, para));
        }
        if (ksymtab) {
            long strings = data + 0x1000;
            byte[] names = "\0xen_pv_ops_x\0pv_ops\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            long name = strings + 14;
            long tab = data + 0x2000;
            byte[] k = new byte[24];
            // A first export of something else, then pv_ops.
            for (int n = 0; n < 2; n++) {
                long value = n == 0 ? data : pvOps;
                long nameAt = n == 0 ? strings + 1 : name;
                long field = tab + 12L * n;
                if (is64) {
                    TestElf.put(k, 12 * n, 4, value - field);
                    TestElf.put(k, 12 * n + 4, 4, nameAt - (field + 4));
                } else {
                    TestElf.put(k, 12 * n, 4, value);
                    TestElf.put(k, 12 * n + 4, 4, nameAt);
                }
            }
            secs.add(TestElf.Sec.progbits("__ksymtab", TestElf.ALLOC, tab, k));
            secs.add(TestElf.Sec.progbits("__ksymtab_strings", TestElf.ALLOC, strings, names));
        }
        return TestElf.build(is64, ElfFile.ET_EXEC, secs);
    }
}
