package directmem;

import java.util.List;

/** Minimal JSON writing helpers: every method appends to a StringBuilder. */
final class Json {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {}

    /** Appends s as a JSON string (or null). Non-ASCII stays as is (UTF-8 on output). */
    static StringBuilder str(StringBuilder sb, CharSequence s) {
        if (s == null) return sb.append("null");
        sb.append('"');
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                        sb.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15])
                          .append(HEX[c >> 4 & 15]).append(HEX[c & 15]);
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"');
    }

    /** Appends ,"name": (the comma only when sb does not end an object opening). */
    static StringBuilder key(StringBuilder sb, String name) {
        int n = sb.length();
        if (n > 0 && sb.charAt(n - 1) != '{' && sb.charAt(n - 1) != '[') sb.append(',');
        return str(sb, name).append(':');
    }

    static StringBuilder strings(StringBuilder sb, List<String> items) {
        if (items == null) return sb.append("null");
        sb.append('[');
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) sb.append(',');
            str(sb, items.get(i));
        }
        return sb.append(']');
    }

    static StringBuilder strings(StringBuilder sb, String[] items) {
        return strings(sb, items == null ? null : java.util.Arrays.asList(items));
    }

    /** Any Java value as JSON: numbers, booleans, strings, null; anything else as its toString(). */
    static StringBuilder value(StringBuilder sb, Object v) {
        if (v == null) return sb.append("null");
        if (v instanceof Boolean) return sb.append(((Boolean) v).booleanValue());
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isNaN(d) || Double.isInfinite(d) ? str(sb, v.toString()) : sb.append(v);
        }
        if (v instanceof Number) {
            String s = v.toString();  // Integer, Long, BigInteger, BigDecimal...: valid JSON numbers
            return s.matches("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?") ? sb.append(s) : str(sb, s);
        }
        return str(sb, String.valueOf(v));
    }
}
