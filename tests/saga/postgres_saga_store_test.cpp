// The SagaStore contract on mink::postgres::SagaStore, plus its own schema and bad-input cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <thread>

#include "conformance/saga_store_conformance.hpp"
#include "mink/postgres/saga_store.hpp"
#include "postgres/pg_test_support.hpp"
#include "saga/saga_fixture.hpp"
#include "support/error_code.hpp"

namespace mink::conformance {

namespace pgt = postgres::testing;

// A fresh, initialized store on its own schema, dropped when the store is released.
std::shared_ptr<postgres::SagaStore> MakePgSagaStore(std::string schema = pgt::UniqueSchema()) {
  auto* store = new postgres::SagaStore({.url = pgt::DatabaseURL(), .schema = schema});
  std::shared_ptr<postgres::SagaStore> owned(store, [schema](postgres::SagaStore* s) {
    delete s;
    pgt::AdminQuery("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
  });
  owned->Initialize(Context{});
  return owned;
}

INSTANTIATE_TEST_SUITE_P(
    Postgres, SagaStoreConformance,
    ::testing::Values(SagaStoreFactory{
        "postgres", [] { return std::shared_ptr<SagaStore>(MakePgSagaStore()); },
        [](SagaStore& s, const std::string& id) {
          // JSONB keeps the text valid JSON; a corrupt row is one of the wrong shape.
          pgt::AdminQuery("UPDATE " + dynamic_cast<postgres::SagaStore&>(s).QualifiedTable() +
                          " SET steps = '\"garbage\"'::jsonb, processed_events = '{\"a\":1}' "
                          "WHERE id = '" +
                          id + "' RETURNING id");
        }}));

namespace {

using mink::testing::CodeOf;

TEST(PostgresSagaStore, UnsafeNamesAreRefusedBeforeAnySql) {
  EXPECT_EQ(CodeOf([] {
              postgres::SagaStore s({.url = pgt::DatabaseURL(), .schema = "x; DROP TABLE y"});
            }),
            errc::kInvalidSchemaName);
  EXPECT_EQ(CodeOf([] { postgres::SagaStore s({.url = pgt::DatabaseURL(), .table = "t\"--"}); }),
            errc::kInvalidSchemaName);
  EXPECT_EQ(CodeOf([] {
              postgres::SagaStore s({.url = pgt::DatabaseURL(), .table = std::string(52, 'a')});
            }),
            errc::kInvalidSchemaName);
  EXPECT_EQ(CodeOf([] { postgres::SagaStore s({.url = "postgresql://[::1"}); }),
            errc::kInvalidArgument);
}

TEST(PostgresSagaStore, InitializeIsIdempotentAndCreatesTheSeedTableAndIndexes) {
  const std::string schema = pgt::UniqueSchema();
  auto store = MakePgSagaStore(schema);
  store->Initialize(Context{});
  auto columns =
      pgt::AdminQuery("SELECT column_name FROM information_schema.columns WHERE table_schema = '" +
                      schema + "' AND table_name = 'mink_sagas' ORDER BY ordinal_position");
  EXPECT_EQ(columns,
            (std::vector<std::string>{"id", "type", "correlation_id", "status", "current_step",
                                      "data", "processed_events", "steps", "failure_reason",
                                      "started_at", "updated_at", "completed_at", "version"}));
  auto indexes = pgt::AdminQuery("SELECT indexname FROM pg_indexes WHERE schemaname = '" + schema +
                                 "' AND tablename = 'mink_sagas' ORDER BY indexname");
  EXPECT_EQ(indexes,
            (std::vector<std::string>{"mink_sagas_corr", "mink_sagas_pkey", "mink_sagas_running",
                                      "mink_sagas_started", "mink_sagas_type_status"}));
}

TEST(PostgresSagaStore, ConcurrentInitializeFromManyStoresSucceeds) {
  const std::string schema = pgt::UniqueSchema();
  auto owner = MakePgSagaStore(schema);  // owns the schema's lifetime
  pgt::AdminQuery("DROP SCHEMA \"" + schema + "\" CASCADE");
  constexpr int kStores = 6;
  std::barrier start(kStores);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&] {
      postgres::SagaStore s({.url = pgt::DatabaseURL(), .schema = schema});
      start.arrive_and_wait();
      try {
        s.Initialize(Context{});
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  SagaState s;
  s.id = "s";
  s.type = "T";
  owner->Save(Context{}, s);
  EXPECT_EQ(owner->Load(Context{}, "s").version, 1);
}

TEST(PostgresSagaStore, AnOutOfRangeStatusIsCorruptNotACrash) {
  auto store = MakePgSagaStore();
  SagaState s;
  s.id = "s-1";
  s.type = "T";
  store->Save(Context{}, s);
  pgt::AdminQuery("UPDATE " + store->QualifiedTable() + " SET status = 99 RETURNING id");
  EXPECT_EQ(CodeOf([&] { store->Load(Context{}, "s-1"); }), errc::kCorruptSagaState);
}

TEST(PostgresSagaStore, AnUnreachableServerIsAConnectionError) {
  postgres::SagaStore store(
      {.url = "postgresql://nobody@127.0.0.1:1/none", .connect_timeout = std::chrono::seconds(2)});
  EXPECT_EQ(CodeOf([&] { store.Load(Context{}, "s"); }), errc::kConnectionFailed);
}

}  // namespace
}  // namespace mink::conformance

namespace mink::sagatest {

INSTANTIATE_TEST_SUITE_P(Postgres, SagaLoopTest,
                         ::testing::Values(SagaBackend{"postgres", [] {
                                                         return std::make_pair(
                                                             std::shared_ptr<EventStoreAdapter>(
                                                                 postgres::testing::MakeAdapter()),
                                                             std::shared_ptr<SagaStore>(
                                                                 conformance::MakePgSagaStore()));
                                                       }}));

}  // namespace mink::sagatest
