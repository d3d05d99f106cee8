package io.github.pvpatch.cli;

import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.linux.CpuFeatures;
import io.github.pvpatch.linux.ElfFile;
import io.github.pvpatch.linux.ImageFormatException;
import io.github.pvpatch.linux.KernelImage;
import io.github.pvpatch.linux.ParaLayout;
import io.github.pvpatch.linux.ParavirtSite;
import io.github.pvpatch.linux.Prelink;
import io.github.pvpatch.linux.SlotTarget;
import io.github.pvpatch.zydis.MachineMode;
import io.github.pvpatch.zydis.Syntax;
import io.github.pvpatch.zydis.ZydisDecoder;
import io.github.pvpatch.zydis.ZydisUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code pvpatch} — patch paravirt call sites of kernel images, offline.
 *
 * <pre>
 * pvpatch demo                                  patch the bundled sample images, show before/after
 * pvpatch sites &lt;image&gt; [--layout L]             list the .parainstructions sites
 * pvpatch prelink &lt;image&gt; -o &lt;out&gt; [--verify] [--lenient] [--layout L]
 * pvpatch diff &lt;before&gt; &lt;after&gt;                  the sites that differ, before and after
 * </pre>
 *
 * <p>Images are vmlinux or module ELF files, or vmlinuz bzImages (unpacked first; prelink then
 * writes the prelinked vmlinux). Bad input gets one line on standard error and exit status 1;
 * bad usage, the usage text and status 2.
 */
public final class Main {
    private static final String USAGE = String.join("\n",
            "usage: pvpatch demo",
            "       pvpatch sites <image> [--layout ABSOLUTE_32|ABSOLUTE_64|RELATIVE_6] [--cpu-features LIST]"
                    + " [--pv-ops ADDR]",
            "       pvpatch prelink <image> -o <out> [--verify] [--lenient] [--layout L] [--cpu-features LIST]"
                    + " [--pv-ops ADDR]",
            "       pvpatch diff <before> <after>",
            "images: vmlinux or module ELF files, or vmlinuz (bzImage; gzip, LZ4, XZ or zstd payloads)",
            "--cpu-features LIST  the CPU feature bits of the machine the kernel will boot on, comma-separated",
            "                     names (XENPV, PVUNLOCK, VCPUPREEMPT) or numbers word*32+bit; they decide which",
            "                     native replacement the kernel puts at each paravirt site. Default: none (bare",
            "                     metal or an emulator); a KVM guest with PV spinlocks: PVUNLOCK,VCPUPREEMPT",
            "--pv-ops ADDR        the address of pv_ops (hex), when neither the symbol table, the export table",
            "                     nor the sites' calls give it");
    /** Above this many sites, stages are announced on standard error. */
    private static final int PROGRESS_SITES = 1000;

    private final PrintStream out;
    private final PrintStream err;

    Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /**
     * Runs the command and exits with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(new Main(System.out, System.err).run(args));
    }

    /** {@return the exit status: 0, 1 for bad input or a refused patch, 2 for bad usage} */
    int run(String[] args) {
        try {
            if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
                (args.length == 0 ? err : out).println(USAGE);
                return args.length == 0 ? 2 : 0;
            }
            Args a = new Args(args);
            switch (args[0]) {
                case "demo":
                    a.positional(0);
                    demo();
                    return 0;
                case "sites":
                    sites(a.path(0), a.readOptions(), a.features());
                    return 0;
                case "prelink":
                    prelink(a.path(0), a.output(), a.flag("--verify"), a.flag("--lenient"), a.readOptions(),
                            a.features());
                    return 0;
                case "diff":
                    diff(a.path(0), a.path(1));
                    return 0;
                default:
                    throw new Usage("unknown command '" + args[0] + "'");
            }
        } catch (Usage e) {
            err.println("pvpatch: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (ImageFormatException | PatchBug | ZydisUnavailableException e) {
            err.println("pvpatch: " + e.getMessage());
            return 1;
        } catch (NoSuchFileException e) {
            err.println("pvpatch: no such file: " + e.getFile());
            return 1;
        } catch (IOException e) {
            err.println("pvpatch: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return 1;
        } catch (OutOfMemoryError e) {
            err.println("pvpatch: out of memory reading the image; give the JVM more with -Xmx");
            return 1;
        }
    }

    private void demo() throws IOException {
        out.println("pvpatch demo: two sample images, assembled by the build from src/main/asm/pvsample.S, each with");
        out.println("pv call sites recorded in .parainstructions and a pv_ops table holding native implementations.");
        out.println("Every site is patched for what its slot holds, checked with the disassembler before and after.");
        for (String arch : List.of("x86_64", "i386")) {
            String resource = "/META-INF/pvpatch/demo/pvsample-" + arch;
            byte[] image;
            try (InputStream in = Main.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new ImageFormatException("the sample image " + resource + " is not in this jar");
                }
                image = in.readAllBytes();
            }
            KernelImage k = KernelImage.read(image);
            out.println();
            out.printf("== pvsample-%s: %s, %d sites, pv_ops at 0x%x (%s)%n", arch, k.isa().displayName(),
                    k.sites().size(), k.pvOps().getAsLong(), k.pvOpsSource());
            printSlots(k);
            Prelink.Result r = k.prelink(Prelink.Options.defaults().withVerify(true));
            out.println();
            listing(k, r);
            out.printf("%n%d sites, %d verified: %s%n", r.sites(), r.verified(), r.countByStrategy());
        }
    }

    private void sites(Path file, KernelImage.ReadOptions options, CpuFeatures features) throws IOException {
        KernelImage k = read(file, options);
        ElfFile elf = k.elf();
        List<ParavirtSite> all = k.paravirtSites(features);
        out.printf("%s: %s %s, %s, %d sites; pv_ops %s; cpu features %s%n", file.getFileName(), k.isa().displayName(),
                elf.isRelocatable() ? "module" : k.wasUnpacked() ? "vmlinuz" : "vmlinux", k.tables(), all.size(),
                k.pvOps().isPresent() ? String.format("0x%x (%s)", k.pvOps().getAsLong(), k.pvOpsSource())
                        : "external (" + k.pvOpsSource() + ")", features);
        Map<Integer, SlotTarget> slots = new TreeMap<>();
        boolean classify = !elf.isRelocatable() && all.stream().anyMatch(s -> s.outcome() == ParavirtSite.Outcome.SLOT);
        if (classify) {
            k.slots().forEach(s -> slots.put(s.type(), s));
        }
        out.printf("%-18s %-12s %-5s %4s %3s %-24s %-6s %-16s %s%n", "address", "section", "table", "slot", "len",
                "clobbers", "call", "outcome", "candidates (* = chosen) / slot holds");
        java.util.Map<ParavirtSite.Source, Integer> bySource = new java.util.EnumMap<>(ParavirtSite.Source.class);
        java.util.Map<ParavirtSite.Outcome, Integer> byOutcome = new java.util.EnumMap<>(ParavirtSite.Outcome.class);
        for (int i = 0; i < all.size(); i++) {
            ParavirtSite p = all.get(i);
            bySource.merge(p.source(), 1, Integer::sum);
            byOutcome.merge(p.outcome(), 1, Integer::sum);
            PatchSite s = i < k.sites().size() ? k.sites().get(i) : null;
            List<String> cands = new ArrayList<>();
            for (io.github.pvpatch.linux.AltEntry c : p.candidates()) {
                byte[] repl = elf.read(c.replacementAddress(), c.replacementLength());
                cands.add((p.chosen().isPresent() && p.chosen().get().equals(c) ? "*" : "") + c.condition() + " ["
                        + hex(repl) + "]");
            }
            String slot;
            if (elf.isRelocatable()) {
                slot = s != null && k.records().get(i).relocatedSlot().isPresent() ? "pv_ops["
                        + k.records().get(i).relocatedSlot().getAsInt() + "] (relocation)" : "(no pv_ops relocation)";
            } else if (p.outcome() == ParavirtSite.Outcome.SLOT) {
                SlotTarget t = slots.get(p.slot().getAsInt());
                slot = t == null ? "(empty slot)" : t.kind().name().toLowerCase(Locale.ROOT) + ": " + t.description();
            } else {
                slot = "";
            }
            String detail = String.join(", ", cands) + (slot.isEmpty() || cands.isEmpty() ? "" : "; ") + slot;
            out.printf("0x%-16x %-12s %-5s %4s %3d %-24s %-6s %-16s %s%n", p.address(), p.section(),
                    p.source() == ParavirtSite.Source.PARAINSTRUCTIONS ? "para" : "alt",
                    p.slot().isPresent() ? Integer.toString(p.slot().getAsInt()) : "?", p.length(),
                    s == null ? "-" : s.clobbers().toString(k.isa()),
                    s == null || s.callOffset().isEmpty() ? "none" : "+" + s.callOffset().getAsInt(),
                    p.outcome().name().toLowerCase(Locale.ROOT), detail.isEmpty() ? "-" : detail);
        }
        out.printf("sites by table: %s%nsites by outcome on %s: %s%n", bySource, features, byOutcome);
    }

    private void prelink(Path file, Path output, boolean verify, boolean lenient, KernelImage.ReadOptions readOptions,
            CpuFeatures features) throws IOException {
        long t0 = System.nanoTime();
        KernelImage k = read(file, readOptions);
        if (k.sites().size() > PROGRESS_SITES) {
            err.printf("pvpatch: prelinking %d sites in %d sections%s…%n", k.sites().size(), k.sitesBySection().size(),
                    verify ? ", verifying each with Zydis" : "");
        }
        Prelink.Options options = Prelink.Options.defaults().withVerify(verify)
                .withMode(lenient ? PatchOptions.Mode.LENIENT : PatchOptions.Mode.STRICT).withFeatures(features);
        Prelink.Result r = k.prelink(options);
        Files.write(output, r.image());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        out.printf("%s: %s, %s, %d sites, pv_ops at 0x%x (%s)%n", file.getFileName(), k.isa().displayName(),
                k.tables(), k.sites().size(), k.pvOps().getAsLong(), k.pvOpsSource());
        out.printf("sites by outcome on cpu features %s: %s%n", features, r.outcomes());
        printSlots(k);
        out.println("sites per strategy, per section:");
        for (Map.Entry<String, PatchPlan> e : r.plans().entrySet()) {
            out.printf("  %-14s %5d  %s%n", e.getKey(), e.getValue().size(), e.getValue().countByStrategy());
        }
        if (!r.replacementPlans().isEmpty()) {
            out.printf("  %-14s %5d  %s%n", "replacements", r.replacementPlans().stream().mapToInt(PatchPlan::size).sum(),
                    "the native replacement .altinstructions attaches, as the kernel applies it");
        }
        out.printf("  %-14s %5d  %s%n", "total", r.sites(), r.countByStrategy());
        out.printf("bytes changed outside the sites: %d%s%n", r.edits().size(), r.edits().isEmpty() ? ""
                : " (one bit per prelinked direct-call entry of .altinstructions, so the boot leaves the site alone;"
                        + " `pvpatch diff` lists them)");
        for (PatchPlan p : r.allPlans()) {
            for (PatchBug bug : p.problems()) {
                out.println("  left unpatched: " + bug.getMessage());
            }
        }
        out.printf("verified: %s%n", verify ? r.verified() + " of " + r.sites() + " sites, before and after, with Zydis"
                : "no (add --verify)");
        out.printf("wrote %s (%d bytes%s) in %d ms%n", output, r.image().length,
                k.wasUnpacked() ? ", the prelinked vmlinux ELF unpacked from the bzImage" : "", ms);
    }

    private void diff(Path before, Path after) throws IOException {
        KernelImage a = readNamed(before);
        KernelImage b = readNamed(after);
        if (a.isa() != b.isa()) {
            throw new ImageFormatException(after.getFileName() + " is " + b.isa().displayName() + ", "
                    + before.getFileName() + " is " + a.isa().displayName());
        }
        // Either may be pvpatch's output: take the sites from both, by address.
        Map<Long, ParavirtSite> sites = new TreeMap<>(Long::compareUnsigned);
        for (KernelImage k : List.of(b, a)) {
            for (ParavirtSite p : k.paravirtSites(CpuFeatures.defaults())) {
                sites.merge(p.address(), p, (x, y) -> y.slot().isPresent() ? y : x);
            }
        }
        ZydisDecoder d = decoder(a);
        int changed = 0;
        for (ParavirtSite s : sites.values()) {
            byte[] x = a.elf().read(s.address(), s.length());
            byte[] y = b.elf().read(s.address(), s.length());
            if (java.util.Arrays.equals(x, y)) {
                continue;
            }
            changed++;
            out.printf("site 0x%x %s slot %s len %d%n", s.address(), s.section(),
                    s.slot().isPresent() ? Integer.toString(s.slot().getAsInt()) : "?", s.length());
            bytesLine("  - ", x, disassemble(d, x, s.address()));
            bytesLine("  + ", y, disassemble(d, y, s.address()));
        }
        out.printf("%d of %d sites differ%n", changed, sites.size());
        // Bytes outside every site: a prelink of a 6.8+ image changes one per direct-call entry.
        byte[] x = a.elfBytesCopy();
        byte[] y = b.elfBytesCopy();
        boolean[] inSite = new boolean[Math.max(x.length, y.length)];
        for (ParavirtSite s : sites.values()) {
            a.elf().sectionAt(s.address(), s.length()).ifPresent(sec -> {
                int from = (int) (sec.offset() + s.address() - sec.address());
                java.util.Arrays.fill(inSite, from, Math.min(inSite.length, from + s.length()), true);
            });
        }
        int outside = 0;
        java.util.Optional<io.github.pvpatch.linux.AltInstructions> alt = a.altInstructions();
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (x[i] == y[i] || inSite[i]) {
                continue;
            }
            outside++;
            String where = "";
            for (ElfFile.Section sec : a.elf().sections()) {
                if (sec.hasBytes() && i >= sec.offset() && i < sec.offset() + sec.size()) {
                    where = sec.name() + "+0x" + Long.toHexString(i - sec.offset());
                    if (alt.isPresent() && sec.index() == alt.get().section().index()) {
                        where += " (entry " + (i - sec.offset()) / alt.get().layout().entrySize() + ")";
                    }
                    break;
                }
            }
            out.printf("byte at file offset 0x%x %s: %02x -> %02x%n", i, where, x[i] & 0xFF, y[i] & 0xFF);
        }
        if (x.length != y.length) {
            out.printf("sizes differ: %d and %d bytes%n", x.length, y.length);
        }
        out.printf("%d bytes differ outside the sites%n", outside);
    }

    /** Reads an image, naming the file in any error. */
    private KernelImage readNamed(Path file) throws IOException {
        try {
            return read(file, KernelImage.ReadOptions.defaults());
        } catch (ImageFormatException e) {
            throw new ImageFormatException(file + ": " + e.getMessage(), e);
        }
    }

    private void printSlots(KernelImage k) {
        Map<SlotTarget.Kind, Integer> kinds = new TreeMap<>();
        Map<SlotTarget.Evidence, Integer> evidence = new java.util.EnumMap<>(SlotTarget.Evidence.class);
        for (SlotTarget.Evidence e : SlotTarget.Evidence.values()) {
            evidence.put(e, 0);
        }
        for (SlotTarget s : k.slots()) {
            kinds.merge(s.kind(), 1, Integer::sum);
            evidence.merge(s.evidence(), 1, Integer::sum);
        }
        out.printf("slots: %s%n  clobbers read from the code: %d; the C ABI's (a plain function): %d;"
                + " assumed callee-save by the kernel's contract: %d%n", kinds,
                evidence.get(SlotTarget.Evidence.READ_FROM_CODE), evidence.get(SlotTarget.Evidence.C_ABI),
                evidence.get(SlotTarget.Evidence.KERNEL_CONTRACT));
        if (k.slots().size() <= 16) {
            for (SlotTarget s : k.slots()) {
                out.printf("  pv_ops[%2d] -> 0x%x  %-17s %s%n", s.type(), s.address(), s.kind(), s.description());
            }
        }
    }

    private void listing(KernelImage k, Prelink.Result r) {
        ZydisDecoder d = decoder(k);
        Map<Integer, SlotTarget> slots = new TreeMap<>();
        k.slots().forEach(s -> slots.put(s.type(), s));
        for (PatchPlan plan : r.allPlans()) {
            for (int i = 0; i < plan.size(); i++) {
                PatchSite s = plan.sites().get(i);
                Strategy st = plan.strategy(i);
                out.printf("0x%x  type %d (%s)  %s%n", s.address(), s.type(), slots.get(s.type()).kind()
                        .name().toLowerCase(Locale.ROOT), st);
                bytesLine("    before ", plan.originalBytes(i), disassemble(d, plan.originalBytes(i), s.address()));
                bytesLine("    after  ", plan.patchedBytes(i), disassemble(d, plan.patchedBytes(i), s.address()));
            }
        }
    }

    /** Bytes then disassembly; long sites (2.6.21-style saves) get the disassembly on a line of its own. */
    private void bytesLine(String prefix, byte[] code, String text) {
        String h = hex(code);
        if (h.length() <= 33) {
            out.printf("%s%-33s %s%n", prefix, h, text);
        } else {
            out.printf("%s%s%n%s%33s %s%n", prefix, h, " ".repeat(prefix.length()), "", text);
        }
    }

    private static ZydisDecoder decoder(KernelImage k) {
        return ZydisDecoder.of(k.isa() == io.github.pvpatch.Isa.X86_32 ? MachineMode.X86_32 : MachineMode.X86_64);
    }

    private static String disassemble(ZydisDecoder d, byte[] code, long address) {
        List<String> parts = new ArrayList<>();
        int at = 0;
        while (at < code.length) {
            int start = at;
            Optional<io.github.pvpatch.zydis.Instruction> insn = d.decode(code, at, code.length - at, address + at);
            if (insn.isEmpty()) {
                parts.add("(bad)");
                break;
            }
            parts.add(d.format(code, start, insn.get().length(), address + start, Syntax.ATT).orElse("?"));
            at += insn.get().length();
        }
        return String.join("; ", parts);
    }

    private static String hex(byte[] b) {
        return HexFormat.ofDelimiter(" ").formatHex(b);
    }

    private KernelImage read(Path file, KernelImage.ReadOptions layout) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length > 4 << 20) {
            err.printf("pvpatch: reading %s (%d MB)…%n", file.getFileName(), bytes.length >> 20);
        }
        return KernelImage.read(bytes, layout);
    }

    /** A usage error: exit status 2 with the usage text. */
    private static final class Usage extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Usage(String message) {
            super(message);
        }
    }

    /** The arguments after the command: positional ones and options. */
    private static final class Args {
        private final String command;
        private final List<String> positional = new ArrayList<>();
        private final List<String> flags = new ArrayList<>();
        private String output;
        private String layout;
        private String cpuFeatures;
        private String pvOps;

        Args(String[] args) {
            command = args[0];
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-o") || a.equals("--output") || a.equals("--layout") || a.equals("--cpu-features")
                        || a.equals("--pv-ops")) {
                    if (i + 1 >= args.length) {
                        throw new Usage(a + " needs a value");
                    }
                    if (a.equals("--layout")) {
                        layout = args[++i];
                    } else if (a.equals("--cpu-features")) {
                        cpuFeatures = args[++i];
                    } else if (a.equals("--pv-ops")) {
                        pvOps = args[++i];
                    } else {
                        output = args[++i];
                    }
                } else if (a.equals("--verify") || a.equals("--lenient")) {
                    flags.add(a);
                } else if (a.startsWith("-")) {
                    throw new Usage("unknown option '" + a + "' for " + command);
                } else {
                    positional.add(a);
                }
            }
        }

        void positional(int count) {
            if (positional.size() != count) {
                throw new Usage(command + " takes " + count + " file argument" + (count == 1 ? "" : "s") + ", got "
                        + positional.size());
            }
        }

        Path path(int index) {
            int want = command.equals("diff") ? 2 : 1;
            positional(want);
            return Path.of(positional.get(index));
        }

        boolean flag(String name) {
            return flags.contains(name);
        }

        Path output() {
            if (output == null) {
                throw new Usage("prelink needs -o <out>");
            }
            return Path.of(output);
        }

        CpuFeatures features() {
            try {
                return cpuFeatures == null ? CpuFeatures.defaults() : CpuFeatures.parse(cpuFeatures);
            } catch (IllegalArgumentException e) {
                throw new Usage(e.getMessage());
            }
        }

        KernelImage.ReadOptions readOptions() {
            KernelImage.ReadOptions o = new KernelImage.ReadOptions(layout(), java.util.OptionalLong.empty());
            if (pvOps != null) {
                try {
                    o = o.withPvOps(Long.parseUnsignedLong(pvOps.replaceFirst("^0[xX]", ""), 16));
                } catch (NumberFormatException e) {
                    throw new Usage("--pv-ops '" + pvOps + "' is not a hex address");
                }
            }
            return o;
        }

        Optional<ParaLayout> layout() {
            if (layout == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(ParaLayout.valueOf(layout.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new Usage("unknown layout '" + layout + "'");
            }
        }
    }
}
