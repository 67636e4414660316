// The feed over every adapter: where "subscribe from now" starts, and progress over windows
// that hold no matching event (a sparse category must not cost a poll interval per window).
#include <chrono>
#include <string>
#include <vector>

#include "conformance/event_store_conformance.hpp"

namespace mink::conformance {
namespace {

using namespace std::chrono_literals;

std::vector<EventRecord> Records(int count) {
  return std::vector<EventRecord>(static_cast<std::size_t>(count),
                                  EventRecord{"Tested", R"({"n":1})", {}});
}

const Context kCtx;

TEST_P(EventStoreConformance, SubscribingFromTheLastPositionDeliversOnlyLaterEvents) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  adapter().Append(kCtx, "Now-1", Records(3), NoStream);
  const uint64_t now = adapter().GetLastPosition(kCtx);
  EXPECT_EQ(now, 3u);
  auto sub = subs->SubscribeAll(kCtx, now, {.poll_interval = 20ms});
  AppendResult later = adapter().Append(kCtx, "Now-2", Records(1), NoStream);
  auto e = sub->Next(Context{}.WithTimeout(10s));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->global_position, later.first_position);
}

// Regression (issue 9, item 6): 5,000 events of other categories ahead of the one match, a
// 4-event buffer (32-position windows) and a 10 s poll interval. Before the fix every empty
// window waited a poll interval: ~156 of them.
TEST_P(EventStoreConformance, ASparseCategoryMatchArrivesWithoutWaitingAPollIntervalPerWindow) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  for (int i = 0; i < 50; ++i) {
    adapter().Append(kCtx, "Other-" + std::to_string(i), Records(100), NoStream);
  }
  adapter().Append(kCtx, "Sparse-1", Records(1), NoStream);
  const auto start = std::chrono::steady_clock::now();
  auto sub = subs->SubscribeCategory(kCtx, "Sparse", 0, {.buffer_size = 4, .poll_interval = 10s});
  auto e = sub->Next(Context{}.WithTimeout(60s));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->stream_id, "Sparse-1");
  EXPECT_LT(took, 5s) << "waited poll intervals between empty windows";
}

}  // namespace
}  // namespace mink::conformance
