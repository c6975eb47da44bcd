package gpufleet.render;

/** Escaping for text and attribute values placed in HTML or inline SVG. */
public final class Html {

    private Html() {}

    /** Escapes {@code & < > " '}; null becomes the empty string. Safe in text and in quoted attributes. */
    public static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String rep = switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (rep == null) {
                if (b != null) b.append(c);
            } else {
                if (b == null) b = new StringBuilder(s.length() + 16).append(s, 0, i);
                b.append(rep);
            }
        }
        return b == null ? s : b.toString();
    }
}
