package io.github.pvpatch.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Executable;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No public or protected constructor or method of an exported type takes an {@code Optional}
 * (or {@code OptionalInt}, {@code OptionalLong}, {@code OptionalDouble}, or a type built on one,
 * such as {@code List<Optional<X>>}) as a parameter: an absent argument is an overload, and
 * {@code Optional} is for results only. Records count too, through their canonical constructors.
 */
class NoOptionalParametersTest {
    @Test
    void noExportedConstructorOrMethodTakesAnOptional() throws Exception {
        List<String> offenders = new ArrayList<>();
        int types = 0;
        for (Class<?> type : exportedTypes(ApiSnapshotTest.classesDirectory())) {
            types++;
            offenders.addAll(optionalParameters(type));
        }
        assertTrue(types > 50, "exported types scanned: " + types);
        assertEquals(List.of(), offenders, "take an overload, not an Optional");
    }

    /** A type that breaks the rule on purpose, in every way the scan must see. */
    public static final class Bad {
        /** @param x an optional */
        public Bad(Optional<String> x) {
        }

        /** @param x an optional int */
        public void a(OptionalInt x) {
        }

        /** @param x an optional long */
        protected void b(OptionalLong x) {
        }

        /** @param x an optional double */
        public static void c(OptionalDouble x) {
        }

        /** @param x a list of optionals */
        public void d(List<Optional<String>> x) {
        }

        /** @param x an int, and fine */
        public void fine(int x) {
        }

        void packagePrivateIsNotApi(Optional<String> x) {
        }
    }

    /** The same rule broken by a record's canonical constructor. */
    public record BadRecord(int a, OptionalLong b) {
    }

    @Test
    void theScanSeesEveryKindOfOptionalParameter() {
        List<String> bad = optionalParameters(Bad.class);
        assertEquals(5, bad.size(), bad.toString());
        assertTrue(bad.stream().noneMatch(s -> s.contains("fine") || s.contains("packagePrivate")), bad.toString());
        assertEquals(1, optionalParameters(BadRecord.class).size());
        assertEquals(List.of(), optionalParameters(String.class));
    }

    static List<String> optionalParameters(Class<?> type) {
        List<Executable> all = new ArrayList<>(List.of(type.getDeclaredConstructors()));
        all.addAll(List.of(type.getDeclaredMethods()));
        List<String> out = new ArrayList<>();
        for (Executable e : all) {
            if ((e.getModifiers() & (Modifier.PUBLIC | Modifier.PROTECTED)) == 0 || e.isSynthetic()) {
                continue;
            }
            for (Type t : e.getGenericParameterTypes()) {
                if (isOptional(t.getTypeName())) {
                    out.add(e.toGenericString());
                    break;
                }
            }
        }
        return out;
    }

    private static boolean isOptional(String typeName) {
        return Stream.of(Optional.class, OptionalInt.class, OptionalLong.class, OptionalDouble.class)
                .anyMatch(o -> typeName.matches("(.*\\W)?" + o.getName().replace(".", "\\.") + "(\\W.*)?"));
    }

    /** The public and protected types, nested ones included, of the packages the module exports. */
    static List<Class<?>> exportedTypes(Path classes) throws Exception {
        ModuleDescriptor module;
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            module = ModuleDescriptor.read(in);
        }
        List<Class<?>> out = new ArrayList<>();
        for (ModuleDescriptor.Exports e : module.exports()) {
            out.addAll(ApiSnapshotTest.visibleTypes(classes, e.source()));
        }
        return out;
    }
}
