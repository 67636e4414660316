// The coalescing NOTIFY sender of NotifyMode::kAfterCommit (adapters/postgres/src/
// wake_sender.hpp), driven directly: every poke is followed by a NOTIFY sent after it, pokes
// that arrive while a NOTIFY is in flight share the next one, and a killed connection delays
// the owed NOTIFY instead of losing it. A plain libpqxx connection LISTENs.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "mink/postgres/conninfo.hpp"
#include "postgres/pg_test_support.hpp"
#include "src/coordination.hpp"
#include "src/wake_sender.hpp"

namespace mink::postgres::internal {
namespace {

using namespace std::chrono_literals;

class Counter final : public pqxx::notification_receiver {
 public:
  Counter(pqxx::connection& conn, std::string schema)
      : pqxx::notification_receiver(conn, std::string(kNotifyChannel)),
        schema_(std::move(schema)) {}
  void operator()(const std::string& payload, int) override {
    if (payload == schema_) ++count;
  }
  int count = 0;

 private:
  std::string schema_;
};

struct Fixture {
  std::string schema = testing::UniqueSchema();  // only a payload here: nothing is created
  std::string app = "mink-wake-" + std::to_string(::getpid());
  ConnectionPool pool{ConnectionPool::Options{
      BuildConnInfo(testing::DatabaseURL(), std::chrono::seconds(5), app), 2, 5000ms, {}}};
  pqxx::connection listen{BuildConnInfo(testing::DatabaseURL(), std::chrono::seconds(5))};
  Counter counter{listen, schema};

  Fixture() { listen.get_notifs(); }  // issues the LISTEN before anything is sent
  // Waits (deadline 10 s) until `n` notifications arrived in total.
  bool AwaitCount(int n) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (counter.count < n && std::chrono::steady_clock::now() < deadline) {
      listen.await_notification(0, 100000);
    }
    return counter.count >= n;
  }
};

TEST(PostgresWakeSenderTest, EveryPokeIsFollowedByANotify) {
  Fixture f;
  WakeSender sender(f.pool, f.schema, 50ms);
  for (int i = 1; i <= 20; ++i) {
    sender.Poke();
    ASSERT_TRUE(f.AwaitCount(i)) << "poke " << i << " lost its wake-up";
  }
  // The sender counts a NOTIFY once its statement returned, which may be after the listener
  // already received it: wait (bounded) for the count to catch up.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (sender.Sent() < 20u && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(sender.Sent(), 20u);
  EXPECT_EQ(f.counter.count, 20) << "one NOTIFY per poke when pokes never overlap";
}

TEST(PostgresWakeSenderTest, PokesWhileANotifyIsInFlightShareTheNextOne) {
  Fixture f;
  WakeSender sender(f.pool, f.schema, 50ms);
  constexpr int kThreads = 8, kPokes = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPokes; ++i) sender.Poke();
    });
  }
  for (auto& t : threads) t.join();
  // At least one NOTIFY follows the last poke; far fewer than one per poke were sent.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (sender.Sent() == 0 && std::chrono::steady_clock::now() < deadline) {
    f.listen.await_notification(0, 100000);
  }
  ASSERT_TRUE(f.AwaitCount(1));
  EXPECT_LT(sender.Sent(), static_cast<uint64_t>(kThreads * kPokes) / 10);
}

TEST(PostgresWakeSenderTest, AKilledConnectionDelaysTheNotifyButDoesNotLoseIt) {
  Fixture f;
  WakeSender sender(f.pool, f.schema, 50ms);
  sender.Poke();
  ASSERT_TRUE(f.AwaitCount(1));
  ASSERT_GE(testing::TerminateBackends(f.app), 1);
  sender.Poke();  // its first attempt fails on the dead connection; the retry sends it
  EXPECT_TRUE(f.AwaitCount(2)) << "the NOTIFY owed across the reconnect was lost";
}

}  // namespace
}  // namespace mink::postgres::internal
