package io.github.pvpatch.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The API gate: every public and protected type, constructor, method and field in the packages
 * the module exports, one line each, must match the committed {@code module-info-docs/api.txt}.
 * Written with reflection rather than japicmp (which needs a released baseline jar, and there is
 * none yet) or javap (whose output changes between the JDKs the build runs on); the text is
 * built from reflection's parts, not {@code toGenericString}, for the same reason.
 *
 * <p>After an intended change, refresh the snapshot and add a CHANGELOG line in the same commit:
 * {@code mvn -B -o -q test -Dtest=ApiSnapshotTest -Dpvpatch.api.update=true -Djacoco.skip=true}
 */
class ApiSnapshotTest {
    static final Path SNAPSHOT = Path.of("module-info-docs/api.txt");
    static final String REFRESH = "mvn -B -o -q test -Dtest=ApiSnapshotTest -Dpvpatch.api.update=true -Djacoco.skip=true";

    @Test
    void publicApiMatchesTheCommittedSnapshot() throws Exception {
        String actual = String.join("\n", describe(classesDirectory())) + "\n";
        if (Boolean.getBoolean("pvpatch.api.update")) {
            Files.writeString(SNAPSHOT, actual, StandardCharsets.UTF_8);
            return;
        }
        String expected = Files.readString(SNAPSHOT, StandardCharsets.UTF_8);
        if (!expected.equals(actual)) {
            fail("public API differs from " + SNAPSHOT + "; if intended, refresh it with `" + REFRESH
                    + "` and add a CHANGELOG line.\n" + difference(expected, actual));
        }
    }

    @Test
    void snapshotSeesTypesMembersAndOnlyExportedPackages() throws Exception {
        List<String> api = describe(classesDirectory());
        assertTrue(api.contains("package io.github.pvpatch"), "exported package");
        assertFalse(api.stream().anyMatch(l -> l.contains("io.github.pvpatch.internal")), "internal leaked");
        assertFalse(api.stream().anyMatch(l -> l.contains("NativeLoader")), "package-private type leaked");
        assertTrue(api.stream().anyMatch(l -> l.startsWith("  method public static ")), "static methods");
        assertTrue(api.stream().anyMatch(l -> l.startsWith("class public final io.github.pvpatch.zydis"
                + ".ZydisUnavailableException extends java.lang.RuntimeException")), api.toString());
    }

    @Test
    void aChangedSignatureIsReported() {
        String diff = difference("a\n  method public int x()\nb\n", "a\n  method public long x()\nb\n");
        assertEquals("- " + "  method public int x()\n+ " + "  method public long x()\n", diff);
    }

    static String difference(String expected, String actual) {
        List<String> was = Arrays.asList(expected.split("\n"));
        List<String> now = Arrays.asList(actual.split("\n"));
        StringBuilder out = new StringBuilder();
        was.stream().filter(l -> !now.contains(l)).forEach(l -> out.append("- ").append(l).append('\n'));
        now.stream().filter(l -> !was.contains(l)).forEach(l -> out.append("+ ").append(l).append('\n'));
        return out.toString();
    }

    static Path classesDirectory() throws Exception {
        return Path.of(io.github.pvpatch.arch.Isa.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    static List<String> describe(Path classes) throws IOException, ClassNotFoundException {
        ModuleDescriptor module;
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            module = ModuleDescriptor.read(in);
        }
        List<String> packages = module.exports().stream().filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source).sorted().collect(Collectors.toList());
        List<String> out = new ArrayList<>();
        out.add("module " + module.name());
        for (String pkg : packages) {
            out.add("package " + pkg);
            for (Class<?> type : visibleTypes(classes, pkg)) {
                out.addAll(describe(type));
            }
        }
        return out;
    }

    /** The public and protected types of {@code pkg}, nested ones included, by name. */
    static List<Class<?>> visibleTypes(Path classes, String pkg) throws IOException, ClassNotFoundException {
        List<String> names;
        try (Stream<Path> files = Files.list(classes.resolve(pkg.replace('.', '/')))) {
            names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".class"))
                    .filter(n -> !n.equals("package-info.class")).map(n -> n.substring(0, n.length() - 6))
                    .sorted().collect(Collectors.toList());
        }
        List<Class<?>> out = new ArrayList<>();
        for (String name : names) {
            Class<?> type = Class.forName(pkg + "." + name, false, ApiSnapshotTest.class.getClassLoader());
            if (visible(type)) {
                out.add(type);
            }
        }
        return out;
    }

    private static boolean visible(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getDeclaringClass()) {
            if (c.isAnonymousClass() || c.isLocalClass() || c.isSynthetic()
                    || (c.getModifiers() & (Modifier.PUBLIC | Modifier.PROTECTED)) == 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean visible(int modifiers) {
        return (modifiers & (Modifier.PUBLIC | Modifier.PROTECTED)) != 0;
    }

    private static List<String> describe(Class<?> type) {
        String kind = type.isAnnotation() ? "annotation" : type.isInterface() ? "interface" : type.isEnum() ? "enum"
                : type.isRecord() ? "record" : "class";
        int typeModifiers = type.getModifiers() & ~(Modifier.INTERFACE | Modifier.STATIC);
        if (type.isInterface()) {
            typeModifiers &= ~Modifier.ABSTRACT;
        }
        StringBuilder header = new StringBuilder(kind).append(' ').append(Modifier.toString(typeModifiers))
                .append(' ').append(type.getName());
        Type superclass = type.getGenericSuperclass();
        if (superclass != null && superclass != Object.class && !type.isEnum() && !type.isRecord()) {
            header.append(" extends ").append(superclass.getTypeName());
        }
        Type[] interfaces = type.getGenericInterfaces();
        if (interfaces.length > 0) {
            header.append(type.isInterface() ? " extends " : " implements ")
                    .append(Arrays.stream(interfaces).map(Type::getTypeName).collect(Collectors.joining(", ")));
        }
        if (type.isSealed()) {
            header.append(" permits ").append(Arrays.stream(type.getPermittedSubclasses()).map(Class::getName)
                    .sorted().collect(Collectors.joining(", ")));
        }
        List<String> out = new ArrayList<>();
        out.add(header.toString());
        TreeSet<String> members = new TreeSet<>();
        for (Field f : type.getDeclaredFields()) {
            if (visible(f.getModifiers()) && !f.isSynthetic()) {
                members.add("  field " + Modifier.toString(f.getModifiers()) + " " + f.getGenericType().getTypeName()
                        + " " + f.getName());
            }
        }
        for (Constructor<?> c : type.getDeclaredConstructors()) {
            if (visible(c.getModifiers()) && !c.isSynthetic()) {
                members.add("  constructor " + Modifier.toString(c.getModifiers()) + " " + type.getSimpleName()
                        + parameters(c));
            }
        }
        for (Method m : type.getDeclaredMethods()) {
            if (visible(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
                int modifiers = m.getModifiers() & ~(Modifier.TRANSIENT | Modifier.VOLATILE);
                if (type.isInterface()) {
                    modifiers &= m.isDefault() ? ~Modifier.ABSTRACT : ~0;
                }
                members.add("  method " + (m.isDefault() ? "default " : "") + Modifier.toString(modifiers) + " "
                        + m.getGenericReturnType().getTypeName() + " " + m.getName() + parameters(m));
            }
        }
        out.addAll(members);
        return out;
    }

    private static String parameters(Executable e) {
        Type[] types = e.getGenericParameterTypes();
        StringBuilder out = new StringBuilder("(");
        for (int i = 0; i < types.length; i++) {
            String name = types[i].getTypeName();
            if (e.isVarArgs() && i == types.length - 1 && name.endsWith("[]")) {
                name = name.substring(0, name.length() - 2) + "...";
            }
            out.append(i == 0 ? "" : ", ").append(name);
        }
        out.append(')');
        Type[] thrown = e.getGenericExceptionTypes();
        if (thrown.length > 0) {
            out.append(" throws ").append(Arrays.stream(thrown).map(Type::getTypeName).collect(Collectors.joining(", ")));
        }
        return out.toString();
    }
}
