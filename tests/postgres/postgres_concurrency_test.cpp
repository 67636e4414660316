// (c) of issue 3: 8 concurrent writers and one live subscriber over 100,000 events. The
// subscriber must see every event exactly once, in strictly increasing global position, with
// each stream's versions 1..n in order — despite positions being allocated by concurrent
// transactions that commit in a different order than they allocated.
#include <unistd.h>
#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <unordered_set>

#include <gtest/gtest.h>

#include "mink/postgres/adapter.hpp"
#include "mink/postgres/transaction.hpp"
#include "postgres/pg_test_support.hpp"

namespace mink::postgres {
namespace {

using namespace std::chrono_literals;

TEST(PostgresConcurrencyTest, EightWritersOneSubscriberHundredThousandEvents) {
  constexpr int kWriters = 8;
  constexpr int kBatch = 10;
  constexpr int kAppendsPerWriter = 1250;
  constexpr size_t kTotal = static_cast<size_t>(kWriters) * kAppendsPerWriter * kBatch;
  auto adapter = testing::MakeAdapter(Options{.max_connections = kWriters + 2});
  const Context ctx;

  auto sub = adapter->SubscribeAll(ctx, 0, {.buffer_size = 1000, .poll_interval = 50ms});
  std::vector<StoredEvent> got;
  got.reserve(kTotal);
  std::thread reader([&] {
    Context deadline = Context{}.WithTimeout(180s);
    while (got.size() < kTotal) {
      auto e = sub->Next(deadline);
      if (!e) break;
      got.push_back(std::move(*e));
    }
  });

  std::atomic<int> errors{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      // Each writer alternates between two streams so stream locks and new-stream creation
      // both happen under contention.
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        std::vector<EventRecord> batch;
        for (int k = 0; k < kBatch; ++k) {
          batch.push_back(
              EventRecord{"Counted",
                          R"({"w":)" + std::to_string(w) + R"(,"i":)" + std::to_string(i) + "}",
                          {}});
        }
        try {
          adapter->Append(ctx, "Load-" + std::to_string(w) + "-" + std::to_string(i % 2),
                          std::move(batch), AnyVersion);
        } catch (const std::exception&) {
          ++errors;
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  reader.join();

  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(got.size(), kTotal) << "events skipped";
  std::unordered_set<std::string> ids;
  std::map<std::string, int64_t> last_version;
  size_t out_of_order = 0, version_jumps = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ids.insert(got[i].id);
    if (i > 0 && got[i - 1].global_position >= got[i].global_position) ++out_of_order;
    int64_t& v = last_version[got[i].stream_id];
    if (got[i].version != v + 1) ++version_jumps;
    v = got[i].version;
  }
  EXPECT_EQ(ids.size(), kTotal) << "duplicates delivered";
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(version_jumps, 0u);
  EXPECT_EQ(last_version.size(), static_cast<size_t>(kWriters * 2));
  EXPECT_EQ(adapter->GetLastPosition(ctx), got.back().global_position);
  EXPECT_FALSE(sub->Next(Context{}.WithTimeout(100ms)).has_value());
}

// Issue 10's torture test of the append design (one allocation critical section, NOTIFY after
// commit from the coalescing sender): 8 writers, some transactions held open while others
// commit, and the writers' connections (the NOTIFY sender's included) killed over and over. A
// subscriber on another adapter must end up with exactly the table's contents: 0 skipped, 0
// duplicated, in position order — whatever the fate of the appends that were cut off.
TEST(PostgresConcurrencyTest, TortureHeldTransactionsAndKilledConnectionsSkipAndDuplicateNothing) {
  constexpr int kWriters = 8;
  constexpr int kAppendsPerWriter = 120;
  const std::string app = "mink-torture-" + std::to_string(::getpid());
  auto writer = testing::MakeAdapter(Options{.max_connections = kWriters, .application_name = app});
  Adapter reader(Options{.url = testing::DatabaseURL(),
                         .schema = writer->Schema(),
                         .application_name = app + "-reader"});
  const Context ctx;
  auto sub = reader.SubscribeAll(ctx, 0, {.buffer_size = 256, .poll_interval = 50ms});

  std::atomic<int> writers_left{kWriters};
  std::atomic<int> acknowledged{0}, failed{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(static_cast<unsigned>(w));
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        const int n = 1 + static_cast<int>(rng() % 3);
        std::vector<EventRecord> batch(
            static_cast<size_t>(n),
            EventRecord{"Tortured", R"({"w":)" + std::to_string(w) + "}", {}});
        const std::string stream = "Torture-" + std::to_string(w) + "-" + std::to_string(i % 3);
        try {
          if (i % 7 == 0) {
            // Positions allocated, transaction held open while the others commit past it.
            writer->AppendWithHook(ctx, stream, std::move(batch), AnyVersion,
                                   [&](mink::Transaction&, const std::vector<StoredEvent>&) {
                                     std::this_thread::sleep_for(std::chrono::milliseconds(
                                         5 + static_cast<int>(rng() % 20)));
                                   });
          } else {
            writer->Append(ctx, stream, std::move(batch), AnyVersion);
          }
          ++acknowledged;
        } catch (const Error&) {
          ++failed;  // cut off: committed or not, the table says which
        }
      }
      --writers_left;
    });
  }
  std::thread killer([&] {
    while (writers_left.load() > 0) {
      std::this_thread::sleep_for(40ms);  // load, not synchronisation
      testing::TerminateBackends(app);
    }
  });
  for (auto& t : threads) t.join();
  killer.join();

  // The table is the truth; the subscriber must deliver exactly it.
  std::vector<StoredEvent> table;
  for (uint64_t from = 0;;) {
    auto page = reader.LoadFromPosition(ctx, from, 1000);
    if (page.empty()) break;
    from = page.back().global_position;
    for (auto& e : page) table.push_back(std::move(e));
  }
  std::vector<StoredEvent> got;
  Context deadline = Context{}.WithTimeout(60s);
  while (got.size() < table.size()) {
    auto e = sub->Next(deadline);
    if (!e) break;
    got.push_back(std::move(*e));
  }
  EXPECT_GT(acknowledged.load(), 0);
  ASSERT_EQ(got.size(), table.size()) << "events skipped (" << failed.load() << " appends cut off)";
  size_t mismatched = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].global_position != table[i].global_position || got[i].id != table[i].id)
      ++mismatched;
  }
  EXPECT_EQ(mismatched, 0u) << "skipped, duplicated or reordered";
  EXPECT_FALSE(sub->Next(Context{}.WithTimeout(200ms)).has_value()) << "duplicates delivered";
  std::map<std::string, int64_t> last_version;
  size_t version_jumps = 0;
  for (const auto& e : table) {
    int64_t& v = last_version[e.stream_id];
    if (e.version != v + 1) ++version_jumps;
    v = e.version;
  }
  EXPECT_EQ(version_jumps, 0u);
}

}  // namespace
}  // namespace mink::postgres
