// PullSubscription, the Subscription both built-in adapters use, driven by a scripted fetch:
// progress over empty windows, what a bad stored row does under each policy, and retries of
// transient errors. (The memory adapter stores decoded events, so it has no bad rows to plant;
// the PostgreSQL tests plant them with SQL.)
#include "mink/detail/pull_subscription.hpp"

#include <gtest/gtest.h>

#include "support/drain.hpp"

#include <chrono>
#include <memory>
#include <vector>

namespace mink::detail {
namespace {

using namespace std::chrono_literals;
using Batch = PullSubscription::Batch;
using mink::testing::Drain;
using mink::testing::PositionsOf;

StoredEvent At(uint64_t position) {
  StoredEvent e;
  e.global_position = position;
  e.stream_id = "S-1";
  e.version = static_cast<int64_t>(position);
  return e;
}

// Positions 1..`last`; position `bad` (0 for none) cannot be decoded; only positions for which
// `match` is true are returned. Windows of `limit` positions, like the adapters.
struct ScriptedLog {
  uint64_t last = 0;
  uint64_t bad = 0;
  std::function<bool(uint64_t)> match = [](uint64_t) { return true; };
  int failures_left = 0;  // transient errors before the first success
  int fetches = 0;

  PullSubscription::Fetch Fetch() {
    return [this](const Context&, uint64_t cursor, std::size_t limit) {
      ++fetches;
      if (failures_left > 0) {
        --failures_left;
        throw Error(errc::kConnectionFailed, "connection lost");
      }
      Batch b{{}, cursor};
      for (uint64_t p = cursor + 1; p <= last && p <= cursor + limit; ++p) {
        if (p == bad) {
          b.bad.emplace(p, "S-1", static_cast<int64_t>(p), "T", "metadata is not a JSON object");
          b.skip_cursor = p;
          return b;
        }
        if (match(p)) b.events.push_back(At(p));
        b.next_cursor = p;
      }
      return b;
    };
  }
};

std::unique_ptr<PullSubscription> Subscribe(ScriptedLog& log, SubscriptionOptions options) {
  return std::make_unique<PullSubscription>(std::make_shared<ChangeNotifier>(), 0, log.Fetch(),
                                            std::move(options));
}

// Regression (issue 9, item 6): failed before the fix (each empty window slept 10 s).
TEST(PullSubscription, WindowsWithoutAMatchAreFollowedAtOnceNotAfterAPollInterval) {
  ScriptedLog log{.last = 5001, .match = [](uint64_t p) { return p == 5001; }};
  auto sub = Subscribe(log, {.buffer_size = 4, .poll_interval = 10s});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(PositionsOf(Drain(*sub, 1, 60s)), std::vector<uint64_t>{5001});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// Regression (issue 9, item 11): there was no way to report a bad row; a thrown error was
// retried every poll interval for ever.
TEST(PullSubscription, ABadRowStopsTheSubscriptionAfterTheEventsBeforeItByDefault) {
  ScriptedLog log{.last = 6, .bad = 4};
  std::vector<ErrorCode> reported;
  auto sub =
      Subscribe(log, {.buffer_size = 10, .poll_interval = 10ms, .on_error = [&](const Error& e) {
                        reported.push_back(e.code());
                      }});
  EXPECT_EQ(PositionsOf(Drain(*sub, 10, 10s)), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(sub->Closed());
  ASSERT_TRUE(sub->Err());
  try {
    std::rethrow_exception(sub->Err());
  } catch (const BadStoredEventError& e) {
    EXPECT_EQ(e.Position(), 4u);
    EXPECT_EQ(e.StreamID(), "S-1");
  }
  EXPECT_EQ(reported, std::vector<ErrorCode>{errc::kBadStoredEvent});
}

TEST(PullSubscription, SkipReportsTheBadRowAndGoesOn) {
  ScriptedLog log{.last = 6, .bad = 4};
  std::vector<ErrorCode> reported;
  auto sub = Subscribe(log, {.buffer_size = 2,
                             .poll_interval = 10ms,
                             .on_error = [&](const Error& e) { reported.push_back(e.code()); },
                             .bad_event = BadEventPolicy::kSkip});
  EXPECT_EQ(PositionsOf(Drain(*sub, 5, 10s)), (std::vector<uint64_t>{1, 2, 3, 5, 6}));
  EXPECT_FALSE(sub->Err());
  EXPECT_EQ(reported, std::vector<ErrorCode>{errc::kBadStoredEvent});
}

TEST(PullSubscription, DeadLetterReceivesTheBadRowAndAThrowingDeadLetterStops) {
  ScriptedLog log{.last = 6, .bad = 1};
  std::vector<uint64_t> dead;
  auto sub = Subscribe(
      log, {.poll_interval = 10ms,
            .bad_event = BadEventPolicy::kDeadLetter,
            .dead_letter = [&](const BadStoredEventError& e) { dead.push_back(e.Position()); }});
  EXPECT_EQ(PositionsOf(Drain(*sub, 5, 10s)), (std::vector<uint64_t>{2, 3, 4, 5, 6}));
  EXPECT_EQ(dead, std::vector<uint64_t>{1});

  ScriptedLog again{.last = 6, .bad = 2};
  auto stopped =
      Subscribe(again, {.poll_interval = 10ms,
                        .bad_event = BadEventPolicy::kDeadLetter,
                        .dead_letter = [](const BadStoredEventError&) {
                          throw Error(errc::kStorageFailed, "dead-letter queue unavailable");
                        }});
  EXPECT_EQ(PositionsOf(Drain(*stopped, 5, 10s)), std::vector<uint64_t>{1});
  EXPECT_TRUE(stopped->Closed());
  EXPECT_TRUE(ErrorIs(stopped->Err(), errc::kStorageFailed));
}

TEST(PullSubscription, TransientErrorsAreReportedAndRetried) {
  ScriptedLog log{.last = 2, .failures_left = 2};
  int reported = 0;
  auto sub = Subscribe(log, {.poll_interval = 10ms, .on_error = [&](const Error& e) {
                               EXPECT_EQ(e.code(), errc::kConnectionFailed);
                               ++reported;
                             }});
  EXPECT_EQ(PositionsOf(Drain(*sub, 2, 10s)), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(reported, 2);
  EXPECT_FALSE(sub->Err());
}

}  // namespace
}  // namespace mink::detail
