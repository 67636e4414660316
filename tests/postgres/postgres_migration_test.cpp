// Migration checksums: every applied migration is recorded with the SHA-256 of its text; an
// applied migration whose text changed is refused with MigrationChecksumError and nothing is
// changed; re-running the same migrations is a no-op; a migrations table from before checksums
// is upgraded in place. The runner is driven directly (adapters/postgres/src/migrator.hpp) with
// migration lists of the test's own, and through Adapter::Initialize with the real ones.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "mink/postgres/adapter.hpp"
#include "mink/postgres/errors.hpp"
#include "mink/postgres/identifier.hpp"
#include "mink/postgres/migrations.hpp"
#include "postgres/pg_test_support.hpp"
#include "src/migrator.hpp"

namespace mink::postgres {
namespace {

using testing::AdminQuery;

const Context kCtx;

// A schema of the test's own, dropped at the end.
struct Scratch {
  std::string schema = testing::UniqueSchema();
  std::string q = QuoteIdentifier(schema);
  ~Scratch() {
    try {
      AdminQuery("DROP SCHEMA IF EXISTS " + q + " CASCADE");
    } catch (const std::exception&) {
    }
  }
  // Runs internal::Migrate in its own transaction and commits.
  void Migrate(const std::vector<Migration>& migrations) const {
    pqxx::connection conn(BuildConnInfo(testing::DatabaseURL(), std::chrono::seconds(5)));
    pqxx::work tx(conn);
    internal::Migrate(tx, schema, migrations);
    tx.commit();
  }
  // "version|name|checksum|applied_at" of every recorded migration.
  std::vector<std::string> Recorded() const {
    return AdminQuery(
        "SELECT version || '|' || name || '|' || COALESCE(checksum, 'NULL') || '|' "
        "|| applied_at FROM " +
        q + ".schema_migrations ORDER BY version");
  }
};

std::vector<Migration> Steps(const Scratch& s, const std::string& first_column_type) {
  return {
      Migration{1, "create t", "CREATE TABLE " + s.q + ".t (x " + first_column_type + ")"},
      Migration{2, "seed t", "INSERT INTO " + s.q + ".t VALUES (1)"},
  };
}

TEST(PostgresMigrationTest, ChecksumIsTheHexSha256OfTheText) {
  EXPECT_EQ(MigrationChecksum("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(MigrationChecksum("").size(), 64u);
  EXPECT_NE(MigrationChecksum("CREATE TABLE t (x INT)"),
            MigrationChecksum("CREATE TABLE t (x INT) "));
}

TEST(PostgresMigrationTest, ReRunningTheSameMigrationsIsANoOp) {
  Scratch s;
  s.Migrate(Steps(s, "INT"));
  const auto recorded = s.Recorded();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[0].substr(0, recorded[0].rfind('|')),
            "1|create t|" + MigrationChecksum(Steps(s, "INT")[0].sql));
  // Executing either step again would fail (CREATE TABLE) or add a row (INSERT).
  s.Migrate(Steps(s, "INT"));
  s.Migrate(Steps(s, "INT"));
  EXPECT_EQ(s.Recorded(), recorded);
  EXPECT_EQ(AdminQuery("SELECT count(*) FROM " + s.q + ".t"), std::vector<std::string>{"1"});
}

TEST(PostgresMigrationTest, AnAppliedMigrationWhoseTextChangedIsRefusedAndNothingChanges) {
  Scratch s;
  s.Migrate(Steps(s, "INT"));
  const auto recorded = s.Recorded();
  auto edited = Steps(s, "BIGINT");  // step 1 edited after it was applied
  edited.push_back(Migration{3, "seed more", "INSERT INTO " + s.q + ".t VALUES (3)"});
  try {
    s.Migrate(edited);
    FAIL() << "an edited, applied migration was accepted";
  } catch (const MigrationChecksumError& e) {
    EXPECT_TRUE(e.Is(errc::kMigrationChecksumMismatch));
    EXPECT_TRUE(ErrorIs(e, errc::kMigrationChecksumMismatch));
    EXPECT_EQ(e.schema(), s.schema);
    EXPECT_EQ(e.version(), 1);
    EXPECT_EQ(e.name(), "create t");
    EXPECT_EQ(e.recorded_checksum(), MigrationChecksum(Steps(s, "INT")[0].sql));
    EXPECT_EQ(e.expected_checksum(), MigrationChecksum(edited[0].sql));
    EXPECT_NE(std::string(e.what()).find("must not be edited"), std::string::npos) << e.what();
  }
  // Step 3 was not applied, nothing was recorded.
  EXPECT_EQ(s.Recorded(), recorded);
  EXPECT_EQ(AdminQuery("SELECT count(*) FROM " + s.q + ".t"), std::vector<std::string>{"1"});
  // The released text still works, and a new step on top of it is applied.
  auto extended = Steps(s, "INT");
  extended.push_back(edited[2]);
  s.Migrate(extended);
  EXPECT_EQ(AdminQuery("SELECT count(*) FROM " + s.q + ".t"), std::vector<std::string>{"2"});
}

TEST(PostgresMigrationTest, AVersionThisBuildDoesNotKnowIsLeftAlone) {
  Scratch s;
  auto newer = Steps(s, "INT");
  newer.push_back(Migration{3, "from a newer release", "SELECT 1"});
  s.Migrate(newer);
  s.Migrate(Steps(s, "INT"));  // an older build starting against the newer schema
  EXPECT_EQ(s.Recorded().size(), 3u);
}

TEST(PostgresMigrationTest, InitializeRecordsTheChecksumOfEveryMigration) {
  auto adapter = testing::MakeAdapter();
  const auto migrations = Migrations(adapter->Schema());
  std::vector<std::string> expected;
  for (const Migration& m : migrations) {
    expected.push_back(std::to_string(m.version) + "|" + MigrationChecksum(m.sql));
  }
  EXPECT_EQ(AdminQuery("SELECT version || '|' || checksum FROM " +
                       QuoteIdentifier(adapter->Schema()) + ".schema_migrations ORDER BY version"),
            expected);
}

TEST(PostgresMigrationTest, InitializeRefusesAnAppliedMigrationThatDiverged) {
  auto adapter = testing::MakeAdapter();
  adapter->Append(kCtx, "Keep-1", {EventRecord{"T", "{}", {}}}, NoStream);
  const std::string table = QuoteIdentifier(adapter->Schema()) + ".schema_migrations";
  AdminQuery("UPDATE " + table + " SET checksum = repeat('0', 64) WHERE version = 1 RETURNING 1");
  try {
    adapter->Initialize(kCtx);
    FAIL() << "Initialize accepted a diverged migration";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kMigrationChecksumMismatch) << e.what();
    EXPECT_NE(dynamic_cast<const MigrationChecksumError*>(&e), nullptr);
    EXPECT_NE(std::string(e.what()).find(adapter->Schema()), std::string::npos) << e.what();
  }
  EXPECT_EQ(AdminQuery("SELECT checksum FROM " + table + " WHERE version = 1"),
            std::vector<std::string>{std::string(64, '0')});
  // The refusal is about the schema's history; the data is untouched.
  EXPECT_EQ(adapter->Load(kCtx, "Keep-1", 0).size(), 1u);
}

TEST(PostgresMigrationTest, ALegacyMigrationsTableWithoutChecksumsIsUpgraded) {
  Scratch s;
  // What Initialize did before checksums existed.
  AdminQuery("CREATE SCHEMA " + s.q + "; CREATE TABLE " + s.q +
             ".schema_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, "
             "applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); " +
             Migrations(s.schema)[0].sql + "; INSERT INTO " + s.q +
             ".schema_migrations (version, name) VALUES (1, 'create event store'); SELECT 1");
  // An append by the release that wrote this schema (its function, migration 1).
  AdminQuery("SELECT out_version FROM " + s.q +
             ".append_events('Old-1', 'Old', 0, ARRAY['T'], ARRAY['{\"n\":1}'::jsonb], "
             "ARRAY['{}'::jsonb], false)");
  Adapter adapter(Options{.url = testing::DatabaseURL(), .schema = s.schema});
  adapter.Initialize(kCtx);
  EXPECT_EQ(adapter.MigrationVersion(kCtx), static_cast<int>(Migrations(s.schema).size()));
  EXPECT_EQ(AdminQuery("SELECT checksum FROM " + s.q + ".schema_migrations WHERE version = 1"),
            std::vector<std::string>{MigrationChecksum(Migrations(s.schema)[0].sql)});
  EXPECT_EQ(adapter.Load(kCtx, "Old-1", 0).size(), 1u);
  EXPECT_EQ(adapter.Append(kCtx, "Old-1", {EventRecord{"T", R"({"n":2})", {}}}, 1).version, 2);
  // Upgraded once; from now on the adopted checksum protects the migration like any other.
  const auto upgraded = s.Recorded();
  adapter.Initialize(kCtx);
  EXPECT_EQ(s.Recorded(), upgraded);
  AdminQuery("UPDATE " + s.q + ".schema_migrations SET checksum = 'x' RETURNING 1");
  EXPECT_THROW(adapter.Initialize(kCtx), MigrationChecksumError);
  adapter.Close();
}

// Issue 10: migration 2 drops the streams table (a view over events replaces it) and moves
// appends to append_events_v2. A schema at migration 1 with streams written by the previous
// release upgrades in place: versions continue, stream info is the same, and the previous
// release's function (still called by a process not yet upgraded) keeps appending correctly.
TEST(PostgresMigrationTest, AnEventStoreAtMigrationOneUpgradesWithItsStreams) {
  Scratch s;
  AdminQuery("CREATE SCHEMA " + s.q + "; SELECT 1");
  s.Migrate({Migrations(s.schema)[0]});
  const auto old_append = [&](const std::string& stream, int64_t expected) {
    return AdminQuery("SELECT out_status || '/' || out_version FROM " + s.q + ".append_events(" +
                      QuoteLiteral(stream) + ", 'Old', " + std::to_string(expected) +
                      ", ARRAY['T','T'], ARRAY['{\"n\":1}'::jsonb, '{\"n\":2}'::jsonb], "
                      "ARRAY['{}'::jsonb, '{}'::jsonb], false) LIMIT 1");
  };
  EXPECT_EQ(old_append("Old-1", 0), std::vector<std::string>{"0/2"});
  EXPECT_EQ(old_append("Old-2", 0), std::vector<std::string>{"0/2"});

  Adapter adapter(Options{.url = testing::DatabaseURL(), .schema = s.schema});
  adapter.Initialize(kCtx);
  ASSERT_EQ(adapter.MigrationVersion(kCtx), 2);
  const StreamInfo info = adapter.GetStreamInfo(kCtx, "Old-1");
  EXPECT_EQ(info.version, 2);
  EXPECT_EQ(info.category, "Old");
  EXPECT_EQ(adapter.Append(kCtx, "Old-1", {EventRecord{"T", R"({"n":3})", {}}}, 2).version, 3);
  EXPECT_THROW(adapter.Append(kCtx, "Old-1", {EventRecord{"T", "{}", {}}}, 2), ConcurrencyError);
  EXPECT_THROW(adapter.Append(kCtx, "Old-2", {EventRecord{"T", "{}", {}}}, NoStream),
               ConcurrencyError);
  // The previous release's function after the upgrade: same versions, same checks.
  EXPECT_EQ(old_append("Old-1", 3), std::vector<std::string>{"0/5"});
  EXPECT_EQ(old_append("Old-1", 3), std::vector<std::string>{"1/5"});
  EXPECT_EQ(adapter.GetStreamInfo(kCtx, "Old-1").version, 5);
  const auto events = adapter.Load(kCtx, "Old-1", 0);
  ASSERT_EQ(events.size(), 5u);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i].version, events[i - 1].version + 1);
    EXPECT_GT(events[i].global_position, events[i - 1].global_position);
  }
  EXPECT_THROW(adapter.GetStreamInfo(kCtx, "Never-1"), StreamNotFoundError);
  adapter.Close();
}

}  // namespace
}  // namespace mink::postgres
