package directmem;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** Finds and calls a public static method from string values tagged with Python types. */
final class Invoker {
    private static final Object NO = new Object();
    private static final int VARARGS_COST = 1000;

    private Invoker() {}

    /** Thread context class loader first, then Class.forName. */
    static Class<?> load(String name) throws ClassNotFoundException {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        if (cl != null) {
            try {
                return Class.forName(name, true, cl);
            } catch (ClassNotFoundException e) {
                // fall back below
            }
        }
        return Class.forName(name);
    }

    static String invokeStatic(String target, String[] values, String[] types) throws Throwable {
        int hash = target == null ? -1 : target.indexOf('#');
        if (hash <= 0 || hash == target.length() - 1) {
            throw new IllegalArgumentException("target must look like pkg.Class#method: " + target);
        }
        values = values == null ? new String[0] : values;
        types = types == null ? new String[0] : types;
        if (values.length != types.length) {
            throw new IllegalArgumentException(values.length + " values but " + types.length + " types");
        }
        Class<?> cls = load(target.substring(0, hash));
        String name = target.substring(hash + 1);
        Method[] methods = cls.getMethods();
        Arrays.sort(methods, Comparator.comparing(Method::toString));  // deterministic ties
        Method best = null;
        Object[] bestArgs = null;
        int bestCost = Integer.MAX_VALUE;
        List<String> candidates = new ArrayList<>();
        int[] cost = new int[1];
        for (Method m : methods) {
            if (!m.getName().equals(name)) continue;
            candidates.add(m.toString());
            if (!Modifier.isStatic(m.getModifiers())) continue;
            Class<?>[] params = m.getParameterTypes();
            Object[] args = null;
            int total = 0;
            if (params.length == values.length) {
                args = new Object[params.length];
                for (int i = 0; i < params.length && args != null; i++) {
                    Object v = convert(values[i], types[i], params[i], cost);
                    if (v == NO) args = null; else args[i] = v;
                    total += cost[0];
                }
            }
            if (args == null && m.isVarArgs() && params.length == 1 && params[0] == String[].class) {
                String[] all = new String[values.length];
                for (int i = 0; i < values.length; i++) all[i] = "null".equals(types[i]) ? null : values[i];
                args = new Object[] {all};
                total = VARARGS_COST;
            }
            if (args != null && total < bestCost) {
                best = m;
                bestArgs = args;
                bestCost = total;
            }
        }
        if (best == null) {
            throw new NoSuchMethodException("no public static " + cls.getName() + "." + name
                    + " accepts " + values.length + " argument(s) of types " + Arrays.toString(types)
                    + "; candidates: " + (candidates.isEmpty() ? "none" : String.join("; ", candidates)));
        }
        try {
            best.setAccessible(true);  // public method of a non-public class
        } catch (RuntimeException e) {
            // not needed or not allowed: invoke will tell
        }
        Object result = best.invoke(null, bestArgs);
        return Json.value(new StringBuilder(), result).toString();
    }

    /** The value converted for parameter type p (cost[0] = how loose the match is), or NO. */
    private static Object convert(String s, String type, Class<?> p, int[] cost) {
        cost[0] = 0;
        try {
            switch (type) {
                case "null":
                    cost[0] = 1;
                    return p.isPrimitive() ? NO : null;
                case "bool":
                    if (!"true".equalsIgnoreCase(s) && !"false".equalsIgnoreCase(s)) return NO;
                    Boolean b = Boolean.valueOf(s.equalsIgnoreCase("true"));
                    if (p == boolean.class || p == Boolean.class) return b;
                    cost[0] = 5;
                    return p == Object.class ? b : NO;
                case "int":
                    return integral(Long.parseLong(s.trim()), p, cost, 0);
                case "float":
                    double d = parseFloat(s.trim());
                    if (p == double.class || p == Double.class) return d;
                    cost[0] = 1;
                    if (p == float.class || p == Float.class) return (float) d;
                    cost[0] = 5;
                    return p == Object.class || p == Number.class ? (Object) d : NO;
                case "str":
                    if (p == String.class) return s;
                    cost[0] = 1;
                    if (p == CharSequence.class) return s;
                    cost[0] = 5;
                    if (p == Object.class) return s;
                    if (p == int.class || p == Integer.class || p == long.class || p == Long.class) {
                        return integral(Workloads.size(s), p, cost, 10);
                    }
                    return NO;
                default:
                    throw new IllegalArgumentException("unknown value type " + type + " (int|float|str|bool|null)");
            }
        } catch (NumberFormatException e) {
            return NO;
        }
    }

    private static Object integral(long v, Class<?> p, int[] cost, int base) {
        cost[0] = base;
        boolean isInt = v == (int) v;
        if ((p == int.class || p == Integer.class) && isInt) return (int) v;
        cost[0] = base + 1;
        if (p == long.class || p == Long.class) return v;
        if (base > 0) return NO;  // size strings only become int/long
        cost[0] = 2;
        if (p == short.class || p == Short.class) return v == (short) v ? (Object) (short) v : NO;
        if (p == byte.class || p == Byte.class) return v == (byte) v ? (Object) (byte) v : NO;
        cost[0] = 3;
        if (p == double.class || p == Double.class) return (double) v;
        if (p == float.class || p == Float.class) return (float) v;
        cost[0] = 5;
        return p == Object.class || p == Number.class ? (Object) v : NO;
    }

    private static double parseFloat(String s) {
        switch (s.toLowerCase()) {
            case "inf": case "+inf": case "infinity": return Double.POSITIVE_INFINITY;
            case "-inf": case "-infinity": return Double.NEGATIVE_INFINITY;
            case "nan": return Double.NaN;
            default: return Double.parseDouble(s);
        }
    }
}
