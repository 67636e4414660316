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

// Records stamped `now` (microsecond precision, which every store keeps exactly).
IdempotencyRecord Completed(Timestamp now, std::string key, Clock::duration ttl = 1h) {
  IdempotencyRecord r;
  r.key = std::move(key);
  r.command_type = "CreateOrder";
  r.aggregate_id = "order-1";
  r.version = 3;
  r.response = R"({"total":12.5})";
  r.success = true;
  r.status = IdempotencyStatus::kCompleted;
  r.processed_at = std::chrono::time_point_cast<std::chrono::microseconds>(now);
  r.expires_at = r.processed_at + std::chrono::duration_cast<std::chrono::microseconds>(ttl);
  return r;
}

IdempotencyRecord Reservation(Timestamp now, std::string key, Clock::duration ttl = 1h) {
  IdempotencyRecord r = Completed(now, std::move(key), ttl);
  r.owner = "owner-" + r.key;
  r.aggregate_id.clear();
  r.version = 0;
  r.response.clear();
  r.success = false;
  r.status = IdempotencyStatus::kProcessing;
  return r;
}

TEST_P(IdempotencyStoreConformance, StoreThenGetRoundTripsEveryField) {
  IdempotencyRecord r = Completed(clock.Now(), "k-1");
  r.error = "";
  store().Store(kCtx, r);
  auto got = store().Get(kCtx, "k-1");
  ASSERT_TRUE(got.has_value());
  // The response is JSON; stores may normalise its whitespace.
  EXPECT_EQ(nlohmann::json::parse(got->response), nlohmann::json::parse(r.response));
  got->response = r.response;
  EXPECT_EQ(*got, r);
  EXPECT_TRUE(store().Exists(kCtx, "k-1"));

  IdempotencyRecord failed = Completed(clock.Now(), "k-2");
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
  ASSERT_TRUE(store().StoreIfAbsent(kCtx, Reservation(clock.Now(), "k-3")));
  EXPECT_EQ(store().Get(kCtx, "k-3")->status, IdempotencyStatus::kProcessing);
  store().Store(kCtx, Completed(clock.Now(), "k-3"));
  auto got = store().Get(kCtx, "k-3");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, IdempotencyStatus::kCompleted);
  EXPECT_TRUE(got->success);
}

TEST_P(IdempotencyStoreConformance, StoreIfAbsentRefusesALiveRecord) {
  EXPECT_TRUE(store().StoreIfAbsent(kCtx, Reservation(clock.Now(), "k-4")));
  IdempotencyRecord other = Reservation(clock.Now(), "k-4");
  other.command_type = "Other";
  EXPECT_FALSE(store().StoreIfAbsent(kCtx, other));
  EXPECT_EQ(store().Get(kCtx, "k-4")->command_type, "CreateOrder");
  store().Store(kCtx, Completed(clock.Now(), "k-4"));
  EXPECT_FALSE(store().StoreIfAbsent(kCtx, Reservation(clock.Now(), "k-4")));
}

TEST_P(IdempotencyStoreConformance, ExpiredRecordsAreInvisibleAndCanBeTakenOver) {
  store().Store(kCtx, Completed(clock.Now(), "k-5", 50ms));
  clock.Advance(49ms);
  ASSERT_TRUE(store().Get(kCtx, "k-5").has_value());
  EXPECT_FALSE(store().StoreIfAbsent(kCtx, Reservation(clock.Now(), "k-5")));
  clock.Advance(1ms);  // expires_at itself is expired
  EXPECT_FALSE(store().Get(kCtx, "k-5").has_value());
  EXPECT_TRUE(store().StoreIfAbsent(kCtx, Reservation(clock.Now(), "k-5")));
  EXPECT_EQ(store().Get(kCtx, "k-5")->status, IdempotencyStatus::kProcessing);
}

// Ownership: only the dispatch whose reservation it is may complete or release a key.
TEST_P(IdempotencyStoreConformance, CompleteAndReleaseAreCompareAndSetOnTheOwner) {
  IdempotencyRecord mine = Reservation(clock.Now(), "k-own");
  mine.owner = "owner-a";
  ASSERT_TRUE(store().StoreIfAbsent(kCtx, mine));

  IdempotencyRecord result = Completed(clock.Now(), "k-own");
  result.owner = "owner-b";
  EXPECT_FALSE(store().Complete(kCtx, result)) << "a stranger completed the key";
  EXPECT_FALSE(store().Release(kCtx, "k-own", "owner-b")) << "a stranger released the key";
  EXPECT_EQ(store().Get(kCtx, "k-own")->owner, "owner-a");

  result.owner = "owner-a";
  EXPECT_TRUE(store().Complete(kCtx, result));
  auto got = store().Get(kCtx, "k-own");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, IdempotencyStatus::kCompleted);
  EXPECT_EQ(got->owner, "owner-a");
  EXPECT_TRUE(store().Complete(kCtx, result)) << "completing twice is idempotent";

  EXPECT_TRUE(store().Release(kCtx, "k-own", "owner-a"));
  EXPECT_FALSE(store().Get(kCtx, "k-own").has_value());
  EXPECT_FALSE(store().Release(kCtx, "k-own", "owner-a")) << "nothing left to release";
  EXPECT_FALSE(store().Complete(kCtx, result)) << "a released key is not recreated";
  EXPECT_FALSE(store().Get(kCtx, "k-own").has_value());
}

// The review's scenario: A's handler outlives its reservation, B takes the key over; A's late
// success or failure must leave B's run alone.
TEST_P(IdempotencyStoreConformance, ALateOwnerCannotTouchTheKeyItLost) {
  IdempotencyRecord a = Reservation(clock.Now(), "k-late", 1min);
  a.owner = "owner-a";
  ASSERT_TRUE(store().StoreIfAbsent(kCtx, a));
  clock.Advance(2min);
  IdempotencyRecord b = Reservation(clock.Now(), "k-late", 1min);
  b.owner = "owner-b";
  ASSERT_TRUE(store().StoreIfAbsent(kCtx, b));

  EXPECT_FALSE(store().Release(kCtx, "k-late", "owner-a"));
  IdempotencyRecord a_result = Completed(clock.Now(), "k-late");
  a_result.owner = "owner-a";
  EXPECT_FALSE(store().Complete(kCtx, a_result));
  auto got = store().Get(kCtx, "k-late");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->owner, "owner-b");
  EXPECT_EQ(got->status, IdempotencyStatus::kProcessing);

  // An expired reservation nobody took over still belongs to its owner.
  IdempotencyRecord c = Reservation(clock.Now(), "k-slow", 1min);
  c.owner = "owner-c";
  ASSERT_TRUE(store().StoreIfAbsent(kCtx, c));
  clock.Advance(2min);
  IdempotencyRecord c_result = Completed(clock.Now(), "k-slow");
  c_result.owner = "owner-c";
  EXPECT_TRUE(store().Complete(kCtx, c_result));
  EXPECT_TRUE(store().Exists(kCtx, "k-slow"));
}

TEST_P(IdempotencyStoreConformance, EmptyOwnersAreTypedErrorsAndWriteNothing) {
  IdempotencyRecord r = Reservation(clock.Now(), "k-anon");
  ASSERT_TRUE(store().StoreIfAbsent(kCtx, r));
  IdempotencyRecord anon = Completed(clock.Now(), "k-anon");
  anon.owner.clear();
  EXPECT_EQ(CodeOf([&] { store().Complete(kCtx, anon); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store().Release(kCtx, "k-anon", ""); }), errc::kInvalidArgument);
  EXPECT_EQ(store().Get(kCtx, "k-anon")->status, IdempotencyStatus::kProcessing);
}

TEST_P(IdempotencyStoreConformance, DeleteReleasesAKey) {
  store().StoreIfAbsent(kCtx, Reservation(clock.Now(), "k-6"));
  store().Delete(kCtx, "k-6");
  EXPECT_FALSE(store().Get(kCtx, "k-6").has_value());
  EXPECT_TRUE(store().StoreIfAbsent(kCtx, Reservation(clock.Now(), "k-6")));
  EXPECT_NO_THROW(store().Delete(kCtx, "never-stored"));
}

TEST_P(IdempotencyStoreConformance, CleanupRemovesExpiredAndOldRecords) {
  store().Store(kCtx, Completed(clock.Now(), "live"));
  store().Store(kCtx, Completed(clock.Now(), "expiring", 30ms));
  IdempotencyRecord old = Completed(clock.Now(), "old");
  old.processed_at = clock.Now() - 2h;
  store().Store(kCtx, old);
  clock.Advance(31ms);
  EXPECT_EQ(store().Cleanup(kCtx, 1h), 2);
  EXPECT_TRUE(store().Exists(kCtx, "live"));
  EXPECT_FALSE(store().Exists(kCtx, "old"));
  EXPECT_EQ(store().Cleanup(kCtx, Clock::duration::zero()), 0);
}

// A cleanup removes everything due however many there are (stores may work in batches).
TEST_P(IdempotencyStoreConformance, CleanupRemovesMoreThanOneBatch) {
  constexpr int kRecords = 1100;  // over one batch of either store
  for (int i = 0; i < kRecords; ++i) {
    store().Store(kCtx, Completed(clock.Now(), "bulk-" + std::to_string(i), 1min));
  }
  store().Store(kCtx, Completed(clock.Now(), "keeper", 1h));
  clock.Advance(2min);
  EXPECT_EQ(store().Cleanup(kCtx, Clock::duration::zero()), kRecords);
  EXPECT_TRUE(store().Exists(kCtx, "keeper"));
}

TEST_P(IdempotencyStoreConformance, BadKeysAreTypedErrorsAndWriteNothing) {
  const std::string huge(kMaxIdempotencyKeyLength + 1, 'k');
  EXPECT_EQ(CodeOf([&] { store().Store(kCtx, Completed(clock.Now(), huge)); }),
            errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store().StoreIfAbsent(kCtx, Reservation(clock.Now(), huge)); }),
            errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store().Get(kCtx, huge); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store().Store(kCtx, Completed(clock.Now(), "")); }),
            errc::kInvalidArgument);
  const std::string longest(kMaxIdempotencyKeyLength, 'k');
  store().Store(kCtx, Completed(clock.Now(), longest));
  EXPECT_TRUE(store().Exists(kCtx, longest));
  EXPECT_EQ(store().Cleanup(kCtx, Clock::duration::zero()), 0);
}

TEST_P(IdempotencyStoreConformance, KeysAreOpaqueBytes) {
  for (std::string key : {"CreateOrder:0123456789abcdef0123456789abcdef", "it's \"quoted\"",
                          "naïve-ünïcode", "semi;colon -- DROP TABLE x"}) {
    store().Store(kCtx, Completed(clock.Now(), key));
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
        if (store().StoreIfAbsent(kCtx, Reservation(clock.Now(), key))) ++winners;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(winners.load(), 1) << key;
  }
}

TEST_P(IdempotencyStoreConformance, AClosedStoreRefusesWork) {
  store().Close();
  EXPECT_EQ(CodeOf([&] { store().Get(kCtx, "k"); }), errc::kAdapterClosed);
  EXPECT_EQ(CodeOf([&] { store().Release(kCtx, "k", "o"); }), errc::kAdapterClosed);
  EXPECT_EQ(CodeOf([&] { store().Store(kCtx, Completed(clock.Now(), "k")); }),
            errc::kAdapterClosed);
}

}  // namespace
}  // namespace mink::conformance
