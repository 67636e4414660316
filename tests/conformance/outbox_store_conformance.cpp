#include "conformance/outbox_store_conformance.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/outbox/errors.hpp"
#include "support/error_code.hpp"

namespace mink::conformance {
namespace {

using mink::testing::CodeOf;
using namespace std::chrono_literals;

const Context kCtx;

OutboxMessage Msg(std::string aggregate = "Order-1", std::string destination = "webhook:http://x",
                  int max_attempts = 0) {
  OutboxMessage m;
  m.aggregate_id = std::move(aggregate);
  m.event_type = "OrderCreated";
  m.destination = std::move(destination);
  m.payload = R"({"total":12})";
  m.headers = {{"stream-id", m.aggregate_id}, {"event-type", "OrderCreated"}};
  m.max_attempts = max_attempts;
  return m;
}

std::vector<std::string> Ids(const std::vector<OutboxMessage>& ms) {
  std::vector<std::string> ids;
  for (const auto& m : ms) ids.push_back(m.id);
  return ids;
}

std::vector<OutboxMessage> ScheduleN(OutboxStore& s, int n, std::string aggregate = "Order-1") {
  std::vector<OutboxMessage> ms;
  for (int i = 0; i < n; ++i) ms.push_back(Msg(aggregate + "-" + std::to_string(i)));
  s.Schedule(kCtx, ms);
  return ms;
}

TEST_P(OutboxStoreConformance, ScheduleFillsDefaultsAndRoundTripsEveryField) {
  std::vector<OutboxMessage> ms{Msg(), Msg("Order-2", "kafka:orders", 9)};
  store().Schedule(kCtx, ms);
  EXPECT_NE(ms[0].id, ms[1].id);
  EXPECT_TRUE(IsOutboxMessageID(ms[0].id));
  EXPECT_EQ(ms[0].max_attempts, kDefaultOutboxMaxAttempts);
  EXPECT_EQ(ms[1].max_attempts, 9);
  EXPECT_EQ(ms[0].created_at, clock.Now());
  EXPECT_EQ(ms[0].scheduled_at, clock.Now());
  for (const OutboxMessage& m : ms) {
    auto got = store().Get(kCtx, m.id);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(nlohmann::json::parse(got->payload), nlohmann::json::parse(m.payload));
    EXPECT_EQ(got->aggregate_id, m.aggregate_id);
    EXPECT_EQ(got->event_type, m.event_type);
    EXPECT_EQ(got->destination, m.destination);
    EXPECT_EQ(got->headers, m.headers);
    EXPECT_EQ(got->status, OutboxStatus::kPending);
    EXPECT_EQ(got->attempts, 0);
    EXPECT_EQ(got->max_attempts, m.max_attempts);
    EXPECT_EQ(got->scheduled_at, m.scheduled_at);
    EXPECT_EQ(got->created_at, m.created_at);
    EXPECT_FALSE(got->last_attempt_at.has_value());
    EXPECT_FALSE(got->processed_at.has_value());
  }
  EXPECT_EQ(store().Count(kCtx, OutboxStatus::kPending), 2);
  EXPECT_FALSE(store().Get(kCtx, "5f0c8a52-0000-4000-8000-000000000000").has_value());
  EXPECT_FALSE(store().Get(kCtx, "not-a-uuid").has_value());
}

TEST_P(OutboxStoreConformance, BadMessagesAreRefusedAndNothingOfTheBatchIsWritten) {
  auto with = [](auto change) {
    std::vector<OutboxMessage> ms{Msg(), Msg()};
    change(ms[1]);
    return ms;
  };
  const std::vector<std::pair<std::vector<OutboxMessage>, ErrorCode>> cases = {
      {with([](OutboxMessage& m) { m.destination = "webhook"; }), errc::kInvalidDestination},
      {with([](OutboxMessage& m) { m.destination = ":x"; }), errc::kInvalidDestination},
      {with([](OutboxMessage& m) { m.destination = "kafka:"; }), errc::kInvalidDestination},
      {with([](OutboxMessage& m) { m.payload = "{not json"; }), errc::kInvalidArgument},
      {with([](OutboxMessage& m) { m.aggregate_id.clear(); }), errc::kInvalidArgument},
      {with([](OutboxMessage& m) { m.event_type.clear(); }), errc::kInvalidArgument},
      {with([](OutboxMessage& m) { m.id = "x'; DROP TABLE t; --"; }), errc::kInvalidArgument},
      {with([](OutboxMessage& m) { m.max_attempts = -1; }), errc::kInvalidArgument},
  };
  for (auto [ms, code] : cases) {
    EXPECT_EQ(CodeOf([&] { store().Schedule(kCtx, ms); }), code);
  }
  EXPECT_EQ(store().Count(kCtx, OutboxStatus::kPending), 0);
  EXPECT_TRUE(store().FetchPending(kCtx, 100).empty());
}

TEST_P(OutboxStoreConformance, FetchPendingClaimsDueMessagesOldestScheduledFirst) {
  std::vector<OutboxMessage> ms{Msg("a"), Msg("b"), Msg("c"), Msg("later")};
  ms[0].scheduled_at = clock.Now() - 1s;
  ms[3].scheduled_at = clock.Now() + 1min;
  store().Schedule(kCtx, ms);

  auto claimed = store().FetchPending(kCtx, 100);
  ASSERT_EQ(claimed.size(), 3u);
  EXPECT_EQ(claimed[0].aggregate_id, "a");
  EXPECT_EQ(claimed[1].aggregate_id, "b");  // ties in scheduling order
  EXPECT_EQ(claimed[2].aggregate_id, "c");
  for (const auto& m : claimed) {
    EXPECT_EQ(m.status, OutboxStatus::kProcessing);
    EXPECT_EQ(m.attempts, 1);
    EXPECT_EQ(m.last_attempt_at, clock.Now());
  }
  EXPECT_TRUE(store().FetchPending(kCtx, 100).empty()) << "a claim is not handed out twice";

  clock.Advance(1min);
  claimed = store().FetchPending(kCtx, 100);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].aggregate_id, "later");
}

TEST_P(OutboxStoreConformance, FetchPendingHonoursTheLimit) {
  ScheduleN(store(), 5);
  EXPECT_EQ(store().FetchPending(kCtx, 2).size(), 2u);
  EXPECT_EQ(store().FetchPending(kCtx, 0).size(), 0u);
  EXPECT_EQ(store().FetchPending(kCtx, 10).size(), 3u);
}

TEST_P(OutboxStoreConformance, MarkCompletedRecordsDeliveryAndIgnoresUnknownIds) {
  auto ms = ScheduleN(store(), 2);
  store().FetchPending(kCtx, 10);
  clock.Advance(5s);
  const std::vector<std::string> ids{ms[0].id, "5f0c8a52-0000-4000-8000-000000000000", "junk"};
  store().MarkCompleted(kCtx, ids);
  auto got = store().Get(kCtx, ms[0].id);
  EXPECT_EQ(got->status, OutboxStatus::kCompleted);
  EXPECT_EQ(got->processed_at, clock.Now());
  EXPECT_EQ(store().Get(kCtx, ms[1].id)->status, OutboxStatus::kProcessing);
}

TEST_P(OutboxStoreConformance, MarkFailedRecordsTheErrorAndTheBackoff) {
  auto ms = ScheduleN(store(), 1);
  store().FetchPending(kCtx, 10);
  store().MarkFailed(kCtx, ms[0].id, "receiver said 500", clock.Now() + 30s);
  auto got = store().Get(kCtx, ms[0].id);
  EXPECT_EQ(got->status, OutboxStatus::kFailed);
  EXPECT_EQ(got->last_error, "receiver said 500");
  EXPECT_EQ(got->scheduled_at, clock.Now() + 30s);

  EXPECT_EQ(CodeOf([&] { store().MarkFailed(kCtx, "5f0c8a52-0000-4000-8000-000000000000", "x"); }),
            errc::kOutboxMessageNotFound);
  EXPECT_EQ(CodeOf([&] { store().MarkFailed(kCtx, "junk", "x"); }), errc::kOutboxMessageNotFound);

  // Retried only once the backoff has passed.
  EXPECT_EQ(store().RetryFailed(kCtx, 5), 1);
  EXPECT_TRUE(store().FetchPending(kCtx, 10).empty());
  clock.Advance(30s);
  EXPECT_EQ(store().FetchPending(kCtx, 10).size(), 1u);
}

TEST_P(OutboxStoreConformance, MarkFailedDoesNotUndoACompletedDelivery) {
  auto ms = ScheduleN(store(), 1);
  store().FetchPending(kCtx, 10);
  const std::vector<std::string> ids{ms[0].id};
  store().MarkCompleted(kCtx, ids);
  store().MarkFailed(kCtx, ms[0].id, "late failure of a reclaimed claim");
  auto got = store().Get(kCtx, ms[0].id);
  EXPECT_EQ(got->status, OutboxStatus::kCompleted);
  EXPECT_EQ(got->last_error, "");
}

TEST_P(OutboxStoreConformance, RetryThenDeadLetterThenRequeue) {
  std::vector<OutboxMessage> ms{Msg("a", "webhook:http://x", 2)};
  store().Schedule(kCtx, ms);
  const std::string id = ms[0].id;

  ASSERT_EQ(store().FetchPending(kCtx, 10).size(), 1u);
  store().MarkFailed(kCtx, id, "first");
  EXPECT_EQ(store().MoveToDeadLetter(kCtx, 5), 0);
  EXPECT_EQ(store().RetryFailed(kCtx, 5), 1);
  EXPECT_EQ(store().Get(kCtx, id)->status, OutboxStatus::kPending);

  ASSERT_EQ(store().FetchPending(kCtx, 10).size(), 1u);
  store().MarkFailed(kCtx, id, "second");
  EXPECT_EQ(store().RetryFailed(kCtx, 5), 0) << "attempts 2 reached the message's max 2";
  EXPECT_EQ(store().MoveToDeadLetter(kCtx, 5), 1);

  auto dead = store().GetDeadLetterMessages(kCtx, 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, id);
  EXPECT_EQ(dead[0].status, OutboxStatus::kDeadLetter);
  EXPECT_EQ(dead[0].attempts, 2);
  EXPECT_EQ(dead[0].last_error, "second");
  EXPECT_TRUE(store().FetchPending(kCtx, 10).empty());

  clock.Advance(1h);
  const std::vector<std::string> ids{id, "junk", "5f0c8a52-0000-4000-8000-000000000000"};
  EXPECT_EQ(store().RequeueDeadLetters(kCtx, ids), 1);
  EXPECT_EQ(store().RequeueDeadLetters(kCtx, ids), 0) << "no longer a dead letter";
  auto again = store().FetchPending(kCtx, 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_TRUE(store().GetDeadLetterMessages(kCtx, 10).empty());
}

TEST_P(OutboxStoreConformance, TheCallersMaxAttemptsCapsTheMessagesOwn) {
  std::vector<OutboxMessage> ms{Msg("a", "webhook:http://x", 10)};
  store().Schedule(kCtx, ms);
  store().FetchPending(kCtx, 10);
  store().MarkFailed(kCtx, ms[0].id, "x");
  EXPECT_EQ(store().RetryFailed(kCtx, 1), 0);
  EXPECT_EQ(store().MoveToDeadLetter(kCtx, 1), 1);
}

TEST_P(OutboxStoreConformance, ReclaimStaleReturnsOnlyOldClaims) {
  auto ms = ScheduleN(store(), 2);
  ASSERT_EQ(store().FetchPending(kCtx, 1).size(), 1u);
  clock.Advance(4min);
  ASSERT_EQ(store().FetchPending(kCtx, 1).size(), 1u);
  clock.Advance(2min);
  EXPECT_EQ(store().ReclaimStale(kCtx, 5min), 1);
  auto again = store().FetchPending(kCtx, 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, ms[0].id);
  EXPECT_EQ(again[0].attempts, 2);
}

TEST_P(OutboxStoreConformance, CleanupDeletesOnlyOldCompletedMessages) {
  auto ms = ScheduleN(store(), 3);
  store().FetchPending(kCtx, 2);
  const std::vector<std::string> done{ms[0].id};
  store().MarkCompleted(kCtx, done);
  clock.Advance(8 * 24h);
  const std::vector<std::string> recent{ms[1].id};
  store().MarkCompleted(kCtx, recent);
  EXPECT_EQ(store().Cleanup(kCtx, 7 * 24h), 1);
  EXPECT_FALSE(store().Get(kCtx, ms[0].id).has_value());
  EXPECT_TRUE(store().Get(kCtx, ms[1].id).has_value());
  EXPECT_TRUE(store().Get(kCtx, ms[2].id).has_value());
}

TEST_P(OutboxStoreConformance, OrderedFetchHoldsBackLaterMessagesOfTheSameAggregate) {
  std::vector<OutboxMessage> ms{Msg("A"), Msg("A"), Msg("B"), Msg("A", "kafka:orders")};
  store().Schedule(kCtx, ms);
  const FetchOptions ordered{.ordered_per_aggregate = true};

  auto first = store().FetchPending(kCtx, 10, ordered);
  // A's second message waits for its first; B and A's other destination do not.
  EXPECT_EQ(Ids(first), (std::vector<std::string>{ms[0].id, ms[2].id, ms[3].id}));

  // Failed (awaiting retry) still holds it back.
  store().MarkFailed(kCtx, ms[0].id, "x", clock.Now() + 1min);
  EXPECT_TRUE(store().FetchPending(kCtx, 10, ordered).empty());
  store().RetryFailed(kCtx, 5);
  clock.Advance(1min);
  auto retry = store().FetchPending(kCtx, 10, ordered);
  EXPECT_EQ(Ids(retry), (std::vector<std::string>{ms[0].id}));

  const std::vector<std::string> done{ms[0].id};
  store().MarkCompleted(kCtx, done);
  EXPECT_EQ(Ids(store().FetchPending(kCtx, 10, ordered)), (std::vector<std::string>{ms[1].id}));
}

TEST_P(OutboxStoreConformance, ADeadLetterNoLongerHoldsBackItsAggregate) {
  std::vector<OutboxMessage> ms{Msg("A", "webhook:http://x", 1), Msg("A")};
  store().Schedule(kCtx, ms);
  const FetchOptions ordered{.ordered_per_aggregate = true};
  ASSERT_EQ(store().FetchPending(kCtx, 10, ordered).size(), 1u);
  store().MarkFailed(kCtx, ms[0].id, "poison");
  EXPECT_TRUE(store().FetchPending(kCtx, 10, ordered).empty());
  EXPECT_EQ(store().MoveToDeadLetter(kCtx, 5), 1);
  EXPECT_EQ(Ids(store().FetchPending(kCtx, 10, ordered)), (std::vector<std::string>{ms[1].id}));
}

TEST_P(OutboxStoreConformance, ConcurrentClaimsAreDisjointAndCoverEverything) {
  constexpr int kMessages = 200;
  std::vector<OutboxMessage> ms;
  for (int i = 0; i < kMessages; ++i) ms.push_back(Msg("Order-" + std::to_string(i)));
  store().Schedule(kCtx, ms);

  std::mutex mutex;
  std::map<std::string, int> seen;
  std::vector<std::jthread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        auto batch = store().FetchPending(kCtx, 7);
        if (batch.empty()) return;
        std::lock_guard lock(mutex);
        for (const auto& m : batch) ++seen[m.id];
      }
    });
  }
  workers.clear();
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMessages));
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
}

TEST_P(OutboxStoreConformance, AClosedStoreRefusesCalls) {
  store().Close();
  std::vector<OutboxMessage> ms{Msg()};
  EXPECT_EQ(CodeOf([&] { store().Schedule(kCtx, ms); }), errc::kAdapterClosed);
  EXPECT_EQ(CodeOf([&] { store().FetchPending(kCtx, 1); }), errc::kAdapterClosed);
}

TEST_P(OutboxStoreConformance, ScheduleInTxRefusesAnotherAdaptersTransaction) {
  struct Foreign final : Transaction {};
  Foreign tx;
  std::vector<OutboxMessage> ms{Msg()};
  EXPECT_EQ(CodeOf([&] { store().ScheduleInTx(kCtx, tx, ms); }), errc::kInvalidArgument);
  EXPECT_EQ(store().Count(kCtx, OutboxStatus::kPending), 0);
}

}  // namespace
}  // namespace mink::conformance
