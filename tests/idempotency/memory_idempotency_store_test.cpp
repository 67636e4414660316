#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "conformance/idempotency_store_conformance.hpp"
#include "mink/memory/idempotency_store.hpp"
#include "support/manual_clock.hpp"

namespace mink::conformance {

INSTANTIATE_TEST_SUITE_P(Memory, IdempotencyStoreConformance,
                         ::testing::Values(IdempotencyStoreFactory{
                             "memory", [](IdempotencyClock clock) {
                               return std::make_shared<memory::IdempotencyStore>(
                                   memory::IdempotencyStoreOptions{.clock = std::move(clock)});
                             }}));

namespace {

using namespace std::chrono_literals;

TEST(MemoryIdempotencyStore, BackgroundCleanupRemovesExpiredRecords) {
  mink::testing::ManualClock clock;
  memory::IdempotencyStore store({.cleanup_interval = 1ms, .clock = clock.Fn()});
  Context ctx;
  IdempotencyRecord r;
  r.key = "k";
  r.processed_at = clock.Now();
  r.expires_at = r.processed_at + 20ms;
  store.Store(ctx, r);
  EXPECT_EQ(store.Len(), 1u);
  clock.Advance(20ms);
  // The cleaner runs every millisecond; wait (bounded) for it to have done so.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (store.Len() != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(store.Len(), 0u);
}

// Regression (issue 9, item 9): rewriting the same keys must not grow the expiry index without
// bound; stale entries are compacted away.
TEST(MemoryIdempotencyStore, TheExpiryIndexStaysProportionalToTheRecords) {
  mink::testing::ManualClock clock;
  memory::IdempotencyStore store({.cleanup_interval = 0ms, .clock = clock.Fn()});
  Context ctx;
  for (int round = 0; round < 200; ++round) {
    for (int k = 0; k < 50; ++k) {
      IdempotencyRecord r;
      r.key = "k-" + std::to_string(k);
      r.processed_at = clock.Now();
      r.expires_at = r.processed_at + 1h;
      store.Store(ctx, r);
    }
  }
  EXPECT_EQ(store.Len(), 50u);
  EXPECT_LE(store.IndexLen(), 2 * (2 * 50 + memory::IdempotencyStore::kCleanupBatch));
}

TEST(MemoryIdempotencyStore, CloseStopsTheCleanerPromptly) {
  auto store = std::make_unique<memory::IdempotencyStore>(
      memory::IdempotencyStoreOptions{.cleanup_interval = std::chrono::hours(1)});
  auto start = std::chrono::steady_clock::now();
  store->Close();
  store.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace mink::conformance
