#include "conformance/saga_store_conformance.hpp"

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "support/error_code.hpp"

namespace mink::conformance {
namespace {

using mink::testing::CodeOf;
using namespace std::chrono_literals;

const Context kCtx;

Timestamp At(int seconds) { return Timestamp(std::chrono::seconds(1'800'000'000 + seconds)); }

SagaState NewState(std::string id, std::string type = "OrderFulfillment",
                   std::string correlation = "order-1", int started = 0) {
  SagaState s;
  s.id = std::move(id);
  s.type = std::move(type);
  s.correlation_id = std::move(correlation);
  s.status = SagaStatus::kRunning;
  s.started_at = At(started);
  return s;
}

TEST_P(SagaStoreConformance, SaveThenLoadRoundTripsEveryField) {
  SagaState s = NewState("saga-1");
  s.current_step = 2;
  s.data = {{"order_id", "order-1"}, {"amount", 12.5}, {"items", {1, 2, 3}}};
  s.processed_events = {"ev-1:1", "ev-2:7"};
  s.steps = {SagaStep{.name = "RequestPayment",
                      .index = 0,
                      .status = SagaStepStatus::kCompleted,
                      .command = "RequestPayment",
                      .error = "",
                      .completed_at = At(5) + 123456us}};
  s.completed_at = At(9) + 1us;
  s.failure_reason = "none yet";
  s.status = SagaStatus::kCompensationFailed;
  store().Save(kCtx, s);
  EXPECT_EQ(s.version, 1);
  EXPECT_NE(s.updated_at, Timestamp{});

  SagaState got = store().Load(kCtx, "saga-1");
  EXPECT_EQ(got, s);
}

TEST_P(SagaStoreConformance, UpdateAtTheCurrentVersionBumpsIt) {
  SagaState s = NewState("saga-1");
  store().Save(kCtx, s);
  s.current_step = 1;
  s.data = {{"paid", true}};
  store().Save(kCtx, s);
  EXPECT_EQ(s.version, 2);
  SagaState got = store().Load(kCtx, "saga-1");
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(got.current_step, 1);
  EXPECT_EQ(got.data, s.data);
}

TEST_P(SagaStoreConformance, StaleVersionIsAConcurrencyErrorAndWritesNothing) {
  SagaState s = NewState("saga-1");
  store().Save(kCtx, s);
  SagaState other = s;
  store().Save(kCtx, s);  // version 2

  other.current_step = 9;
  try {
    store().Save(kCtx, other);
    FAIL() << "stale save succeeded";
  } catch (const ConcurrencyError& e) {
    EXPECT_EQ(e.StreamID(), "saga-1");
    EXPECT_EQ(e.ExpectedVersion(), 1);
    EXPECT_TRUE(e.Is(errc::kConcurrencyConflict));
  }
  EXPECT_EQ(other.version, 1);  // the caller's copy is untouched
  SagaState got = store().Load(kCtx, "saga-1");
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(got.current_step, 0);
}

TEST_P(SagaStoreConformance, InsertOverAnExistingIDIsAConflict) {
  SagaState s = NewState("saga-1");
  store().Save(kCtx, s);
  SagaState again = NewState("saga-1");
  EXPECT_EQ(CodeOf([&] { store().Save(kCtx, again); }), errc::kConcurrencyConflict);
  EXPECT_EQ(again.version, 0);
}

TEST_P(SagaStoreConformance, UpdateOfAMissingSagaIsAConflict) {
  SagaState s = NewState("saga-ghost");
  s.version = 3;
  EXPECT_EQ(CodeOf([&] { store().Save(kCtx, s); }), errc::kConcurrencyConflict);
  EXPECT_EQ(CodeOf([&] { store().Load(kCtx, "saga-ghost"); }), errc::kSagaNotFound);
}

TEST_P(SagaStoreConformance, MissingSagaIsSagaNotFound) {
  try {
    store().Load(kCtx, "nope");
    FAIL();
  } catch (const SagaNotFoundError& e) {
    EXPECT_EQ(e.SagaID(), "nope");
  }
  try {
    store().FindByCorrelationID(kCtx, "corr-x");
    FAIL();
  } catch (const SagaNotFoundError& e) {
    EXPECT_EQ(e.CorrelationID(), "corr-x");
  }
  EXPECT_EQ(CodeOf([&] { store().Delete(kCtx, "nope"); }), errc::kSagaNotFound);
}

TEST_P(SagaStoreConformance, EmptyIDsAreInvalidArguments) {
  SagaState s = NewState("");
  EXPECT_EQ(CodeOf([&] { store().Save(kCtx, s); }), errc::kInvalidArgument);
  SagaState untyped = NewState("saga-1", "");
  EXPECT_EQ(CodeOf([&] { store().Save(kCtx, untyped); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store().Load(kCtx, ""); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store().FindByCorrelationID(kCtx, ""); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store().Delete(kCtx, ""); }), errc::kInvalidArgument);
}

TEST_P(SagaStoreConformance, FindByCorrelationIDTakesTheLatestStartedAndCanScopeByType) {
  SagaState older = NewState("a-1", "A", "order-7", 1);
  SagaState newer = NewState("a-2", "A", "order-7", 5);
  SagaState b = NewState("b-1", "B", "order-7", 9);
  store().Save(kCtx, older);
  store().Save(kCtx, newer);
  store().Save(kCtx, b);
  EXPECT_EQ(store().FindByCorrelationID(kCtx, "order-7").id, "b-1");
  EXPECT_EQ(store().FindByCorrelationID(kCtx, "order-7", "A").id, "a-2");
  EXPECT_EQ(CodeOf([&] { store().FindByCorrelationID(kCtx, "order-7", "C"); }),
            errc::kSagaNotFound);
}

TEST_P(SagaStoreConformance, FindByTypeFiltersByStatusNewestFirst) {
  SagaState a = NewState("s-1", "T", "c-1", 1);
  SagaState b = NewState("s-2", "T", "c-2", 3);
  SagaState c = NewState("s-3", "T", "c-3", 2);
  SagaState other = NewState("x-1", "U", "c-4", 4);
  b.status = SagaStatus::kCompleted;
  for (SagaState* s : {&a, &b, &c, &other}) store().Save(kCtx, *s);

  auto all = store().FindByType(kCtx, "T");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, "s-2");
  EXPECT_EQ(all[1].id, "s-3");
  EXPECT_EQ(all[2].id, "s-1");
  auto running = store().FindByType(kCtx, "T", {SagaStatus::kRunning});
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[0].id, "s-3");
  auto some = store().FindByType(kCtx, "T", {SagaStatus::kCompleted, SagaStatus::kFailed});
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].id, "s-2");
  EXPECT_TRUE(store().FindByType(kCtx, "none").empty());
}

TEST_P(SagaStoreConformance, DeleteRemovesTheSaga) {
  SagaState s = NewState("saga-1");
  store().Save(kCtx, s);
  store().Delete(kCtx, "saga-1");
  EXPECT_EQ(CodeOf([&] { store().Load(kCtx, "saga-1"); }), errc::kSagaNotFound);
  SagaState fresh = NewState("saga-1");
  store().Save(kCtx, fresh);  // the ID can be used again
  EXPECT_EQ(fresh.version, 1);
}

TEST_P(SagaStoreConformance, ACorruptRowIsATypedErrorNamingTheSagaAndOthersStillLoad) {
  SagaState good = NewState("good", "T", "c-1", 1);
  SagaState bad = NewState("bad", "T", "c-2", 2);
  store().Save(kCtx, good);
  store().Save(kCtx, bad);
  GetParam().corrupt(store(), "bad");

  try {
    store().Load(kCtx, "bad");
    FAIL() << "a corrupt row loaded";
  } catch (const CorruptSagaStateError& e) {
    EXPECT_EQ(e.SagaID(), "bad");
    EXPECT_NE(std::string(e.what()).find("bad"), std::string::npos);
  }
  EXPECT_EQ(store().Load(kCtx, "good").id, "good");

  std::vector<CorruptSagaStateError> corrupt;
  auto found = store().FindByType(kCtx, "T", {}, &corrupt);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, "good");
  ASSERT_EQ(corrupt.size(), 1u);
  EXPECT_EQ(corrupt[0].SagaID(), "bad");
  EXPECT_EQ(CodeOf([&] { store().FindByType(kCtx, "T"); }), errc::kCorruptSagaState);
}

TEST_P(SagaStoreConformance, CheckpointsAreNamedPositions) {
  EXPECT_FALSE(store().LoadCheckpoint(kCtx, "mgr").has_value());
  store().SaveCheckpoint(kCtx, "mgr", 42);
  store().SaveCheckpoint(kCtx, "other", 7);
  EXPECT_EQ(store().LoadCheckpoint(kCtx, "mgr"), 42u);
  store().SaveCheckpoint(kCtx, "mgr", 43);
  EXPECT_EQ(store().LoadCheckpoint(kCtx, "mgr"), 43u);
  EXPECT_EQ(store().LoadCheckpoint(kCtx, "other"), 7u);
}

TEST_P(SagaStoreConformance, SaveWithCheckpointWritesBothOrNeither) {
  SagaState s = NewState("saga-1");
  store().SaveWithCheckpoint(kCtx, s, "mgr", 10);
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(store().LoadCheckpoint(kCtx, "mgr"), 10u);

  SagaState stale = s;
  stale.version = 0;  // an insert over an existing saga
  EXPECT_EQ(CodeOf([&] { store().SaveWithCheckpoint(kCtx, stale, "mgr", 11); }),
            errc::kConcurrencyConflict);
  EXPECT_EQ(store().LoadCheckpoint(kCtx, "mgr"), 10u);

  s.current_step = 1;
  store().SaveWithCheckpoint(kCtx, s, "mgr", 12);
  EXPECT_EQ(store().LoadCheckpoint(kCtx, "mgr"), 12u);
  EXPECT_EQ(store().Load(kCtx, "saga-1").current_step, 1);
}

TEST_P(SagaStoreConformance, OfRacingSavesAtOneVersionExactlyOneWins) {
  SagaState s = NewState("saga-1");
  store().Save(kCtx, s);
  constexpr int kWriters = 8;
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::barrier start(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      SagaState mine = s;
      mine.current_step = i + 1;
      start.arrive_and_wait();
      try {
        store().Save(kCtx, mine);
        wins.fetch_add(1);
      } catch (const ConcurrencyError&) {
        conflicts.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kWriters - 1);
  EXPECT_EQ(store().Load(kCtx, "saga-1").version, 2);
}

TEST_P(SagaStoreConformance, ACancelledContextIsRefused) {
  std::stop_source stop;
  stop.request_stop();
  const Context cancelled = Context::FromStopToken(stop.get_token());
  SagaState s = NewState("saga-1");
  EXPECT_EQ(CodeOf([&] { store().Save(cancelled, s); }), errc::kCancelled);
  EXPECT_EQ(CodeOf([&] { store().Load(kCtx, "saga-1"); }), errc::kSagaNotFound);
}

TEST_P(SagaStoreConformance, AClosedStoreRefusesCalls) {
  store().Close();
  SagaState s = NewState("saga-1");
  EXPECT_EQ(CodeOf([&] { store().Save(kCtx, s); }), errc::kAdapterClosed);
  EXPECT_EQ(CodeOf([&] { store().Load(kCtx, "saga-1"); }), errc::kAdapterClosed);
}

}  // namespace
}  // namespace mink::conformance
