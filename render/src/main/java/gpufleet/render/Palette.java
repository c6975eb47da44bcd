package gpufleet.render;

/**
 * The Okabe-Ito colours (Okabe &amp; Ito, "Color Universal Design", 2008): eight hues that stay
 * distinguishable with the common colour-vision deficiencies. Charts pair them with position, size
 * or a label so that no reading depends on hue alone.
 */
public final class Palette {

    public static final String ORANGE = "#E69F00";
    public static final String SKY_BLUE = "#56B4E9";
    public static final String BLUISH_GREEN = "#009E73";
    public static final String YELLOW = "#F0E442";
    public static final String BLUE = "#0072B2";
    public static final String VERMILLION = "#D55E00";
    public static final String REDDISH_PURPLE = "#CC79A7";
    public static final String BLACK = "#000000";
    /** Not Okabe-Ito: a neutral for "idle" and "waiting". */
    public static final String LIGHT_GREY = "#C9CED6";

    private Palette() {}
}
