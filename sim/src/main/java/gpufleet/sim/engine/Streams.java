package gpufleet.sim.engine;

import java.util.SplittableRandom;

/**
 * Named random streams derived from one seed: each purpose (arrivals of one stream, durations,
 * failures of one cause) draws from its own generator, so changing one part of a scenario does not
 * shift the draws of another.
 */
final class Streams {
    private final long seed;

    Streams(long seed) {
        this.seed = seed;
    }

    SplittableRandom stream(String purpose) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < purpose.length(); i++) h = (h ^ purpose.charAt(i)) * 0x100000001B3L;
        return new SplittableRandom(mix(h));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static double exponential(SplittableRandom r, double rate) {
        return -Math.log(1 - r.nextDouble()) / rate;
    }

    static double gaussian(SplittableRandom r) {
        // Box-Muller; one value per call keeps the stream position simple to reason about
        double u1 = 1 - r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
