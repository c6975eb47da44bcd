package gpufleet.server.view;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class HistoryTest {
    static History.Point at(double t, double alloc, String team, double gpus) {
        return new History.Point(t, alloc, alloc * 100, 100, 3, 24, 0.9, Map.of(team, gpus));
    }

    @Test
    void theLastDayIsKeptEveryTenSecondsAndOlderDaysAsFiveMinuteMeans() {
        History h = new History();
        double day = 86_400;
        // two days and a bit, a point every 10 s: allocation 0.2 in the first day, 0.6 after
        double end = 2 * day + 3600;
        for (double t = 0; t <= end; t += History.FINE_SECONDS) h.add(at(t, t < day ? 0.2 : 0.6, t < day ? "a" : "b", 8));

        List<History.Point> lastHour = h.range(end - 3600, end);
        assertThat(lastHour).hasSize(361);
        assertThat(lastHour.get(1).time() - lastHour.get(0).time()).isEqualTo(10.0);

        List<History.Point> week = h.range(end - 7 * day, end);
        assertThat(week.get(1).time() - week.get(0).time()).as("older than a day: 5-minute means").isEqualTo(300.0);
        assertThat(week.getFirst().time()).isZero();
        assertThat(week.getFirst().allocation()).isCloseTo(0.2, within(1e-12));
        assertThat(week.getFirst().teamGpus()).containsEntry("a", 8.0);
        // each 5-minute point is the mean of its own 30 samples: the last of the first day, the first of the second
        assertThat(week.stream().filter(p -> p.time() == day - 300).findFirst().orElseThrow().allocation()).isCloseTo(0.2, within(1e-12));
        assertThat(week.stream().filter(p -> p.time() == day).findFirst().orElseThrow().allocation()).isCloseTo(0.6, within(1e-12));
        assertThat(week.stream().filter(p -> p.time() == day).findFirst().orElseThrow().teamGpus()).containsOnlyKeys("b");
        assertThat(week.getLast().allocation()).isCloseTo(0.6, within(1e-12));
        assertThat(week).hasSizeBetween((int) (end / 300) - 1, (int) (end / 300) + 2);
    }

    @Test
    void aHistoryYoungerThanTheRangeGivesWhatItHas() {
        History h = new History();
        for (int i = 0; i < 30; i++) h.add(at(1000 + i * 10, 0.5, "a", 4));
        assertThat(h.range(1290 - 90 * 86_400, 1290)).hasSize(30);
        assertThat(new History().range(0, 100)).isEmpty();
    }

    @Test
    void ninetyDaysAreKeptAndNoMore() {
        History h = new History();
        double end = 100 * 86_400.0;
        for (double t = 0; t <= end; t += 60) h.add(at(t, 0.5, "a", 4));
        List<History.Point> all = h.range(0, end);
        assertThat(all.getFirst().time()).isGreaterThanOrEqualTo(end - 90 * 86_400.0 - 300);
        assertThat(all.size()).isLessThanOrEqualTo(History.COARSE_POINTS + 1);
    }
}
