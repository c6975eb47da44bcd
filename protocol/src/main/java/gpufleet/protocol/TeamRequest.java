package gpufleet.protocol;

/** {@code PUT /api/v1/teams/{name}}: a team's quota, GPUs its running jobs may hold at once; null for no limit. */
public record TeamRequest(Integer quotaGpus) {
    public TeamRequest {
        if (quotaGpus != null && quotaGpus < 0) throw new InvalidField("quotaGpus", "must be >= 0, got " + quotaGpus);
    }

    /** A team name, as the path names it. */
    public static String checkName(String name) {
        return Fields.name("name", Fields.required("name", name));
    }
}
