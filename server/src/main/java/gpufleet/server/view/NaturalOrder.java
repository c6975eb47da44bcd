package gpufleet.server.view;

import java.util.Comparator;

/**
 * Names with numbers in them in the order people expect: {@code rack2} before {@code rack10}. Runs of
 * digits compare by value (then by length, so {@code r01} and {@code r1} stay distinct), everything
 * else by code point, so the order does not depend on the locale or the database's collation.
 */
public enum NaturalOrder implements Comparator<String> {
    INSTANCE;

    @Override
    public int compare(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i), y = b.charAt(j);
            if (isDigit(x) && isDigit(y)) {
                int si = i, sj = j;
                while (si < a.length() - 1 && a.charAt(si) == '0' && isDigit(a.charAt(si + 1))) si++;
                while (sj < b.length() - 1 && b.charAt(sj) == '0' && isDigit(b.charAt(sj + 1))) sj++;
                int ei = si, ej = sj;
                while (ei < a.length() && isDigit(a.charAt(ei))) ei++;
                while (ej < b.length() && isDigit(b.charAt(ej))) ej++;
                int len = (ei - si) - (ej - sj);
                if (len != 0) return len;
                for (int k = 0; k < ei - si; k++) {
                    int d = a.charAt(si + k) - b.charAt(sj + k);
                    if (d != 0) return d;
                }
                int zeros = (si - i) - (sj - j);
                if (zeros != 0) return zeros;
                i = ei;
                j = ej;
            } else {
                if (x != y) return Character.compare(x, y);
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
