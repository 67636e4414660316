// The PostgreSQL IdempotencyStore: the contract suite, its own bad input, the middleware
// running a duplicate exactly once across two OS processes, a SIGKILLed process's reservation,
// and a store connection lost mid-call reported through the middleware as an IdempotencyError
// that is also a kConnectionFailed.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <latch>
#include <thread>

#include <pqxx/pqxx>

#include "conformance/idempotency_store_conformance.hpp"
#include "idempotency/charge.hpp"
#include "mink/cqrs/command_bus.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/idempotency/middleware.hpp"
#include "mink/postgres/idempotency_store.hpp"
#include "postgres/pg_test_support.hpp"
#include "support/child_process.hpp"
#include "support/error_code.hpp"
#include "support/manual_clock.hpp"

namespace mink::conformance {

namespace pgt = postgres::testing;

// A fresh, initialized store on its own schema, dropped when the store is released.
std::shared_ptr<postgres::IdempotencyStore> MakePgStore(std::string schema = pgt::UniqueSchema(),
                                                        IdempotencyClock clock = {}) {
  auto* store = new postgres::IdempotencyStore(
      {.url = pgt::DatabaseURL(), .schema = schema, .clock = std::move(clock)});
  std::shared_ptr<postgres::IdempotencyStore> owned(store, [schema](postgres::IdempotencyStore* s) {
    delete s;
    pgt::AdminQuery("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
  });
  owned->Initialize(Context{});
  return owned;
}

INSTANTIATE_TEST_SUITE_P(Postgres, IdempotencyStoreConformance,
                         ::testing::Values(IdempotencyStoreFactory{
                             "postgres", [](IdempotencyClock clock) {
                               return std::shared_ptr<IdempotencyStore>(
                                   MakePgStore(pgt::UniqueSchema(), std::move(clock)));
                             }}));

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

using mink::testing::Charge;

// Two OS processes (fork/exec of mink_idempotency_child), each with its own pool and bus and
// four threads, dispatch the same 40 keys at once: every key's handler runs exactly once in
// all, and every other dispatch is answered with the result or "in progress".
TEST(PostgresIdempotency, DuplicatesFromTwoProcessesRunTheHandlerOnce) {
  const std::string schema = pgt::UniqueSchema();
  auto shared_schema = MakePgStore(schema);  // owns the schema's lifetime
  pgt::AdminQuery("CREATE TABLE \"" + schema + "\".runs (key TEXT NOT NULL, pid INT NOT NULL)");
  constexpr int kKeys = 40;
  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<mink::testing::ChildProcess>> children;
  for (int p = 0; p < 2; ++p) {
    children.push_back(std::make_unique<mink::testing::ChildProcess>(
        std::vector<std::string>{MINK_IDEMPOTENCY_CHILD, "race", pgt::DatabaseURL(), schema,
                                 std::to_string(kKeys), std::to_string(kThreads)}));
  }
  for (auto& c : children) ASSERT_EQ(c->ReadLine(60s), "ready");
  for (auto& c : children) c->WriteLine("go");
  for (auto& c : children) {
    // Every one of the process's dispatches was answered with the result or "in progress".
    const std::string summary = c->ReadLine(300s);
    EXPECT_NE(summary.find(" other=0"), std::string::npos) << summary;
    EXPECT_EQ(c->Wait(), 0) << summary;
  }
  const auto per_key = pgt::AdminQuery("SELECT count(*) FROM \"" + schema +
                                       "\".runs GROUP BY key HAVING count(*) <> 1");
  EXPECT_TRUE(per_key.empty()) << per_key.size() << " keys ran more than once";
  EXPECT_EQ(pgt::AdminQuery("SELECT count(DISTINCT key) FROM \"" + schema + "\".runs"),
            std::vector<std::string>{std::to_string(kKeys)});
}

// A process SIGKILLed while its handler runs leaves its reservation behind: duplicates are told
// "in progress" until reservation_ttl has passed, then a retry takes the key over and runs.
TEST(PostgresIdempotency, AReservationOfAKilledProcessBlocksOnlyUntilItExpires) {
  const std::string schema = pgt::UniqueSchema();
  mink::testing::ManualClock clock;
  auto store = MakePgStore(schema, clock.Fn());
  {
    mink::testing::ChildProcess crashed(std::vector<std::string>{
        MINK_IDEMPOTENCY_CHILD, "crash", pgt::DatabaseURL(), schema, "req-crash"});
    ASSERT_EQ(crashed.ReadLine(60s), "running");
    crashed.Kill();
    EXPECT_EQ(crashed.Wait(), 128 + SIGKILL);
  }
  IdempotencyConfig config = DefaultIdempotencyConfig(store);
  config.clock = clock.Fn();
  CommandBus bus;
  bus.Use(IdempotencyMiddleware(config));
  std::atomic<int> runs{0};
  bus.Register(NewGenericHandler<Charge>([&](const Context&, const Charge& c) {
    ++runs;
    return NewSuccessResult("payment-" + c.request_id, 1);
  }));
  Charge cmd;
  cmd.request_id = "req-crash";
  EXPECT_TRUE(bus.Dispatch(Context{}, cmd).HasError(errc::kCommandInProgress));
  clock.Advance(std::chrono::minutes(4));
  EXPECT_TRUE(bus.Dispatch(Context{}, cmd).HasError(errc::kCommandInProgress));
  clock.Advance(std::chrono::minutes(2));  // past the default 5-minute reservation_ttl
  CommandResult retry = bus.Dispatch(Context{}, cmd);
  EXPECT_TRUE(retry.IsSuccess()) << retry.ErrorMessage();
  EXPECT_EQ(runs.load(), 1);
}

// ---- a lost connection, as the middleware reports it ----

struct LostConnectionOutcome {
  std::exception_ptr thrown;               // what Dispatch threw
  std::optional<CommandResult> result;     // what Dispatch returned
  std::vector<IdempotencyError> reported;  // what on_error received
  int runs = 0;                            // handler runs
};

// Dispatches a Charge while the store's connection is lost in the middle of its reservation:
// another session holds an uncommitted row for the same key, so the store's INSERT ... ON
// CONFLICT waits for it; the store's backend is then terminated (what a server restart or a
// network cut looks like to the client), and the holding session rolls back.
LostConnectionOutcome DispatchWhileTheStoreLosesItsConnection(bool fail_closed) {
  const std::string schema = pgt::UniqueSchema();
  auto owner = MakePgStore(schema);
  const std::string app = "mink-lost-" + schema;
  auto store = std::make_shared<postgres::IdempotencyStore>(postgres::IdempotencyStoreOptions{
      .url = pgt::DatabaseURL(), .schema = schema, .application_name = app});
  const std::string key = "lost-1";
  const std::string stored_key = EffectiveIdempotencyKey("Charge", "", key);

  std::latch held(1);
  std::atomic<bool> killed{false};
  std::thread saboteur([&] {
    pqxx::connection admin(
        postgres::BuildConnInfo(pgt::DatabaseURL(), std::chrono::seconds(5), "mink-test-admin"));
    pqxx::work hold(admin);
    hold.exec("INSERT INTO " + store->QualifiedTable() + " (key, expires_at) VALUES (" +
              hold.quote(stored_key) + ", now() + interval '1 hour')");
    held.count_down();
    for (int i = 0; i < 1000 && !killed; ++i) {
      auto waiting = pgt::AdminQuery(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
          "application_name = " +
          hold.quote(app));
      if (waiting == std::vector<std::string>{"1"}) killed = pgt::TerminateBackends(app) == 1;
      if (!killed) std::this_thread::sleep_for(10ms);
    }
    hold.abort();
  });
  held.wait();

  LostConnectionOutcome out;
  IdempotencyConfig config = DefaultIdempotencyConfig(store);
  config.fail_closed = fail_closed;
  config.on_error = [&](const IdempotencyError& e) { out.reported.push_back(e); };
  CommandBus bus;
  bus.Use(IdempotencyMiddleware(config));
  bus.Register(NewGenericHandler<Charge>([&](const Context&, const Charge& c) {
    ++out.runs;
    return NewSuccessResultWithData("payment-" + c.request_id, 1, {});
  }));
  Charge cmd;
  cmd.request_id = key;
  try {
    out.result = bus.Dispatch(Context{}, cmd);
  } catch (...) {
    out.thrown = std::current_exception();
  }
  saboteur.join();
  EXPECT_TRUE(killed) << "the store's connection was never caught waiting, so never killed";
  return out;
}

// The IdempotencyError answers both codes, and its chain ends in libpqxx's own exception.
void ExpectLostConnection(const IdempotencyError& e) {
  EXPECT_TRUE(ErrorIs(e, errc::kIdempotencyFailed)) << e.what();
  EXPECT_TRUE(ErrorIs(e, errc::kConnectionFailed)) << e.what();
  EXPECT_TRUE(e.Is(errc::kConnectionFailed)) << e.what();
  EXPECT_FALSE(ErrorIs(e, errc::kStorageFailed)) << e.what();
  EXPECT_EQ(e.Key(), EffectiveIdempotencyKey("Charge", "", "lost-1"));
  try {
    std::rethrow_exception(e.Cause());
  } catch (const Error& store_error) {
    EXPECT_EQ(store_error.code(), errc::kConnectionFailed);
    EXPECT_THROW(std::rethrow_exception(store_error.Cause()), pqxx::failure) << store_error.what();
  }
}

TEST(PostgresIdempotencyLostConnection,
     FailClosedThrowsAnIdempotencyErrorThatIsAConnectionFailure) {
  LostConnectionOutcome out = DispatchWhileTheStoreLosesItsConnection(/*fail_closed=*/true);
  std::exception_ptr error = out.thrown;
  if (!error && out.result) error = out.result->error;
  ASSERT_TRUE(error) << "the dispatch reported no failure";
  EXPECT_TRUE(ErrorIs(error, errc::kIdempotencyFailed));
  EXPECT_TRUE(ErrorIs(error, errc::kConnectionFailed));
  try {
    std::rethrow_exception(error);
  } catch (const IdempotencyError& e) {
    ExpectLostConnection(e);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an IdempotencyError: " << e.what();
  }
  EXPECT_EQ(out.runs, 0) << "fail_closed ran the handler without the guarantee";
}

TEST(PostgresIdempotencyLostConnection, FailOpenReportsAnIdempotencyErrorThatIsAConnectionFailure) {
  LostConnectionOutcome out = DispatchWhileTheStoreLosesItsConnection(/*fail_closed=*/false);
  EXPECT_FALSE(out.thrown);
  ASSERT_TRUE(out.result);
  EXPECT_TRUE(out.result->IsSuccess());
  EXPECT_EQ(out.runs, 1);
  ASSERT_EQ(out.reported.size(), 1u);
  ExpectLostConnection(out.reported[0]);
}

}  // namespace
}  // namespace mink::conformance
