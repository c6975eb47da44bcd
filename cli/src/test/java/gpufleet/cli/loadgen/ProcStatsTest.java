package gpufleet.cli.loadgen;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ProcStatsTest {

    @Test
    void cpuTicksAreCountedFromTheLastParenthesisSoACommandNameWithSpacesDoesNotShiftThem() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 40 0 99 0 0";
        assertThat(ProcStats.parseCpuTicks(stat)).isEqualTo(1234 + 567);
    }

    @Test
    void gcPausesAreReadFromAUtcTimeLogAndOtherLinesSkipped(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("gc.log");
        Files.writeString(log, """
                [2026-11-30T02:15:41.103+0000] Using G1
                [2026-11-30T02:15:43.259+0000] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 15M->4M(64M) 13.202ms
                [2026-11-30T02:15:44.000+0000] GC(1) Pause Remark 30M->28M(64M) 1.500ms
                [2026-11-30T02:15:45.568+0000] GC(2) Concurrent Mark Cycle 12.070ms
                """);
        var pauses = ProcStats.gcPauses(log);
        assertThat(pauses).hasSize(2);
        assertThat(pauses.get(0).kind()).isEqualTo("Pause Young (Normal) (G1 Evacuation Pause)");
        assertThat(pauses.get(0).beforeMb()).isEqualTo(15);
        assertThat(pauses.get(0).afterMb()).isEqualTo(4);
        assertThat(pauses.get(0).ms()).isEqualTo(13.202);
        assertThat(pauses.get(0).epochMillis()).isEqualTo(java.time.Instant.parse("2026-11-30T02:15:43.259Z").toEpochMilli());
        assertThat(pauses.get(1).kind()).isEqualTo("Pause Remark");
        assertThat(pauses).noneMatch(ProcStats.GcPause::concurrent);
    }

    @Test
    void zgcCollectionsAreReadAsConcurrentWithTheirHeapFigures(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("gc.log");
        Files.writeString(log, """
                [2026-11-30T03:54:10.001+0000] Using The Z Garbage Collector
                [2026-11-30T03:54:12.500+0000] GC(4) Minor Collection (Allocation Rate) 302M(15%)->88M(4%) 0.170s
                [2026-11-30T03:54:20.000+0000] GC(5) Major Collection (Proactive) 410M(20%)->96M(5%) 1.250s
                """);
        var c = ProcStats.gcPauses(log);
        assertThat(c).hasSize(2).allMatch(ProcStats.GcPause::concurrent);
        assertThat(c.get(0).beforeMb()).isEqualTo(302);
        assertThat(c.get(0).afterMb()).isEqualTo(88);
        assertThat(c.get(1).ms()).isEqualTo(1250.0);
        assertThat(ProcStats.parseHeapInfo(" ZHeap           used 150M, capacity 512M, max capacity 2048M"))
                .containsExactly(512L * 1024, 150L * 1024);
    }

    @Test
    void heapInfoGivesCommittedAndUsed() {
        String out = """
                12345:
                 garbage-first heap   total reserved 2097152K, committed 262144K, used 123456K [0x0000000080000000, 0x0000000100000000)
                  region size 1024K, 40 young (40960K), 3 survivors (3072K)
                """;
        assertThat(ProcStats.parseHeapInfo(out)).containsExactly(262144L, 123456L);
        assertThat(ProcStats.parseHeapInfo("12345: no such process")).isNull();
    }
}
