package gpufleet.protocol;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The checks request types make in their constructors. Each refusal is an {@link InvalidField} that
 * names the field; what is optional comes in as null and leaves with its default.
 */
final class Fields {
    /** Host, rack, zone and team names: a letter or digit, then letters, digits, dots, dashes, underscores. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private Fields() {}

    static <T> T required(String field, T value) {
        if (value == null) throw new InvalidField(field, "is required");
        return value;
    }

    static int range(String field, int v, int min, int max) {
        if (v < min || v > max) throw new InvalidField(field, "must be in [" + min + ", " + max + "], got " + v);
        return v;
    }

    static int range(String field, Integer v, int dflt, int min, int max) {
        return v == null ? dflt : range(field, v.intValue(), min, max);
    }

    static long atLeast(String field, long v, long min) {
        if (v < min) throw new InvalidField(field, "must be >= " + min + ", got " + v);
        return v;
    }

    static double range(String field, double v, double min, double max) {
        if (!(v >= min && v <= max)) throw new InvalidField(field, "must be in [" + min + ", " + max + "], got " + v);
        return v;
    }

    /** Text a person wrote: not blank, at most {@code maxLen} characters, no control characters (PostgreSQL cannot store a NUL). */
    static String text(String field, String s, int maxLen) {
        if (s == null) return null;
        if (s.isBlank()) throw new InvalidField(field, "must not be blank");
        if (s.length() > maxLen) throw new InvalidField(field, "is longer than " + maxLen + " characters");
        if (hasControl(s)) throw new InvalidField(field, "contains a control character");
        return s;
    }

    static String name(String field, String s) {
        if (s == null) return null;
        text(field, s, 128);
        if (!NAME.matcher(s).matches()) throw new InvalidField(field, "must match " + NAME.pattern());
        return s;
    }

    /** Whether {@code s} holds a control character (a NUL among them). */
    static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) if (Character.isISOControl(s.charAt(i))) return true;
        return false;
    }

    /** A list of at most {@code maxItems}, null as empty, copied. */
    static <T> List<T> list(String field, List<T> items, int maxItems) {
        if (items == null) return List.of();
        if (items.size() > maxItems) throw new InvalidField(field, "has more than " + maxItems + " items");
        for (T t : items) if (t == null) throw new InvalidField(field, "must not hold null");
        return List.copyOf(items);
    }
}
