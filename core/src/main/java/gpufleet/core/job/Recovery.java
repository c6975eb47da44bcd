package gpufleet.core.job;

/**
 * How a job comes back after a failure, in parts, instead of one restart overhead: the time until
 * the failure is noticed, the time to place and launch the gang's processes on hosts that were not
 * running them (or, for a hot spare, to bring it into the gang), and the initialisation (collectives
 * re-formed) that grows with the gang's hosts. The checkpoint restore is the job's
 * {@link CheckpointPolicy#restoreSec}.
 *
 * @param detectionSec   seconds from the fault until the control plane acts on it (a heartbeat
 *                       timeout, an XID, a hang detector, or a collective's own timeout)
 * @param rescheduleSec  seconds to place the gang and launch its processes on hosts that were not
 *                       running them (cold hosts: a fresh placement, or free hosts replacing failed ones)
 * @param initSec        seconds of initialisation every restart pays
 * @param initPerHostSec seconds more for each host of the gang (collective set-up grows with it)
 * @param swapSec        seconds to restart the processes on warm hosts: the gang's healthy hosts in
 *                       place and hot spares taking a failed host's place
 * @param partial        keep the gang's healthy hosts and replace only the failed ones when the
 *                       cluster has hosts for them; otherwise place the whole gang afresh
 * @param spares         hot spare hosts to hold per cluster: -1 for the fleet's own number, -2 for
 *                       the size {@link gpufleet.core.failure.SparePool} derives from the failure rate
 */
public record Recovery(double detectionSec, double rescheduleSec, double initSec, double initPerHostSec,
                       double swapSec, boolean partial, int spares) {
    public static final int FLEET_SPARES = -1, AUTO_SPARES = -2;

    public Recovery {
        for (double v : new double[] {detectionSec, rescheduleSec, initSec, initPerHostSec, swapSec})
            if (!(v >= 0) || v > 86_400)
                throw new IllegalArgumentException("recovery times must be in [0 s, 1 day], got " + v);
        if (spares < AUTO_SPARES) throw new IllegalArgumentException("spares must be >= 0 or auto, got " + spares);
    }

    /** Seconds before training resumes on a fresh placement of {@code hosts} hosts, restore excluded. */
    public double fresh(int hosts) {
        return detectionSec + rescheduleSec + initSec + initPerHostSec * hosts;
    }

    /**
     * Seconds before training resumes when a gang of {@code hosts} hosts keeps its healthy ones and
     * {@code replaced} hosts join it, all of them hot spares when {@code allSpares}; restore excluded.
     * The healthy hosts restart their processes in place; only cold replacements need launching.
     */
    public double partial(int hosts, int replaced, boolean allSpares) {
        double join = replaced == 0 || allSpares ? swapSec : Math.max(swapSec, rescheduleSec);
        return detectionSec + join + initSec + initPerHostSec * hosts;
    }
}
