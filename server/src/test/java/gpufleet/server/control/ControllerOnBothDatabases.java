package gpufleet.server.control;

import gpufleet.testkit.ManualClock;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A controller on a clock the test moves, over a fresh store of each kind (SQLite, and PostgreSQL where one
 * is given): every test of a subclass runs once per database, since each rule it pins is also a column or a
 * table. The store is made at the first {@link #controller} call and dropped after the test; a second call
 * opens the same store again, as a restarted controller would.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
abstract class ControllerOnBothDatabases {
    @Parameter
    TestDatabases.Kind kind;
    @TempDir
    Path dir;
    TestDatabases.TestDb db;
    final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T00:00:00Z"));

    @AfterEach
    void drop() {
        if (db != null) db.close();
    }

    Controller controller(ControllerOptions options) {
        if (db == null) db = TestDatabases.fresh(kind, dir);
        return new Controller(db.open(), clock, options);
    }
}
