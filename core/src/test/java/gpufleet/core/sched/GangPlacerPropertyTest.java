package gpufleet.core.sched;

import gpufleet.core.job.JobSpec;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.testkit.FleetGen;
import gpufleet.core.testkit.Fleets;
import gpufleet.testkit.Gen;
import gpufleet.core.testkit.Invariants;
import gpufleet.core.testkit.Jobs;
import gpufleet.testkit.Property;
import gpufleet.testkit.Tally;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.Topology;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random fleets, random sequences of gang placements, releases and hardware changes. Every placement
 * is checked against the state it was made on and against a brute-force search for the narrowest
 * scope and the fewest racks; a twin state fed the same steps with a fresh placer must get equal
 * placements.
 */
class GangPlacerPropertyTest {

    sealed interface Op {}

    /** A gang of tp x pp x dp GPUs; type 0 any, 1 H100, 2 A100. */
    record Place(int tp, int pp, int dp, int type) implements Op {}

    record Release(int pick) implements Op {}

    record SetStatus(int host, HostStatus status) implements Op {}

    record SetHealthy(int host, int gpu, boolean healthy) implements Op {}

    /** One generated case: a fleet and what happens to it. */
    record Case(FleetSpec fleet, List<Op> ops) {}

    @Test
    void placementsAreSoundTightAndDeterministic() {
        var scopes = new Tally("placement scope");
        Property.forAll("placements are sound, tight and deterministic", 1000,
                g -> new Case(fleet(g), ops(g)),
                c -> Property.smallerLists(c.ops()).map(ops -> new Case(c.fleet(), ops)),
                c -> placeReleaseAndChange(c.fleet(), c.ops(), scopes));
        scopes.report();
        assertThat(scopes.percentage("host")).as("coverage of scope host").isGreaterThan(5);
        assertThat(scopes.percentage("rack")).as("coverage of scope rack").isGreaterThan(2);
        assertThat(scopes.percentage("zone")).as("coverage of scope zone").isGreaterThan(0.5);
        assertThat(scopes.percentage("none")).as("coverage of scope none").isGreaterThan(5);
    }

    private static void placeReleaseAndChange(FleetSpec fleet, List<Op> ops, Tally scopes) {
        Topology t = new Topology(fleet);
        FleetState st = new FleetState(t), twin = new FleetState(t);
        GangPlacer placer = new GangPlacer(t);
        Map<Integer, Placement> held = new LinkedHashMap<>();
        int nextId = 0;
        for (Op op : ops) {
            int n = t.hostCount();
            switch (op) {
                case Place pl -> {
                    JobSpec spec = Jobs.job(nextId).gpus(pl.tp() * pl.pp() * pl.dp()).tp(pl.tp()).pp(pl.pp())
                            .gpuType(switch (pl.type()) { case 1 -> Fleets.H100; case 2 -> Fleets.A100; default -> null; })
                            .spec();
                    String before = Invariants.fingerprint(st);
                    Placement p = placer.place(spec, st);
                    assertThat(Invariants.fingerprint(st)).as("place() does not change the state").isEqualTo(before);
                    assertThat(new GangPlacer(t).place(spec, twin)).as("same inputs, same placement").isEqualTo(p);
                    assertThat(placer.place(spec, st)).as("placing again gives the same").isEqualTo(p);
                    for (int c = 0; c < t.clusterCount(); c++)
                        assertThat(placer.fits(spec, st, c)).as("fits() in cluster " + c + " says whether place() finds one")
                                .isEqualTo(placer.place(spec, st, c) != null);
                    scopes.collect(checkAgainstBruteForce(t, st, spec, p));
                    if (p != null) {
                        st.allocate(nextId, p);
                        twin.allocate(nextId, p);
                        held.put(nextId, p);
                    }
                    nextId++;
                }
                case Release r -> {
                    if (held.isEmpty()) continue;
                    int id = new ArrayList<>(held.keySet()).get(r.pick() % held.size());
                    Placement p = held.remove(id);
                    st.release(id, p);
                    twin.release(id, p);
                }
                case SetStatus s -> {
                    st.setStatus(s.host() % n, s.status());
                    twin.setStatus(s.host() % n, s.status());
                }
                case SetHealthy s -> {
                    int h = s.host() % n, g = s.gpu() % t.gpusOnHost(h);
                    st.setGpuHealthy(h, g, s.healthy());
                    twin.setGpuHealthy(h, g, s.healthy());
                }
            }
            assertNoGpuHeldTwice(st, held);
        }
    }

    /** Each held placement is owned, GPU by GPU, by its job, and the state holds nothing else. */
    private static void assertNoGpuHeldTwice(FleetState st, Map<Integer, Placement> held) {
        Topology t = st.topology();
        int sum = 0;
        long[] seen = new long[t.hostCount()];
        for (var e : held.entrySet()) {
            Placement p = e.getValue();
            for (int i = 0; i < p.hosts().length; i++) {
                int h = p.hosts()[i];
                assertThat(seen[h] & p.masks()[i]).as("GPUs of host %d in two placements", h).isZero();
                seen[h] |= p.masks()[i];
                for (long b = p.masks()[i]; b != 0; b &= b - 1)
                    assertThat(st.ownerOf(h, Long.numberOfTrailingZeros(b))).isEqualTo(e.getKey());
            }
            sum += p.gpus();
        }
        assertThat(st.allocatedGpus()).isEqualTo(sum);
    }

    /**
     * Checks {@code p} (made on {@code st}, not yet allocated) against an exhaustive look at the
     * state: sound (usable GPUs only, whole TP groups per host, one eligible cluster, exactly the
     * gang's size), complete (null only when no eligible cluster has the capacity), in the narrowest
     * scope any cluster offers, tightest at host and rack scope, and with the fewest racks at zone
     * scope. Returns the scope, for coverage statistics.
     */
    static String checkAgainstBruteForce(Topology t, FleetState st, JobSpec spec, Placement p) {
        int g = spec.gpus(), u = spec.unit();
        List<Integer> clusters = new ArrayList<>();
        for (int c = 0; c < t.clusterCount(); c++) {
            var cs = t.cluster(c);
            boolean type = spec.gpuType() == null || cs.gpuType().equalsIgnoreCase(spec.gpuType());
            if (type && u <= cs.gpusPerHost()) clusters.add(c);
        }
        boolean fits = false;
        int bestHost = Integer.MAX_VALUE, bestRack = Integer.MAX_VALUE, fewestRacks = Integer.MAX_VALUE;
        for (int c : clusters) {
            fits |= Invariants.capacity(st, t.firstHostOfCluster(c), t.endHostOfCluster(c), u) >= g;
            for (int h = t.firstHostOfCluster(c); h < t.endHostOfCluster(c); h++) {
                int k = Long.bitCount(Invariants.usableMask(st, h));
                if (k >= g) bestHost = Math.min(bestHost, k);
            }
            for (int r = t.firstRackOfCluster(c); r < t.endRackOfCluster(c); r++) {
                int cap = Invariants.capacity(st, t.firstHostOfRack(r), t.endHostOfRack(r), u);
                if (cap >= g) bestRack = Math.min(bestRack, cap);
            }
            for (int z = t.firstZoneOfCluster(c); z < t.endZoneOfCluster(c); z++)
                fewestRacks = Math.min(fewestRacks, fewestRacksInZone(t, st, z, g, u));
        }
        if (!fits) {
            assertThat(p).as("no eligible cluster has %d GPUs in groups of %d", g, u).isNull();
            return "none";
        }
        assertThat(p).as("some eligible cluster has %d GPUs in groups of %d", g, u).isNotNull();
        assertThat(p.gpus()).isEqualTo(g);
        Invariants.assertTpGroupsWithinHosts(p, u);
        int c = p.cluster(t);
        assertThat(clusters).contains(c);
        for (int i = 0; i < p.hosts().length; i++) {
            assertThat(t.clusterOfHost(p.hosts()[i])).as("one cluster").isEqualTo(c);
            assertThat(p.masks()[i]).isNotZero();
            assertThat(p.masks()[i] & ~Invariants.usableMask(st, p.hosts()[i])).as("usable GPUs only").isZero();
        }
        if (bestHost != Integer.MAX_VALUE) {
            assertThat(p.hostCount()).as("fits on one host").isEqualTo(1);
            assertThat(st.usable(p.hosts()[0])).as("the tightest host").isEqualTo(bestHost);
            return "host";
        }
        if (bestRack != Integer.MAX_VALUE) {
            assertThat(p.rackCount(t)).as("fits in one rack").isEqualTo(1);
            int r = t.rackOfHost(p.hosts()[0]);
            assertThat(Invariants.capacity(st, t.firstHostOfRack(r), t.endHostOfRack(r), u)).as("the tightest rack")
                    .isEqualTo(bestRack);
            return "rack";
        }
        if (fewestRacks != Integer.MAX_VALUE) {
            assertThat(p.zoneCount(t)).as("fits in one zone").isEqualTo(1);
            assertThat(p.rackCount(t)).as("the fewest racks any zone needs").isEqualTo(fewestRacks);
            return "zone";
        }
        return "cluster";
    }

    /** The fewest racks of zone z that together hold g GPUs in groups of u, by trying every subset; MAX_VALUE if none. */
    static int fewestRacksInZone(Topology t, FleetState st, int z, int g, int u) {
        int first = t.firstRackOfZone(z), n = t.endRackOfZone(z) - first, best = Integer.MAX_VALUE;
        for (int subset = 1; subset < 1 << n; subset++) {
            int cap = 0;
            for (int i = 0; i < n; i++)
                if ((subset & 1 << i) != 0) {
                    int r = first + i;
                    cap += Invariants.capacity(st, t.firstHostOfRack(r), t.endHostOfRack(r), u);
                }
            if (cap >= g) best = Math.min(best, Integer.bitCount(subset));
        }
        return best;
    }

    static FleetSpec fleet(Gen g) {
        return FleetGen.fleet(g, 2);
    }

    static List<Op> ops(Gen g) {
        return g.listOf(5, 50, () -> g.frequency(
                Gen.weight(6, () -> new Place(g.oneOf(1, 1, 2, 4, 8), g.oneOf(1, 1, 2), g.intBetween(1, 6),
                        g.oneOf(0, 0, 0, 1, 2))),
                Gen.weight(3, () -> new Release(g.intBetween(0, 1000))),
                Gen.weight(1, () -> new SetStatus(g.intBetween(0, 1000), g.oneOf(HostStatus.UP, HostStatus.UP,
                        HostStatus.DOWN, HostStatus.DRAINING, HostStatus.SPARE))),
                Gen.weight(1, () -> new SetHealthy(g.intBetween(0, 1000), g.intBetween(0, 63), g.bool()))));
    }
}
