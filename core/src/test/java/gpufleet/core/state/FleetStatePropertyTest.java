package gpufleet.core.state;

import gpufleet.core.testkit.FleetGen;
import gpufleet.testkit.Gen;
import gpufleet.core.testkit.Invariants;
import gpufleet.core.testkit.Placements;
import gpufleet.testkit.Property;
import gpufleet.testkit.Tally;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.Topology;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Random sequences of allocate / release / reclaim / setStatus / setGpuHealthy against a plain model kept by
 * the test (an owner per GPU, a status and an unhealthy mask per host). After every step the state
 * must agree with the model and every aggregate must equal its brute-force recomputation.
 */
class FleetStatePropertyTest {

    sealed interface Op {}

    /** Job {@code job} asks for GPUs on one or two hosts; {@code free} draws the masks from what the model says is usable. */
    record Allocate(int job, int hostA, long maskA, int hostB, long maskB, boolean free) implements Op {}

    /** Job {@code job} releases its own placement ({@code own}) or an arbitrary one. */
    record Release(int job, boolean own, int host, long mask) implements Op {}

    /** Job {@code job} reclaims GPUs as if undoing a release: usable or not, refused only where another job holds one. */
    record Reclaim(int job, int host, long mask) implements Op {}

    record SetStatus(int host, HostStatus status) implements Op {}

    record SetHealthy(int host, int gpu, boolean healthy) implements Op {}

    /** One generated case: a fleet and what happens to it. */
    record Case(FleetSpec fleet, List<Op> ops) {}

    @Test
    void aggregatesAlwaysEqualABruteForceRecomputation() {
        var allocations = new Tally("allocate");
        Property.forAll("aggregates always equal a brute-force recomputation", 500,
                g -> new Case(fleet(g), ops(g)),
                c -> Property.smallerLists(c.ops()).map(ops -> new Case(c.fleet(), ops)),
                c -> {
                    Topology t = new Topology(c.fleet());
                    FleetState st = new FleetState(t);
                    var m = new Model(t);
                    for (Op op : c.ops()) {
                        apply(op, st, m, allocations);
                        m.assertAgrees(st);
                        Invariants.assertAggregatesMatchBruteForce(st);
                        assertThat(Arrays.stream(st.gpuCounts()).sum()).isEqualTo(t.totalGpus());
                        assertThat(st.gpuCounts()[0]).isEqualTo(st.allocatedGpus());
                    }
                });
        // the generator must exercise both outcomes of allocate, not only refusals
        allocations.report();
        assertThat(allocations.percentage("granted")).as("coverage of granted allocations").isGreaterThan(30);
        assertThat(allocations.percentage("refused")).as("coverage of refused allocations").isGreaterThan(5);
    }

    private static void apply(Op op, FleetState st, Model m, Tally allocations) {
        Topology t = st.topology();
        int n = t.hostCount();
        switch (op) {
            case Allocate a -> {
                int ha = a.hostA() % n, hb = a.hostB() % n;
                long ma = a.maskA() & Placements.full(t.gpusOnHost(ha));
                long mb = a.maskB() & Placements.full(t.gpusOnHost(hb));
                boolean twoHosts = hb != ha;
                if (a.free()) {
                    ma = (ma & m.usable(ha)) != 0 ? ma & m.usable(ha) : Long.lowestOneBit(m.usable(ha));
                    mb = (mb & m.usable(hb)) != 0 ? mb & m.usable(hb) : Long.lowestOneBit(m.usable(hb));
                    twoHosts &= mb != 0;
                }
                var b = Placements.of().on(ha, ma);
                if (twoHosts) b.on(hb, mb);
                Placement p = b.build();
                boolean refuse = false;
                for (int i = 0; i < p.hosts().length; i++)
                    refuse |= p.masks()[i] == 0 || (p.masks()[i] & ~m.usable(p.hosts()[i])) != 0;
                allocations.collect(refuse ? "refused" : "granted");
                if (refuse) {
                    String before = Invariants.fingerprint(st);
                    assertThatThrownBy(() -> st.allocate(a.job(), p)).isInstanceOf(IllegalStateException.class);
                    assertThat(Invariants.fingerprint(st)).as("a refused allocate changes nothing").isEqualTo(before);
                } else {
                    st.allocate(a.job(), p);
                    m.allocate(a.job(), p);
                }
            }
            case Release r -> {
                Placement p;
                if (r.own()) {
                    p = m.placementOf(r.job());
                    if (p == null) return;
                } else {
                    int h = r.host() % n;
                    p = Placements.of().on(h, r.mask() & Placements.full(t.gpusOnHost(h))).build();
                }
                st.release(r.job(), p);
                m.release(r.job(), p);
            }
            case Reclaim r -> {
                int h = r.host() % n;
                Placement p = Placements.of().on(h, r.mask() & Placements.full(t.gpusOnHost(h))).build();
                boolean refuse = false;
                for (long b = p.masks()[0]; b != 0; b &= b - 1) {
                    int o = m.owner[t.firstGpu(h) + Long.numberOfTrailingZeros(b)];
                    refuse |= o != FleetState.NONE && o != r.job();
                }
                if (refuse) {
                    String before = Invariants.fingerprint(st);
                    assertThatThrownBy(() -> st.reclaim(r.job(), p)).isInstanceOf(IllegalStateException.class);
                    assertThat(Invariants.fingerprint(st)).as("a refused reclaim changes nothing").isEqualTo(before);
                } else {
                    st.reclaim(r.job(), p);
                    m.allocate(r.job(), p);
                }
            }
            case SetStatus s -> {
                st.setStatus(s.host() % n, s.status());
                m.status[s.host() % n] = s.status();
            }
            case SetHealthy s -> {
                int h = s.host() % n, g = s.gpu() % t.gpusOnHost(h);
                st.setGpuHealthy(h, g, s.healthy());
                if (s.healthy()) m.unhealthy[h] &= ~(1L << g);
                else m.unhealthy[h] |= 1L << g;
            }
        }
    }

    /** What the state should hold, kept the simplest way. */
    static final class Model {
        final Topology t;
        final int[] owner;
        final HostStatus[] status;
        final long[] unhealthy;

        Model(Topology t) {
            this.t = t;
            owner = new int[t.totalGpus()];
            Arrays.fill(owner, FleetState.NONE);
            status = new HostStatus[t.hostCount()];
            Arrays.fill(status, HostStatus.UP);
            unhealthy = new long[t.hostCount()];
        }

        long held(int h) {
            long m = 0;
            for (int g = 0; g < t.gpusOnHost(h); g++) if (owner[t.firstGpu(h) + g] != FleetState.NONE) m |= 1L << g;
            return m;
        }

        long usable(int h) {
            return status[h] == HostStatus.UP ? Placements.full(t.gpusOnHost(h)) & ~held(h) & ~unhealthy[h] : 0;
        }

        void allocate(int job, Placement p) {
            for (int i = 0; i < p.hosts().length; i++)
                for (long b = p.masks()[i]; b != 0; b &= b - 1)
                    owner[t.firstGpu(p.hosts()[i]) + Long.numberOfTrailingZeros(b)] = job;
        }

        void release(int job, Placement p) {
            for (int i = 0; i < p.hosts().length; i++)
                for (long b = p.masks()[i]; b != 0; b &= b - 1) {
                    int gid = t.firstGpu(p.hosts()[i]) + Long.numberOfTrailingZeros(b);
                    if (owner[gid] == job) owner[gid] = FleetState.NONE;
                }
        }

        Placement placementOf(int job) {
            var b = Placements.of();
            boolean any = false;
            for (int h = 0; h < t.hostCount(); h++)
                for (int g = 0; g < t.gpusOnHost(h); g++)
                    if (owner[t.firstGpu(h) + g] == job) { b.on(h, 1L << g); any = true; }
            return any ? b.build() : null;
        }

        void assertAgrees(FleetState st) {
            for (int h = 0; h < t.hostCount(); h++) {
                assertThat(st.status(h)).as("status of %d", h).isEqualTo(status[h]);
                assertThat(st.unhealthyMask(h)).as("unhealthy mask of %d", h).isEqualTo(unhealthy[h]);
                assertThat(st.allocatedMask(h)).as("allocated mask of %d", h).isEqualTo(held(h));
                assertThat(st.usableMask(h)).as("usable mask of %d", h).isEqualTo(usable(h));
            }
            int[] owners = new int[t.totalGpus()];
            for (int h = 0; h < t.hostCount(); h++)
                for (int g = 0; g < t.gpusOnHost(h); g++) owners[t.firstGpu(h) + g] = st.ownerOf(h, g);
            assertThat(owners).as("owners").isEqualTo(owner);
        }
    }

    static FleetSpec fleet(Gen g) {
        return FleetGen.fleet(g, 3);
    }

    static List<Op> ops(Gen g) {
        return g.listOf(5, 50, () -> g.frequency(
                Gen.weight(5, () -> new Allocate(job(g), host(g), mask(g), host(g), mask(g), g.oneOf(true, true, true, false))),
                Gen.weight(3, () -> new Release(job(g), g.oneOf(true, true, false), host(g), mask(g))),
                Gen.weight(1, () -> new Reclaim(job(g), host(g), mask(g))),
                Gen.weight(2, () -> new SetStatus(host(g), g.oneOf(HostStatus.values()))),
                Gen.weight(2, () -> new SetHealthy(host(g), g.intBetween(0, 63), g.bool()))));
    }

    private static int host(Gen g) {
        return g.intBetween(0, 1000);
    }

    private static int job(Gen g) {
        return g.intBetween(0, 5);
    }

    private static long mask(Gen g) {
        return g.longBetween(0, 255);
    }
}
