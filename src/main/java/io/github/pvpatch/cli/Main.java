package io.github.pvpatch.cli;

import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.linux.ElfFile;
import io.github.pvpatch.linux.ImageFormatException;
import io.github.pvpatch.linux.KernelImage;
import io.github.pvpatch.linux.ParaLayout;
import io.github.pvpatch.linux.ParaSite;
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
            "       pvpatch sites <image> [--layout ABSOLUTE_32|ABSOLUTE_64|RELATIVE_6]",
            "       pvpatch prelink <image> -o <out> [--verify] [--lenient] [--layout L]",
            "       pvpatch diff <before> <after>",
            "images: vmlinux or module ELF files, or vmlinuz (bzImage; gzip, LZ4 or XZ payloads)");
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
                    sites(a.path(0), a.layout());
                    return 0;
                case "prelink":
                    prelink(a.path(0), a.output(), a.flag("--verify"), a.flag("--lenient"), a.layout());
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

    private void sites(Path file, Optional<ParaLayout> layout) throws IOException {
        KernelImage k = read(file, layout);
        ElfFile elf = k.elf();
        out.printf("%s: %s %s, %s records, %d sites; pv_ops %s%n", file.getFileName(), k.isa().displayName(),
                elf.isRelocatable() ? "module" : k.wasUnpacked() ? "vmlinuz" : "vmlinux",
                k.paraInstructions().layout(), k.sites().size(),
                k.pvOps().isPresent() ? String.format("0x%x (%s)", k.pvOps().getAsLong(), k.pvOpsSource())
                        : "external (" + k.pvOpsSource() + ")");
        Map<Integer, SlotTarget> slots = new TreeMap<>();
        k.slots().forEach(s -> slots.put(s.type(), s));
        out.printf("%-18s %-12s %4s %3s %-24s %-6s %s%n", "address", "section", "type", "len", "clobbers", "call",
                elf.isRelocatable() ? "slot (relocation)" : "slot holds");
        List<ParaSite> records = k.paraInstructions().sites();
        for (int i = 0; i < k.sites().size(); i++) {
            PatchSite s = k.sites().get(i);
            String slot;
            if (elf.isRelocatable()) {
                slot = records.get(i).relocatedSlot().isPresent() ? "pv_ops[" + records.get(i).relocatedSlot().getAsInt()
                        + "]" : "(no pv_ops relocation)";
            } else {
                SlotTarget t = slots.get(s.type());
                slot = t == null ? "(empty slot)" : t.kind().name().toLowerCase(Locale.ROOT) + ": " + t.description();
            }
            out.printf("0x%-16x %-12s %4d %3d %-24s %-6s %s%n", s.address(), k.sectionOf(i).name(), s.type(),
                    s.length(), s.clobbers().toString(k.isa()), s.callOffset().isPresent()
                            ? "+" + s.callOffset().getAsInt() : "none", slot);
        }
    }

    private void prelink(Path file, Path output, boolean verify, boolean lenient, Optional<ParaLayout> layout)
            throws IOException {
        long t0 = System.nanoTime();
        KernelImage k = read(file, layout);
        if (k.sites().size() > PROGRESS_SITES) {
            err.printf("pvpatch: prelinking %d sites in %d sections%s…%n", k.sites().size(), k.sitesBySection().size(),
                    verify ? ", verifying each with Zydis" : "");
        }
        Prelink.Options options = Prelink.Options.defaults().withVerify(verify)
                .withMode(lenient ? PatchOptions.Mode.LENIENT : PatchOptions.Mode.STRICT);
        Prelink.Result r = k.prelink(options);
        Files.write(output, r.image());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        out.printf("%s: %s, %s records, %d sites, pv_ops at 0x%x (%s)%n", file.getFileName(), k.isa().displayName(),
                k.paraInstructions().layout(), k.sites().size(), k.pvOps().getAsLong(), k.pvOpsSource());
        printSlots(k);
        out.println("sites per strategy, per section:");
        for (Map.Entry<String, PatchPlan> e : r.plans().entrySet()) {
            out.printf("  %-14s %5d  %s%n", e.getKey(), e.getValue().size(), e.getValue().countByStrategy());
        }
        out.printf("  %-14s %5d  %s%n", "total", r.sites(), r.countByStrategy());
        for (PatchPlan p : r.plans().values()) {
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
        KernelImage k = read(before, Optional.empty());
        ElfFile other = ElfFile.parse(unpack(Files.readAllBytes(after)));
        if (other.isa() != k.isa()) {
            throw new ImageFormatException(after.getFileName() + " is " + other.isa().displayName() + ", "
                    + before.getFileName() + " is " + k.isa().displayName());
        }
        ZydisDecoder d = decoder(k);
        int changed = 0;
        for (int i = 0; i < k.sites().size(); i++) {
            PatchSite s = k.sites().get(i);
            byte[] a = k.elf().read(s.address(), s.length());
            byte[] b = other.read(s.address(), s.length());
            if (java.util.Arrays.equals(a, b)) {
                continue;
            }
            changed++;
            out.printf("site 0x%x %s type %d len %d%n", s.address(), k.sectionOf(i).name(), s.type(), s.length());
            bytesLine("  - ", a, disassemble(d, a, s.address()));
            bytesLine("  + ", b, disassemble(d, b, s.address()));
        }
        out.printf("%d of %d sites differ%n", changed, k.sites().size());
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
        for (PatchPlan plan : r.plans().values()) {
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
        return ZydisDecoder.of(k.isa() == io.github.pvpatch.arch.Isa.X86_32 ? MachineMode.X86_32 : MachineMode.X86_64);
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

    private KernelImage read(Path file, Optional<ParaLayout> layout) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length > 4 << 20) {
            err.printf("pvpatch: reading %s (%d MB)…%n", file.getFileName(), bytes.length >> 20);
        }
        return KernelImage.read(bytes, layout);
    }

    private static byte[] unpack(byte[] bytes) {
        return io.github.pvpatch.linux.KernelPayload.isBzImage(bytes) ? io.github.pvpatch.linux.KernelPayload.extract(bytes)
                : bytes;
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

        Args(String[] args) {
            command = args[0];
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-o") || a.equals("--output") || a.equals("--layout")) {
                    if (i + 1 >= args.length) {
                        throw new Usage(a + " needs a value");
                    }
                    if (a.equals("--layout")) {
                        layout = args[++i];
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
