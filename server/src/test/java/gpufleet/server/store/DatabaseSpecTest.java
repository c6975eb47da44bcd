package gpufleet.server.store;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatabaseSpecTest {

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "SQLite", " sqlite ", ""})
    void sqliteIsTheDefault(String spec) {
        assertThat(DatabaseSpec.isSqlite(spec)).isTrue();
        assertThat(DatabaseSpec.isSqlite(null)).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', nullValues = "-", value = {
            "postgresql://db.example:5433/fleet?user=ops&password=s3cret; jdbc:postgresql://db.example:5433/fleet; ops; s3cret",
            "postgres://db.example/fleet?user=ops;                         jdbc:postgresql://db.example/fleet;      ops; -",
            "postgres://ops:p%40ss@10.0.0.7:5432/fleet;                    jdbc:postgresql://10.0.0.7:5432/fleet;   ops; p@ss",
            "jdbc:postgresql://[::1]:5432/fleet?user=app&sslmode=require;  jdbc:postgresql://[::1]:5432/fleet?sslmode=require; app; -",
            "jdbc:postgresql://h1:5432,h2:5432/fleet?targetServerType=primary&password=x; jdbc:postgresql://h1:5432,h2:5432/fleet?targetServerType=primary; -; x",
            "POSTGRESQL://host/db;                                         jdbc:postgresql://host/db;               -; -"})
    void postgresUrlsBecomeJdbcUrlsWithoutTheirCredentials(String spec, String jdbcUrl, String user, String password) {
        DatabaseSpec d = DatabaseSpec.postgres(spec);
        assertThat(DatabaseSpec.isSqlite(spec)).isFalse();
        assertThat(d.jdbcUrl()).isEqualTo(jdbcUrl);
        assertThat(d.user()).isEqualTo(user);
        assertThat(d.password()).isEqualTo(password);
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', quoteCharacter = '"', value = {
            "postgresql://db.example:5432?user=u&password=hunter2; no database name",
            "postgresql://db.example:5432/; no database name",
            "postgresql:///fleet?password=hunter2; no host",
            "postgresql://db.example:port/fleet; the port 'port' is not a number",
            "postgresql://db.example:70000/fleet; the port '70000' is not a number",
            "postgresql://db_1 x/fleet; 'db_1 x' is not a host name",
            "postgresql://::1/fleet; '::1' is not a host name",
            "postgresql://h/a/b; contains '/'",
            "postgresql://h/db?&password=hunter2; an empty parameter",
            "postgresql://u:hunter2@h/db?user=%zz; malformed %-escape",
            "mysql://h/db?password=hunter2; unsupported kind of database",
            "./gpufleet.db; not a database URL"})
    void malformedSpecsNameTheProblemAndHideThePassword(String spec, String problem) {
        assertThatThrownBy(() -> DatabaseSpec.postgres(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(problem)
                .hasMessageContaining("expected sqlite or postgresql://host[:port]/dbname")
                .message().doesNotContain("hunter2");
    }

    @Test
    void redactHidesPasswordsInBothPlaces() {
        assertThat(DatabaseSpec.redact("postgres://ops:hunter2@h/db?user=ops&Password=hunter2&sslmode=require"))
                .isEqualTo("postgres://ops:***@h/db?user=ops&Password=***&sslmode=require");
    }
}
