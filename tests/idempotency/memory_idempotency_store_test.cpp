#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "conformance/idempotency_store_conformance.hpp"
#include "mink/memory/idempotency_store.hpp"

namespace mink::conformance {

INSTANTIATE_TEST_SUITE_P(Memory, IdempotencyStoreConformance,
                         ::testing::Values(IdempotencyStoreFactory{
                             "memory",
                             [] { return std::make_shared<memory::IdempotencyStore>(); }}));

namespace {

using namespace std::chrono_literals;

TEST(MemoryIdempotencyStore, BackgroundCleanupRemovesExpiredRecords) {
  memory::IdempotencyStore store({.cleanup_interval = 10ms});
  Context ctx;
  IdempotencyRecord r;
  r.key = "k";
  r.processed_at = std::chrono::system_clock::now();
  r.expires_at = r.processed_at + 20ms;
  store.Store(ctx, r);
  EXPECT_EQ(store.Len(), 1u);
  for (int i = 0; i < 500 && store.Len() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(store.Len(), 0u);
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
