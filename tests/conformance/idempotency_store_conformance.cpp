#include "conformance/idempotency_store_conformance.hpp"
#include "support/error_code.hpp"

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace mink::conformance {
namespace {

using mink::testing::CodeOf;

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Context kCtx;

// Timestamps at microsecond precision, which every store keeps exactly.
Timestamp Now() { return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()); }

IdempotencyRecord Completed(std::string key, Clock::duration ttl = 1h) {
  IdempotencyRecord r;
  r.key = std::move(key);
  r.command_type = "CreateOrder";
  r.aggregate_id = "order-1";
  r.version = 3;
  r.response = R"({"total":12.5})";
  r.success = true;
  r.status = IdempotencyStatus::kCompleted;
  r.processed_at = Now();
  r.expires_at = r.processed_at + std::chrono::duration_cast<std::chrono::microseconds>(ttl);
  return r;
}

IdempotencyRecord Reservation(std::string key, Clock::duration ttl = 1h) {
  IdempotencyRecord r = Completed(std::move(key), ttl);
  r.aggregate_id.clear();
  r.version = 0;
  r.response.clear();
  r.success = false;
  r.status = IdempotencyStatus::kProcessing;
  return r;
}

TEST_P(IdempotencyStoreConformance, StoreThenGetRoundTripsEveryField) {
  IdempotencyRecord r = Completed("k-1");
  r.error = "";
  store().Store(kCtx, r);
  auto got = store().Get(kCtx, "k-1");
  ASSERT_TRUE(got.has_value());
  // The response is JSON; stores may normalise its whitespace.
  EXPECT_EQ(nlohmann::json::parse(got->response), nlohmann::json::parse(r.response));
  got->response = r.response;
  EXPECT_EQ(*got, r);
  EXPECT_TRUE(store().Exists(kCtx, "k-1"));

  IdempotencyRecord failed = Completed("k-2");
  failed.success = false;
  failed.error = "mink: order already exists";
  failed.response.clear();
  store().Store(kCtx, failed);
  EXPECT_EQ(store().Get(kCtx, "k-2"), failed);
}

TEST_P(IdempotencyStoreConformance, GetOfAMissingKeyIsEmpty) {
  EXPECT_FALSE(store().Get(kCtx, "nope").has_value());
  EXPECT_FALSE(store().Exists(kCtx, "nope"));
}

TEST_P(IdempotencyStoreConformance, StoreReplacesAReservationWithTheResult) {
  ASSERT_TRUE(store().StoreIfAbsent(kCtx, Reservation("k-3")));
  EXPECT_EQ(store().Get(kCtx, "k-3")->status, IdempotencyStatus::kProcessing);
  store().Store(kCtx, Completed("k-3"));
  auto got = store().Get(kCtx, "k-3");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, IdempotencyStatus::kCompleted);
  EXPECT_TRUE(got->success);
}

TEST_P(IdempotencyStoreConformance, StoreIfAbsentRefusesALiveRecord) {
  EXPECT_TRUE(store().StoreIfAbsent(kCtx, Reservation("k-4")));
  IdempotencyRecord other = Reservation("k-4");
  other.command_type = "Other";
  EXPECT_FALSE(store().StoreIfAbsent(kCtx, other));
  EXPECT_EQ(store().Get(kCtx, "k-4")->command_type, "CreateOrder");
  store().Store(kCtx, Completed("k-4"));
  EXPECT_FALSE(store().StoreIfAbsent(kCtx, Reservation("k-4")));
}

TEST_P(IdempotencyStoreConformance, ExpiredRecordsAreInvisibleAndCanBeTakenOver) {
  // The record must still be live when read back: its TTL covers the Store and Get round trips
  // even on a loaded CI machine (50 ms did not, under sanitizers on 2 shared cores).
  store().Store(kCtx, Completed("k-5", 500ms));
  ASSERT_TRUE(store().Get(kCtx, "k-5").has_value());
  std::this_thread::sleep_for(700ms);
  EXPECT_FALSE(store().Get(kCtx, "k-5").has_value());
  EXPECT_TRUE(store().StoreIfAbsent(kCtx, Reservation("k-5")));
  EXPECT_EQ(store().Get(kCtx, "k-5")->status, IdempotencyStatus::kProcessing);
}

TEST_P(IdempotencyStoreConformance, DeleteReleasesAKey) {
  store().StoreIfAbsent(kCtx, Reservation("k-6"));
  store().Delete(kCtx, "k-6");
  EXPECT_FALSE(store().Get(kCtx, "k-6").has_value());
  EXPECT_TRUE(store().StoreIfAbsent(kCtx, Reservation("k-6")));
  EXPECT_NO_THROW(store().Delete(kCtx, "never-stored"));
}

TEST_P(IdempotencyStoreConformance, CleanupRemovesExpiredAndOldRecords) {
  store().Store(kCtx, Completed("live"));
  store().Store(kCtx, Completed("expiring", 30ms));
  IdempotencyRecord old = Completed("old");
  old.processed_at = Now() - 2h;
  store().Store(kCtx, old);
  std::this_thread::sleep_for(80ms);
  EXPECT_EQ(store().Cleanup(kCtx, 1h), 2);
  EXPECT_TRUE(store().Exists(kCtx, "live"));
  EXPECT_FALSE(store().Exists(kCtx, "old"));
  EXPECT_EQ(store().Cleanup(kCtx, Clock::duration::zero()), 0);
}

TEST_P(IdempotencyStoreConformance, BadKeysAreTypedErrorsAndWriteNothing) {
  const std::string huge(kMaxIdempotencyKeyLength + 1, 'k');
  EXPECT_EQ(CodeOf([&] { store().Store(kCtx, Completed(huge)); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store().StoreIfAbsent(kCtx, Reservation(huge)); }),
            errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store().Get(kCtx, huge); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store().Store(kCtx, Completed("")); }), errc::kInvalidArgument);
  const std::string longest(kMaxIdempotencyKeyLength, 'k');
  store().Store(kCtx, Completed(longest));
  EXPECT_TRUE(store().Exists(kCtx, longest));
  EXPECT_EQ(store().Cleanup(kCtx, Clock::duration::zero()), 0);
}

TEST_P(IdempotencyStoreConformance, KeysAreOpaqueBytes) {
  for (std::string key : {"CreateOrder:0123456789abcdef0123456789abcdef", "it's \"quoted\"",
                          "naïve-ünïcode", "semi;colon -- DROP TABLE x"}) {
    store().Store(kCtx, Completed(key));
    ASSERT_TRUE(store().Exists(kCtx, key)) << key;
  }
}

TEST_P(IdempotencyStoreConformance, SixteenConcurrentReservationsOneWinner) {
  constexpr int kThreads = 16;
  for (int round = 0; round < 5; ++round) {
    const std::string key = "race-" + std::to_string(round);
    std::barrier start(kThreads);
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        if (store().StoreIfAbsent(kCtx, Reservation(key))) ++winners;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(winners.load(), 1) << key;
  }
}

TEST_P(IdempotencyStoreConformance, AClosedStoreRefusesWork) {
  store().Close();
  EXPECT_EQ(CodeOf([&] { store().Get(kCtx, "k"); }), errc::kAdapterClosed);
  EXPECT_EQ(CodeOf([&] { store().Store(kCtx, Completed("k")); }), errc::kAdapterClosed);
}

}  // namespace
}  // namespace mink::conformance
