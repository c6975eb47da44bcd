package gpufleet.core.sched.framework;

/**
 * Why a job did not start in a cycle, as a code a program can switch on and as words for people.
 *
 * @param code    what kind of wait (or rejection) it is
 * @param message the reason shown to users; for {@link Code#REJECTED}, why the job can never run
 */
public record Status(Code code, String message) {

    /** What stopped a job in this cycle. */
    public enum Code {
        /** Nothing: the job may go on to the next extension point. */
        OK(false),
        /** No cluster of this fleet could ever hold the job; it fails. */
        REJECTED(false),
        /** Starting it would take its team past its quota. */
        TEAM_QUOTA(false),
        /** An earlier job is blocked and the order is strict. */
        BEHIND_BLOCKED_JOB(true),
        /** It fits, but would delay the job holding the backfill reservation. */
        WOULD_DELAY_RESERVATION(false),
        /** It is the first blocked job: it holds the reservation (or, in a strict order, the head). */
        HOLDS_RESERVATION(true),
        /** Not enough free GPUs for its gang. */
        NO_FREE_GPUS(true);

        private final boolean rankCandidate;

        Code(boolean rankCandidate) {
            this.rankCandidate = rankCandidate;
        }

        /** Whether a job that waits for this reason may still be started by a post-cycle pass (a rank pass). */
        public boolean rankCandidate() {
            return rankCandidate;
        }
    }

    public static final String REASON_QUOTA = "team quota";
    public static final String REASON_RESOURCES = "waiting for free GPUs";
    public static final String REASON_RESERVED = "waiting for free GPUs (holds the reservation)";
    public static final String REASON_BACKFILL = "would delay the reserved job";
    public static final String REASON_BLOCKED = "behind a blocked job (strict order)";

    public static final Status OK = new Status(Code.OK, "");
    public static final Status NO_FREE_GPUS = new Status(Code.NO_FREE_GPUS, REASON_RESOURCES);
    public static final Status HOLDS_RESERVATION = new Status(Code.HOLDS_RESERVATION, REASON_RESERVED);
    public static final Status WOULD_DELAY_RESERVATION = new Status(Code.WOULD_DELAY_RESERVATION, REASON_BACKFILL);
    public static final Status BEHIND_BLOCKED_JOB = new Status(Code.BEHIND_BLOCKED_JOB, REASON_BLOCKED);

    public Status {
        if (code == null) throw new IllegalArgumentException("a status needs a code");
        if (message == null) message = "";
    }

    public static Status rejected(String why) {
        return new Status(Code.REJECTED, why);
    }

    public boolean ok() {
        return code == Code.OK;
    }
}
