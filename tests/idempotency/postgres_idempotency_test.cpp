// The PostgreSQL IdempotencyStore: the contract suite, its own bad input, and the middleware
// running a duplicate exactly once across separate stores (separate pools, as separate
// processes would have).
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "conformance/idempotency_store_conformance.hpp"
#include "mink/cqrs/command_bus.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/idempotency/middleware.hpp"
#include "mink/postgres/idempotency_store.hpp"
#include "postgres/pg_test_support.hpp"
#include "support/error_code.hpp"

namespace mink::conformance {

namespace pgt = postgres::testing;

// A fresh, initialized store on its own schema, dropped when the store is released.
std::shared_ptr<postgres::IdempotencyStore> MakePgStore(std::string schema = pgt::UniqueSchema()) {
  auto* store = new postgres::IdempotencyStore({.url = pgt::DatabaseURL(), .schema = schema});
  std::shared_ptr<postgres::IdempotencyStore> owned(store, [schema](postgres::IdempotencyStore* s) {
    delete s;
    pgt::AdminQuery("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
  });
  owned->Initialize(Context{});
  return owned;
}

INSTANTIATE_TEST_SUITE_P(Postgres, IdempotencyStoreConformance,
                         ::testing::Values(IdempotencyStoreFactory{
                             "postgres",
                             [] { return std::shared_ptr<IdempotencyStore>(MakePgStore()); }}));

namespace {

using mink::testing::CodeOf;

using namespace std::chrono_literals;

TEST(PostgresIdempotencyStore, UnsafeNamesAreRefusedBeforeAnySql) {
  EXPECT_EQ(
      CodeOf([] {
        postgres::IdempotencyStore s({.url = pgt::DatabaseURL(), .schema = "mink; DROP TABLE x"});
      }),
      errc::kInvalidSchemaName);
  EXPECT_EQ(
      CodeOf([] { postgres::IdempotencyStore s({.url = pgt::DatabaseURL(), .table = "t\"; --"}); }),
      errc::kInvalidSchemaName);
  EXPECT_EQ(CodeOf([] { postgres::IdempotencyStore s({.url = "postgresql://[::1"}); }),
            errc::kInvalidArgument);
}

TEST(PostgresIdempotencyStore, AnUnreachableServerIsAConnectionError) {
  postgres::IdempotencyStore store(
      {.url = "postgresql://nobody@127.0.0.1:1/none", .connect_timeout = 2s});
  EXPECT_EQ(CodeOf([&] { store.Get(Context{}, "k"); }), errc::kConnectionFailed);
}

TEST(PostgresIdempotencyStore, InitializeTwiceIsHarmlessAndCreatesTheSeedTable) {
  const std::string schema = pgt::UniqueSchema();
  auto store = MakePgStore(schema);
  store->Initialize(Context{});
  auto columns =
      pgt::AdminQuery("SELECT column_name FROM information_schema.columns WHERE table_schema = '" +
                      schema + "' AND table_name = 'mink_idempotency' ORDER BY ordinal_position");
  for (const char* c : {"key", "response", "created_at", "expires_at", "status"}) {
    EXPECT_NE(std::find(columns.begin(), columns.end(), c), columns.end()) << c;
  }
  auto indexes = pgt::AdminQuery("SELECT indexname FROM pg_indexes WHERE schemaname = '" + schema +
                                 "' AND indexname = 'idx_mink_idempotency_expires_at'");
  EXPECT_EQ(indexes.size(), 1u);
}

struct Charge : CommandBase {
  static constexpr std::string_view kCommandType = "Charge";
  std::string request_id;
  int cents = 0;
  void Validate() const {}
  std::string IdempotencyKey() const { return request_id; }
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Charge, request_id, cents)
};

TEST(PostgresIdempotency, DuplicatesFromTwoProcessesRunTheHandlerOnce) {
  const std::string schema = pgt::UniqueSchema();
  auto shared_schema = MakePgStore(schema);  // owns the schema's lifetime
  // Two "processes": each its own store (own connection pool) and its own bus.
  auto store_a = std::make_shared<postgres::IdempotencyStore>(
      postgres::IdempotencyStoreOptions{.url = pgt::DatabaseURL(), .schema = schema});
  auto store_b = std::make_shared<postgres::IdempotencyStore>(
      postgres::IdempotencyStoreOptions{.url = pgt::DatabaseURL(), .schema = schema});
  std::atomic<int> runs{0};
  auto handler = NewGenericHandler<Charge>([&](const Context&, const Charge& c) {
    ++runs;
    std::this_thread::sleep_for(30ms);
    return NewSuccessResultWithData("payment-" + c.request_id, 1, {{"cents", c.cents}});
  });
  CommandBus bus_a, bus_b;
  bus_a.Use(IdempotencyMiddleware(DefaultIdempotencyConfig(store_a)));
  bus_b.Use(IdempotencyMiddleware(DefaultIdempotencyConfig(store_b)));
  bus_a.Register(handler);
  bus_b.Register(handler);
  for (int round = 0; round < 3; ++round) {
    Charge cmd;
    cmd.request_id = "req-" + std::to_string(round);
    cmd.cents = 500;
    constexpr int kThreads = 16;
    std::barrier start(kThreads);
    std::atomic<int> ok{0}, in_progress{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        CommandResult r = (t % 2 == 0 ? bus_a : bus_b).Dispatch(Context{}, cmd);
        if (r.IsSuccess() && r.aggregate_id == "payment-" + cmd.request_id) {
          ++ok;
        } else if (r.HasError(errc::kCommandInProgress)) {
          ++in_progress;
        } else {
          ++other;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(runs.load(), round + 1);
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(ok.load() + in_progress.load(), kThreads);
    // After the first completes, every retry from either process replays its result.
    CommandResult replay = bus_b.Dispatch(Context{}, cmd);
    ASSERT_TRUE(replay.IsSuccess());
    EXPECT_EQ(replay.data["cents"], 500);
    EXPECT_EQ(runs.load(), round + 1);
  }
}

}  // namespace
}  // namespace mink::conformance
