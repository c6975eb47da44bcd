package gpufleet.cli;

import gpufleet.sim.engine.Simulation;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on a terminal; a few plain lines when the output is not a terminal. */
final class ProgressBar implements Simulation.Progress {
    private final PrintStream out;
    private final String label;
    private final boolean tty;
    private final long startNanos = System.nanoTime();
    private int lastShown = -1;

    ProgressBar(PrintStream out, String label, boolean quiet) {
        this.out = quiet ? null : out;
        this.label = label;
        this.tty = System.console() != null;
    }

    @Override
    public void update(double fraction, long events) {
        if (out == null) return;
        int pct = (int) Math.floor(fraction * 100);
        if (tty) {
            if (pct == lastShown) return;
            lastShown = pct;
            int width = 30, filled = pct * width / 100;
            double secs = (System.nanoTime() - startNanos) / 1e9;
            out.printf(Locale.ROOT, "\r%s [%s%s] %3d%%  %,d events  %.1f s", label, "#".repeat(filled),
                    " ".repeat(width - filled), pct, events, secs);
            if (pct >= 100) out.println();
            out.flush();
        } else if (pct / 25 != lastShown / 25 || (pct == 100 && lastShown != 100)) {
            lastShown = pct;
            out.printf(Locale.ROOT, "%s %d%% (%,d events)%n", label, pct, events);
        }
    }
}
