package gpufleet.sim.trace;

import java.util.List;

/** What a reader makes of one well-formed row: a job, or a row deliberately not replayed. */
sealed interface Parsed {

    /**
     * A job in the file's own time base.
     *
     * @param name     the job's name
     * @param key      the file's job id, which must be unique among kept rows, or null when the format has none
     * @param keyName  the column {@code key} came from, for messages
     * @param submit   submit time in seconds in the file's time base (the reader shifts it to the first job)
     * @param notes    keys of {@link Trace#notes()} this job counts towards
     * @param warning  a problem worth reporting although the job is kept, or null
     */
    record Job(String name, String key, String keyName, double submit, double duration, int gpus, String group,
               List<String> notes, String warning) implements Parsed {}

    /** A row not replayed, counted in {@link Trace#skipped()} under {@code reason}. */
    record Skip(String reason) implements Parsed {}
}
