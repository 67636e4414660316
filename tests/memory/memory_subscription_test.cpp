// Memory-adapter specifics beyond the conformance suite: slow subscribers, closing, lifetime.
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "mink/memory/adapter.hpp"

namespace mink::memory {
namespace {

using namespace std::chrono_literals;

std::vector<EventRecord> Batch(int n) {
  std::vector<EventRecord> out;
  for (int i = 0; i < n; ++i)
    out.push_back(EventRecord{"T", R"({"i":)" + std::to_string(i) + "}", {}});
  return out;
}

TEST(MemorySubscription, ASlowSubscriberLosesNothing) {
  auto adapter = std::make_shared<Adapter>();
  Context ctx;
  // A tiny buffer and a consumer that starts only after 20,000 events were written.
  auto sub = adapter->SubscribeAll(ctx, 0, {.buffer_size = 4});
  for (int i = 0; i < 200; ++i)
    adapter->Append(ctx, "Slow-" + std::to_string(i % 7), Batch(100), AnyVersion);
  uint64_t expect = 1;
  for (; expect <= 20000; ++expect) {
    auto e = sub->Next(ctx.WithTimeout(10s));
    ASSERT_TRUE(e.has_value()) << "missing position " << expect;
    ASSERT_EQ(e->global_position, expect);
  }
  EXPECT_FALSE(sub->Next(ctx.WithTimeout(20ms)).has_value());
}

TEST(MemorySubscription, WritersAreNotBlockedByAnIdleSubscriber) {
  auto adapter = std::make_shared<Adapter>();
  Context ctx;
  auto sub = adapter->SubscribeAll(ctx, 0, {.buffer_size = 1});
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) adapter->Append(ctx, "Busy-1", Batch(1), AnyVersion);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_EQ(adapter->GetLastPosition(ctx), 1000u);
}

TEST(MemorySubscription, ClosingTheAdapterEndsSubscriptionsAndRefusesWork) {
  auto adapter = std::make_shared<Adapter>();
  Context ctx;
  adapter->Append(ctx, "C-1", Batch(1), NoStream);
  auto sub = adapter->SubscribeAll(ctx, 0, {.poll_interval = 10s});
  ASSERT_TRUE(sub->Next(ctx.WithTimeout(5s)).has_value());
  std::thread closer([&] {
    std::this_thread::sleep_for(30ms);
    adapter->Close();
  });
  EXPECT_FALSE(sub->Next(ctx.WithTimeout(20s)).has_value());
  EXPECT_TRUE(sub->Closed());
  closer.join();
  try {
    adapter->Append(ctx, "C-1", Batch(1), AnyVersion);
    FAIL() << "expected kAdapterClosed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kAdapterClosed);
  }
}

TEST(MemorySubscription, ASubscriptionThatOutlivesItsAdapterEndsCleanly) {
  auto adapter = std::make_shared<Adapter>();
  Context ctx;
  auto sub = adapter->SubscribeAll(ctx, 0, {.poll_interval = 10ms});
  adapter.reset();
  EXPECT_FALSE(sub->Next(ctx.WithTimeout(5s)).has_value());
  EXPECT_TRUE(sub->Closed());
}

TEST(MemoryAdapter, ReturnedEventsAreCopiesTheCallerMayChange) {
  auto adapter = std::make_shared<Adapter>();
  Context ctx;
  adapter->Append(ctx, "Copy-1", Batch(1), NoStream);
  auto events = adapter->Load(ctx, "Copy-1", 0);
  events[0].data = "garbage";
  events[0].metadata.SetCustom("x", "y");
  auto again = adapter->Load(ctx, "Copy-1", 0);
  EXPECT_EQ(again[0].data, R"({"i":0})");
  EXPECT_TRUE(again[0].metadata.CustomMap().empty());
}

}  // namespace
}  // namespace mink::memory
