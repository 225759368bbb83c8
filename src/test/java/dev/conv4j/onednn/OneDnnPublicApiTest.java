package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.bench.PeakEstimate;
import dev.conv4j.bench.RawBaseline;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@link OneDnnEngine} is the only public type of {@code dev.conv4j.onednn}, and its public
 * members expose no type of the package that callers cannot name.
 */
class OneDnnPublicApiTest {

    private static final String PACKAGE = OneDnnEngine.class.getPackageName();

    @Test
    void oneDnnEngineIsThePackagesOnlyPublicTopLevelType() throws Exception {
        List<Class<?>> types = topLevelTypes();
        // The package has a couple of dozen classes: a wrong directory would find none.
        assertTrue(types.size() > 10, "top-level classes found: " + types.size());
        List<String> publicTypes = new ArrayList<>();
        for (Class<?> c : types) {
            if (Modifier.isPublic(c.getModifiers())) {
                publicTypes.add(c.getSimpleName());
            }
        }
        assertEquals(List.of("OneDnnEngine"), publicTypes);
    }

    @Test
    void publicMembersOfTheEngineExposeOnlyPublicTypes() {
        List<String> hidden = new ArrayList<>();
        int checked = checkMembers(OneDnnEngine.class, hidden);
        assertEquals(List.of(), hidden);
        // get, unavailableReason, threads, info, prepare, the two statics of bench, Info's accessors, ...
        assertTrue(checked > 15, "types checked: " + checked);
    }

    @Test
    void theEnginesStaticsReachTheBaselineAndTheMatmulPeak() {
        assertEquals("baseline-layout: AUTO is not one primitive; use any, channels-last or channels-first",
                assertThrows(IllegalArgumentException.class,
                        () -> OneDnnEngine.baselineFactory(LayoutPolicy.AUTO, null)).getMessage());
        ConvSpec spec = ConvSpec.conv2d(2, 3, 3).padding(1).build();
        try (RawBaseline raw = OneDnnEngine.baselineFactory(LayoutPolicy.ANY, Layout.CHANNELS_FIRST)
                .create(spec, Shape.of(1, 2, 5, 5), Direction.FWD, false)) {
            raw.run();
            assertFalse(raw.implementation().isBlank());
        }
        // The matmul figure's cache key names this size: changing it would orphan cached figures.
        assertEquals(2048, OneDnnEngine.MATMUL_PEAK_SIZE);
        assertEquals("matmul-2048", PeakEstimate.GEMM_METHOD);
    }

    /** Every top-level class compiled into this package, loaded without initialising it. */
    private static List<Class<?>> topLevelTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(OneDnnEngine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> out = new ArrayList<>();
        if (Files.isDirectory(root)) {
            collect(root.resolve(PACKAGE.replace('.', '/')), out);
        } else {
            try (FileSystem jar = FileSystems.newFileSystem(root, Map.of())) {
                collect(jar.getPath(PACKAGE.replace('.', '/')), out);
            }
        }
        return out;
    }

    private static void collect(Path dir, List<Class<?>> out) throws IOException, ClassNotFoundException {
        List<String> names;
        try (Stream<Path> files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.contains("$") && !n.equals("package-info.class"))
                    .sorted()
                    .toList();
        }
        ClassLoader loader = OneDnnEngine.class.getClassLoader();
        for (String n : names) {
            out.add(Class.forName(PACKAGE + "." + n.substring(0, n.length() - ".class".length()), false, loader));
        }
    }

    /**
     * Adds to {@code hidden} each public member of {@code c} (and of its public nested types)
     * whose signature names a type that is not public; returns how many types were checked.
     */
    private static int checkMembers(Class<?> c, List<String> hidden) {
        int checked = 0;
        for (Method m : c.getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers()) || m.isSynthetic()) {
                continue;
            }
            List<Type> types = new ArrayList<>(List.of(m.getGenericParameterTypes()));
            types.add(m.getGenericReturnType());
            types.addAll(List.of(m.getGenericExceptionTypes()));
            for (Type t : types) {
                checked += check(t, c.getSimpleName() + "." + m.getName(), hidden);
            }
        }
        for (Field f : c.getDeclaredFields()) {
            if (Modifier.isPublic(f.getModifiers())) {
                checked += check(f.getGenericType(), c.getSimpleName() + "." + f.getName(), hidden);
            }
        }
        if (c.isRecord()) {
            for (RecordComponent rc : c.getRecordComponents()) {
                checked += check(rc.getGenericType(), c.getSimpleName() + "." + rc.getName(), hidden);
            }
        }
        for (Class<?> nested : c.getDeclaredClasses()) {
            if (Modifier.isPublic(nested.getModifiers())) {
                checked += checkMembers(nested, hidden);
            }
        }
        return checked;
    }

    /** Checks {@code t} and the types it is made of (array components, type arguments, bounds). */
    private static int check(Type t, String where, List<String> hidden) {
        if (t instanceof Class<?> c) {
            if (c.isArray()) {
                return check(c.getComponentType(), where, hidden);
            }
            if (!c.isPrimitive() && !isPublic(c)) {
                hidden.add(where + " exposes " + c.getName());
            }
            return 1;
        }
        int n = 0;
        if (t instanceof ParameterizedType p) {
            n += check(p.getRawType(), where, hidden);
            for (Type a : p.getActualTypeArguments()) {
                n += check(a, where, hidden);
            }
        } else if (t instanceof GenericArrayType a) {
            n += check(a.getGenericComponentType(), where, hidden);
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                n += check(b, where, hidden);
            }
            for (Type b : w.getLowerBounds()) {
                n += check(b, where, hidden);
            }
        }
        return n;
    }

    /** Public, and so is every class it is nested in. */
    private static boolean isPublic(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers())) {
                return false;
            }
        }
        return true;
    }
}
