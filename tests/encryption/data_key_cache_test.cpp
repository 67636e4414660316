// DataKeyCache: TTL, size bound (LRU), purge by master key, no re-insert after a purge that
// raced an unwrap, and concurrent use (run under TSan with the "concurrency" label).
#include "mink/encryption/data_key_cache.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "support/manual_clock.hpp"

namespace mink {
namespace {

using testing::ManualClock;

SecretBytes Key(char c) { return SecretBytes::CopyOf(std::string(32, c)); }

TEST(DataKeyCache, HitsUntilTheTtlEnds) {
  ManualClock clock;
  DataKeyCache cache({.ttl = std::chrono::seconds(60), .max_entries = 10}, clock.Fn());
  EXPECT_FALSE(cache.Get("k", "w1"));
  cache.Put("k", "w1", Key('a'), cache.Epoch());
  ASSERT_TRUE(cache.Get("k", "w1"));
  EXPECT_EQ(cache.Get("k", "w1")->View(), std::string(32, 'a'));
  EXPECT_FALSE(cache.Get("other", "w1"));  // keyed by master key and wrapped key
  clock.Advance(std::chrono::seconds(60));
  EXPECT_FALSE(cache.Get("k", "w1"));
  DataKeyCacheStats s = cache.Stats();
  EXPECT_EQ(s.size, 0u);
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.evictions, 1u);
}

TEST(DataKeyCache, KeepsAtMostMaxEntriesEvictingTheLeastRecentlyUsed) {
  DataKeyCache cache({.ttl = std::chrono::minutes(5), .max_entries = 2});
  cache.Put("k", "w1", Key('1'), cache.Epoch());
  cache.Put("k", "w2", Key('2'), cache.Epoch());
  ASSERT_TRUE(cache.Get("k", "w1"));  // w2 is now the least recently used
  cache.Put("k", "w3", Key('3'), cache.Epoch());
  EXPECT_TRUE(cache.Get("k", "w1"));
  EXPECT_FALSE(cache.Get("k", "w2"));
  EXPECT_TRUE(cache.Get("k", "w3"));
  EXPECT_EQ(cache.Stats().size, 2u);
}

TEST(DataKeyCache, PurgeDropsOneMasterKeysEntriesAndRefusesPutsThatRacedIt) {
  DataKeyCache cache;
  cache.Put("tenant-A", "w", Key('a'), cache.Epoch());
  cache.Put("tenant-B", "w", Key('b'), cache.Epoch());
  cache.Put("tenant-B", "x", Key('b'), cache.Epoch());
  const uint64_t before_purge = cache.Epoch();  // an unwrap starts...
  cache.PurgeKey("tenant-B");
  EXPECT_TRUE(cache.Get("tenant-A", "w"));
  EXPECT_FALSE(cache.Get("tenant-B", "w"));
  EXPECT_FALSE(cache.Get("tenant-B", "x"));
  cache.Put("tenant-B", "w", Key('b'), before_purge);  // ...and finishes after the purge
  EXPECT_FALSE(cache.Get("tenant-B", "w"));
  cache.Clear();
  EXPECT_EQ(cache.Stats().size, 0u);
}

TEST(DataKeyCache, AZeroTtlDisablesIt) {
  DataKeyCache cache({.ttl = std::chrono::milliseconds(0)});
  cache.Put("k", "w", Key('a'), cache.Epoch());
  EXPECT_FALSE(cache.Get("k", "w"));
}

TEST(DataKeyCache, ConcurrentGetsPutsAndPurges) {
  DataKeyCache cache({.ttl = std::chrono::minutes(5), .max_entries = 16});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string id = "k" + std::to_string(i % 3);
        const std::string w = "w" + std::to_string((i * 7 + t) % 40);
        if (auto k = cache.Get(id, w)) {
          EXPECT_EQ(k->Size(), 32u);
        } else {
          cache.Put(id, w, Key('z'), cache.Epoch());
        }
        if (i % 97 == 0) cache.PurgeKey(id);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.Stats().size, 16u);
}

}  // namespace
}  // namespace mink
