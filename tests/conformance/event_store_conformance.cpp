#include "conformance/event_store_conformance.hpp"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "mink/error.hpp"
#include "mink/es/version.hpp"
#include "support/drain.hpp"
#include "support/error_code.hpp"

namespace mink::conformance {
namespace {

using mink::testing::CodeOf;
using mink::testing::Drain;

using namespace std::chrono_literals;

EventRecord Record(int n, std::string type = "Tested") {
  return EventRecord{std::move(type), R"({"n":)" + std::to_string(n) + "}", {}};
}

std::vector<EventRecord> Records(int count, int start = 1) {
  std::vector<EventRecord> out;
  for (int i = 0; i < count; ++i) out.push_back(Record(start + i));
  return out;
}

const Context kCtx;

// ---- append and load ----

TEST_P(EventStoreConformance, AppendThenLoadRoundTripsEveryField) {
  Metadata md;
  md.correlation_id = "corr-1";
  md.causation_id = "cause-1";
  md.user_id = "user-1";
  md.tenant_id = "tenant-1";
  md.SetCustom("k", "v");
  md.SetReserved("$schema_version", "2");
  auto before = std::chrono::system_clock::now() - 5s;
  AppendResult r = adapter().Append(
      kCtx, "Order-1", {EventRecord{"OrderCreated", R"({"id":"1","total":9.5})", md}, Record(2)},
      NoStream);
  EXPECT_EQ(r.version, 2);
  EXPECT_GT(r.first_position, 0u);
  EXPECT_GT(r.last_position, r.first_position);

  auto events = adapter().Load(kCtx, "Order-1", 0);
  ASSERT_EQ(events.size(), 2u);
  const StoredEvent& e = events[0];
  EXPECT_FALSE(e.id.empty());
  EXPECT_NE(e.id, events[1].id);
  EXPECT_EQ(e.stream_id, "Order-1");
  EXPECT_EQ(e.type, "OrderCreated");
  EXPECT_EQ(nlohmann::json::parse(e.data), nlohmann::json::parse(R"({"id":"1","total":9.5})"));
  EXPECT_EQ(e.metadata, md);
  EXPECT_EQ(e.version, 1);
  EXPECT_EQ(events[1].version, 2);
  EXPECT_EQ(e.global_position, r.first_position);
  EXPECT_EQ(events[1].global_position, r.last_position);
  EXPECT_GT(e.timestamp, before);
  EXPECT_LT(e.timestamp, std::chrono::system_clock::now() + 5s);
}

TEST_P(EventStoreConformance, LoadOfMissingStreamIsEmpty) {
  EXPECT_TRUE(adapter().Load(kCtx, "Order-missing", 0).empty());
}

TEST_P(EventStoreConformance, LoadFromVersionIsExclusive) {
  adapter().Append(kCtx, "Order-2", Records(5), NoStream);
  auto events = adapter().Load(kCtx, "Order-2", 3);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].version, 4);
  EXPECT_EQ(events[1].version, 5);
  EXPECT_TRUE(adapter().Load(kCtx, "Order-2", 5).empty());
  EXPECT_TRUE(adapter().Load(kCtx, "Order-2", 99).empty());
}

TEST_P(EventStoreConformance, StreamsAreIndependent) {
  adapter().Append(kCtx, "A-1", Records(2), NoStream);
  adapter().Append(kCtx, "B-1", Records(3), NoStream);
  EXPECT_EQ(adapter().Load(kCtx, "A-1", 0).size(), 2u);
  EXPECT_EQ(adapter().Load(kCtx, "B-1", 0).size(), 3u);
  EXPECT_EQ(adapter().Load(kCtx, "B-1", 0).back().version, 3);
}

// ---- expected-version semantics (go-mink's CheckVersion) ----

TEST_P(EventStoreConformance, NoStreamCreatesAMissingStream) {
  EXPECT_EQ(adapter().Append(kCtx, "Order-3", Records(1), NoStream).version, 1);
}

TEST_P(EventStoreConformance, NoStreamOnAnExistingStreamIsAConflict) {
  adapter().Append(kCtx, "Order-4", Records(2), NoStream);
  try {
    adapter().Append(kCtx, "Order-4", Records(1), NoStream);
    FAIL() << "expected ConcurrencyError";
  } catch (const ConcurrencyError& e) {
    EXPECT_EQ(e.StreamID(), "Order-4");
    EXPECT_EQ(e.ExpectedVersion(), 0);
    EXPECT_EQ(e.ActualVersion(), 2);
  }
  EXPECT_EQ(adapter().Load(kCtx, "Order-4", 0).size(), 2u);
}

TEST_P(EventStoreConformance, ExpectingAVersionOfAMissingStreamIsAConflict) {
  try {
    adapter().Append(kCtx, "Order-5", Records(1), 5);
    FAIL() << "expected ConcurrencyError";
  } catch (const ConcurrencyError& e) {
    EXPECT_EQ(e.ExpectedVersion(), 5);
    EXPECT_EQ(e.ActualVersion(), 0);
  }
  EXPECT_TRUE(adapter().Load(kCtx, "Order-5", 0).empty());
  EXPECT_EQ(CodeOf([&] { adapter().GetStreamInfo(kCtx, "Order-5"); }), errc::kStreamNotFound);
  EXPECT_EQ(adapter().Append(kCtx, "Order-5", Records(1), NoStream).version, 1);
}

TEST_P(EventStoreConformance, StreamExistsRequiresTheStream) {
  EXPECT_EQ(CodeOf([&] { adapter().Append(kCtx, "Order-6", Records(1), StreamExists); }),
            errc::kStreamNotFound);
  adapter().Append(kCtx, "Order-6", Records(1), NoStream);
  EXPECT_EQ(adapter().Append(kCtx, "Order-6", Records(1), StreamExists).version, 2);
}

TEST_P(EventStoreConformance, AnyVersionAlwaysAppends) {
  EXPECT_EQ(adapter().Append(kCtx, "Order-7", Records(2), AnyVersion).version, 2);
  EXPECT_EQ(adapter().Append(kCtx, "Order-7", Records(1), AnyVersion).version, 3);
}

TEST_P(EventStoreConformance, ExactVersionMustMatch) {
  adapter().Append(kCtx, "Order-8", Records(3), NoStream);
  EXPECT_EQ(adapter().Append(kCtx, "Order-8", Records(1), 3).version, 4);
  try {
    adapter().Append(kCtx, "Order-8", Records(1), 3);
    FAIL() << "expected ConcurrencyError";
  } catch (const ConcurrencyError& e) {
    EXPECT_EQ(e.ExpectedVersion(), 3);
    EXPECT_EQ(e.ActualVersion(), 4);
  }
}

TEST_P(EventStoreConformance, AFailedBatchWritesNothing) {
  adapter().Append(kCtx, "Order-9", Records(1), NoStream);
  EXPECT_EQ(CodeOf([&] { adapter().Append(kCtx, "Order-9", Records(10), 7); }),
            errc::kConcurrencyConflict);
  EXPECT_EQ(adapter().Load(kCtx, "Order-9", 0).size(), 1u);
  EXPECT_EQ(adapter().GetStreamInfo(kCtx, "Order-9").version, 1);
}

// ---- bad input ----

TEST_P(EventStoreConformance, BadInputIsATypedErrorAndWritesNothing) {
  const uint64_t before = adapter().GetLastPosition(kCtx);
  EXPECT_EQ(CodeOf([&] { adapter().Append(kCtx, "", Records(1), AnyVersion); }),
            errc::kEmptyStreamID);
  EXPECT_EQ(CodeOf([&] { adapter().Append(kCtx, "Order-10", {}, AnyVersion); }), errc::kNoEvents);
  EXPECT_EQ(CodeOf([&] { adapter().Append(kCtx, "Order-10", Records(1), -3); }),
            errc::kInvalidVersion);
  EXPECT_EQ(adapter().GetLastPosition(kCtx), before);
  EXPECT_TRUE(adapter().Load(kCtx, "Order-10", 0).empty());
}

TEST_P(EventStoreConformance, ACancelledContextWritesNothing) {
  auto [ctx, cancel] = Context{}.WithCancel();
  cancel();
  EXPECT_EQ(CodeOf([&] { adapter().Append(ctx, "Order-11", Records(1), AnyVersion); }),
            errc::kCancelled);
  EXPECT_TRUE(adapter().Load(kCtx, "Order-11", 0).empty());
}

// ---- stream info and positions ----

TEST_P(EventStoreConformance, GetStreamInfoDescribesTheStream) {
  adapter().Append(kCtx, "Invoice-42", Records(3), NoStream);
  StreamInfo info = adapter().GetStreamInfo(kCtx, "Invoice-42");
  EXPECT_EQ(info.stream_id, "Invoice-42");
  EXPECT_EQ(info.category, "Invoice");
  EXPECT_EQ(info.version, 3);
  EXPECT_EQ(info.event_count, 3);
  EXPECT_LE(info.created_at, info.updated_at);
  EXPECT_EQ(CodeOf([&] { adapter().GetStreamInfo(kCtx, "Invoice-none"); }), errc::kStreamNotFound);
}

TEST_P(EventStoreConformance, LastPositionStartsAtZeroAndGrows) {
  EXPECT_EQ(adapter().GetLastPosition(kCtx), 0u);
  AppendResult a = adapter().Append(kCtx, "P-1", Records(2), NoStream);
  EXPECT_EQ(adapter().GetLastPosition(kCtx), a.last_position);
  AppendResult b = adapter().Append(kCtx, "P-2", Records(1), NoStream);
  EXPECT_GT(b.first_position, a.last_position);
  EXPECT_EQ(adapter().GetLastPosition(kCtx), b.last_position);
}

// ---- concurrency ----

TEST_P(EventStoreConformance, SixteenWritersOneWinnerPerVersion) {
  constexpr int kThreads = 16;
  constexpr int kRounds = 10;
  std::atomic<int> wins{0}, conflicts{0}, other{0};
  for (int round = 0; round < kRounds; ++round) {
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        try {
          adapter().Append(kCtx, "Race-1", {Record(round * 100 + t)}, round);
          ++wins;
        } catch (const ConcurrencyError&) {
          ++conflicts;
        } catch (...) {
          ++other;
        }
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_EQ(wins.load(), round + 1) << "round " << round;
  }
  EXPECT_EQ(wins.load(), kRounds);
  EXPECT_EQ(conflicts.load(), kRounds * (kThreads - 1));
  EXPECT_EQ(other.load(), 0);
  auto events = adapter().Load(kCtx, "Race-1", 0);
  ASSERT_EQ(events.size(), static_cast<size_t>(kRounds));
  for (int i = 0; i < kRounds; ++i) EXPECT_EQ(events[i].version, i + 1);
}

TEST_P(EventStoreConformance, SixteenCreatorsOfOneNewStreamOneWins) {
  constexpr int kThreads = 16;
  std::barrier start(kThreads);
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        adapter().Append(kCtx, "Fresh-1", Records(3, t * 10), NoStream);
        ++wins;
      } catch (const ConcurrencyError&) {
        ++conflicts;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(adapter().Load(kCtx, "Fresh-1", 0).size(), 3u);
}

TEST_P(EventStoreConformance, ConcurrentWritersGetStrictlyIncreasingPositions) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  constexpr int kThreads = 8;
  constexpr int kAppends = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        adapter().Append(kCtx, "W-" + std::to_string(t), Records(1 + i % 3), AnyVersion);
      }
    });
  }
  for (auto& th : threads) th.join();
  size_t expected = 0;
  for (int i = 0; i < kAppends; ++i) expected += static_cast<size_t>(1 + i % 3);
  // The feed may hold back committed events briefly while an older transaction anywhere on
  // the server is still open (that is how it never skips one), so page until all arrived.
  std::vector<StoredEvent> all;
  uint64_t from = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (all.size() < expected * kThreads && std::chrono::steady_clock::now() < deadline) {
    auto page = subs->LoadFromPosition(kCtx, from, 100);
    if (page.empty()) {
      std::this_thread::sleep_for(5ms);
      continue;
    }
    from = page.back().global_position;
    all.insert(all.end(), page.begin(), page.end());
  }
  EXPECT_TRUE(subs->LoadFromPosition(kCtx, from, 100).empty()) << "more events than appended";
  ASSERT_EQ(all.size(), expected * kThreads);
  for (size_t i = 1; i < all.size(); ++i) {
    ASSERT_LT(all[i - 1].global_position, all[i].global_position);
  }
  // Per stream, versions are 1..n in position order.
  std::map<std::string, int64_t> last;
  for (const auto& e : all) {
    EXPECT_EQ(e.version, last[e.stream_id] + 1) << e.stream_id;
    last[e.stream_id] = e.version;
  }
}

// ---- the global feed ----

TEST_P(EventStoreConformance, LoadFromPositionIsExclusiveAndLimited) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  adapter().Append(kCtx, "F-1", Records(5), NoStream);
  auto all = subs->LoadFromPosition(kCtx, 0, 0);
  ASSERT_EQ(all.size(), 5u);
  auto rest = subs->LoadFromPosition(kCtx, all[1].global_position, 2);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].global_position, all[2].global_position);
  EXPECT_EQ(rest[1].global_position, all[3].global_position);
  EXPECT_TRUE(subs->LoadFromPosition(kCtx, all.back().global_position, 10).empty());
}

// ---- subscriptions ----

TEST_P(EventStoreConformance, SubscribeAllDeliversHistoryThenLiveEventsInOrder) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  adapter().Append(kCtx, "S-1", Records(3), NoStream);
  auto sub = subs->SubscribeAll(kCtx, 0, {.poll_interval = 20ms});
  adapter().Append(kCtx, "S-2", Records(2), NoStream);
  auto got = Drain(*sub, 5, 10s);
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_LT(got[i - 1].global_position, got[i].global_position);
  }
  EXPECT_EQ(got[3].stream_id, "S-2");
  // Nothing more arrives.
  EXPECT_FALSE(sub->Next(Context{}.WithTimeout(50ms)).has_value());
}

TEST_P(EventStoreConformance, SubscribeAllFromAPositionSkipsEarlierEvents) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  AppendResult first = adapter().Append(kCtx, "S-3", Records(3), NoStream);
  adapter().Append(kCtx, "S-3", Records(2, 4), 3);
  auto sub = subs->SubscribeAll(kCtx, first.last_position, {.poll_interval = 20ms});
  auto got = Drain(*sub, 2, 10s);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].version, 4);
  EXPECT_EQ(got[1].version, 5);
}

TEST_P(EventStoreConformance, SubscribeStreamDeliversOnlyThatStreamAfterAVersion) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  adapter().Append(kCtx, "Cart-1", Records(3), NoStream);
  adapter().Append(kCtx, "Cart-2", Records(3), NoStream);
  auto sub = subs->SubscribeStream(kCtx, "Cart-1", 1, {.poll_interval = 20ms});
  adapter().Append(kCtx, "Cart-2", Records(1), AnyVersion);
  adapter().Append(kCtx, "Cart-1", Records(1), AnyVersion);
  auto got = Drain(*sub, 3, 10s);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].stream_id, "Cart-1");
    EXPECT_EQ(got[i].version, static_cast<int64_t>(i) + 2);
  }
}

TEST_P(EventStoreConformance, SubscribeCategoryDeliversOnlyThatCategory) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  adapter().Append(kCtx, "Order-c1", Records(2), NoStream);
  adapter().Append(kCtx, "Orderline-c1", Records(2), NoStream);  // another category
  adapter().Append(kCtx, "Invoice-c1", Records(2), NoStream);
  auto sub = subs->SubscribeCategory(kCtx, "Order", 0, {.poll_interval = 20ms});
  adapter().Append(kCtx, "Order-c2", Records(1), NoStream);
  auto got = Drain(*sub, 3, 10s);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& e : got) EXPECT_EQ(e.stream_id.substr(0, 6), "Order-") << e.stream_id;
  EXPECT_FALSE(sub->Next(Context{}.WithTimeout(50ms)).has_value());
}

TEST_P(EventStoreConformance, SubscriptionsSeeEveryEventOnceInOrderUnderConcurrentWriters) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  constexpr int kWriters = 4;
  constexpr int kAppends = 50;
  constexpr size_t kTotal = static_cast<size_t>(kWriters) * kAppends * 2;
  auto all_sub = subs->SubscribeAll(kCtx, 0, {.buffer_size = 16, .poll_interval = 20ms});
  auto cat_sub = subs->SubscribeCategory(kCtx, "Conc", 0, {.poll_interval = 20ms});
  std::vector<StoredEvent> via_all, via_cat;
  std::thread reader_all([&] { via_all = Drain(*all_sub, kTotal, std::chrono::seconds(60)); });
  std::thread reader_cat([&] { via_cat = Drain(*cat_sub, kTotal, std::chrono::seconds(60)); });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kAppends; ++i) {
        adapter().Append(kCtx, "Conc-" + std::to_string(w), Records(2, i * 2), AnyVersion);
      }
    });
  }
  for (auto& t : writers) t.join();
  reader_all.join();
  reader_cat.join();
  for (const auto* got : {&via_all, &via_cat}) {
    ASSERT_EQ(got->size(), kTotal);
    std::set<std::string> ids;
    for (size_t i = 0; i < got->size(); ++i) {
      ids.insert((*got)[i].id);
      if (i > 0) {
        ASSERT_LT((*got)[i - 1].global_position, (*got)[i].global_position);
      }
    }
    EXPECT_EQ(ids.size(), kTotal) << "duplicates delivered";
  }
}

TEST_P(EventStoreConformance, CloseWakesABlockedSubscriber) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  auto sub = subs->SubscribeAll(kCtx, 0, {.poll_interval = 10s});
  std::thread closer([&] {
    std::this_thread::sleep_for(50ms);
    sub->Close();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sub->Next(Context{}.WithTimeout(30s)).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(sub->Closed());
  closer.join();
}

TEST_P(EventStoreConformance, CancellingTheContextWakesABlockedSubscriber) {
  auto* subs = subscriptions();
  if (subs == nullptr) GTEST_FAIL() << GetParam().name << " must implement SubscriptionAdapter";
  auto sub = subs->SubscribeAll(kCtx, 0, {.poll_interval = 10s});
  auto [ctx, cancel] = Context{}.WithCancel();
  std::thread canceller([&cancel] {
    std::this_thread::sleep_for(50ms);
    cancel();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sub->Next(ctx).has_value());
  EXPECT_EQ(ctx.Err(), errc::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  canceller.join();
}

// ---- transactional hook ----

TEST_P(EventStoreConformance, TransactionHookSeesTheEventsAndItsFailureWritesNothing) {
  auto* tx = AdapterCapability<TransactionalAdapter>(adapter());
  if (tx == nullptr) GTEST_FAIL() << GetParam().name << " must implement TransactionalAdapter";
  std::vector<StoredEvent> seen;
  AppendResult r = tx->AppendWithHook(
      kCtx, "Tx-1", Records(2), NoStream,
      [&](Transaction&, const std::vector<StoredEvent>& stored) { seen = stored; });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].version, 1);
  EXPECT_EQ(seen[1].global_position, r.last_position);
  EXPECT_EQ(seen[1].stream_id, "Tx-1");

  const uint64_t before = adapter().GetLastPosition(kCtx);
  EXPECT_THROW(tx->AppendWithHook(kCtx, "Tx-1", Records(3), 2,
                                  [](Transaction&, const std::vector<StoredEvent>&) {
                                    throw std::runtime_error("outbox write failed");
                                  }),
               std::runtime_error);
  EXPECT_EQ(adapter().Load(kCtx, "Tx-1", 0).size(), 2u);
  EXPECT_EQ(adapter().GetStreamInfo(kCtx, "Tx-1").version, 2);
  EXPECT_EQ(adapter().GetLastPosition(kCtx), before);
  // The stream still accepts the next version after the rolled-back attempt.
  EXPECT_EQ(adapter().Append(kCtx, "Tx-1", Records(1), 2).version, 3);
  // A rolled-back append that would have created a stream leaves no trace of it.
  EXPECT_THROW(tx->AppendWithHook(kCtx, "Tx-new", Records(1), NoStream,
                                  [](Transaction&, const std::vector<StoredEvent>&) {
                                    throw std::runtime_error("outbox write failed");
                                  }),
               std::runtime_error);
  EXPECT_EQ(CodeOf([&] { adapter().GetStreamInfo(kCtx, "Tx-new"); }), errc::kStreamNotFound);
  EXPECT_TRUE(adapter().Load(kCtx, "Tx-new", 0).empty());
  EXPECT_EQ(adapter().Append(kCtx, "Tx-new", Records(1), NoStream).version, 1);
}

}  // namespace
}  // namespace mink::conformance
