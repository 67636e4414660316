// The PostgreSQL feed's edges: "subscribe from now" while a lower transaction is still open
// (GetLastPosition is the safe watermark), and poison rows planted with SQL (metadata that is
// not a JSON object, an infinite timestamp): the events before them arrive, the row is a typed
// BadStoredEventError with its position, and each subscription policy handles it.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mink/es/errors.hpp"
#include "mink/postgres/adapter.hpp"
#include "postgres/pg_test_support.hpp"
#include "support/drain.hpp"

namespace mink::postgres {
namespace {

using namespace std::chrono_literals;
using mink::testing::Drain;
using mink::testing::PositionsOf;
using testing::AdminQuery;
using testing::HeldAppend;
using testing::MakeAdapter;

const Context kCtx;

std::vector<EventRecord> Records(int count) {
  return std::vector<EventRecord>(static_cast<std::size_t>(count),
                                  EventRecord{"Tested", R"({"n":1})", {}});
}

// Sets `assignment` on the event at `version` of `stream` behind the adapter's back.
void Plant(Adapter& adapter, const std::string& stream, int version,
           const std::string& assignment) {
  ASSERT_EQ(AdminQuery("UPDATE \"" + adapter.Schema() + "\".events SET " + assignment +
                       " WHERE stream_id = '" + stream +
                       "' AND version = " + std::to_string(version) + " RETURNING 1")
                .size(),
            1u);
}

// ---- item 5: the safe watermark ----

// Regression (issue 9, item 5): failed before the fix (GetLastPosition was MAX = 3, so the
// subscription started after position 2 and never delivered it).
TEST(PostgresLastPositionTest, SubscribingFromNowWhileALowerTransactionIsOpenSkipsNothing) {
  auto adapter = MakeAdapter();
  adapter->Append(kCtx, "Early-1", Records(1), NoStream);  // position 1
  HeldAppend slow;
  slow.Start(*adapter, "Slow-1", /*fail=*/false);                             // position 2, open
  AppendResult fast = adapter->Append(kCtx, "Fast-1", Records(1), NoStream);  // 3, committed
  EXPECT_EQ(adapter->GetLastWrittenPosition(kCtx), fast.last_position);
  const uint64_t now = adapter->GetLastPosition(kCtx);
  EXPECT_EQ(now, 1u);
  auto sub = adapter->SubscribeAll(kCtx, now, {.poll_interval = 20ms});
  slow.Finish();
  ASSERT_FALSE(slow.error);
  auto got = Drain(*sub, 2, 10s);
  EXPECT_EQ(PositionsOf(got), (std::vector<uint64_t>{slow.position, fast.first_position}));
  EXPECT_EQ(adapter->GetLastPosition(kCtx), fast.last_position);
}

TEST(PostgresLastPositionTest, ARolledBackTopPositionDoesNotHoldTheWatermarkBack) {
  auto adapter = MakeAdapter();
  adapter->Append(kCtx, "Kept-1", Records(2), NoStream);
  HeldAppend doomed;
  doomed.Start(*adapter, "Doomed-1", /*fail=*/true);
  EXPECT_EQ(adapter->GetLastPosition(kCtx), 2u);
  doomed.Finish();
  EXPECT_EQ(adapter->GetLastPosition(kCtx), 2u);
  EXPECT_EQ(adapter->GetLastWrittenPosition(kCtx), 2u);
}

// ---- item 11: poison rows ----

// Three good events, a bad one at position 4 (stream Bad-1), one more good one at 5.
std::shared_ptr<Adapter> WithPoisonAt4(const std::string& assignment) {
  auto adapter = MakeAdapter();
  adapter->Append(kCtx, "Good-1", Records(3), NoStream);
  adapter->Append(kCtx, "Bad-1", Records(1), NoStream);
  adapter->Append(kCtx, "Good-2", Records(1), NoStream);
  Plant(*adapter, "Bad-1", 1, assignment);
  return adapter;
}

// Regression (issue 9, item 11): before the fix SubscribeAll(0) delivered nothing and called
// on_error every poll interval for ever.
TEST(PostgresPoisonTest, SubscribeAllDeliversTheEventsBeforeABadRowThenStopsWithItsPosition) {
  for (const std::string planted :
       {"metadata = '[1]'", "\"timestamp\" = 'infinity'", "\"timestamp\" = '-infinity'"}) {
    SCOPED_TRACE(planted);
    auto adapter = WithPoisonAt4(planted);
    int errors = 0;
    auto sub = adapter->SubscribeAll(
        kCtx, 0, {.poll_interval = 10ms, .on_error = [&](const Error&) { ++errors; }});
    EXPECT_EQ(PositionsOf(Drain(*sub, 10, 10s)), (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_TRUE(sub->Closed());
    EXPECT_EQ(errors, 1);
    uint64_t resume = 0;
    try {
      std::rethrow_exception(sub->Err());
    } catch (const BadStoredEventError& e) {
      EXPECT_EQ(e.Position(), 4u);
      EXPECT_EQ(e.StreamID(), "Bad-1");
      EXPECT_EQ(e.Version(), 1);
      resume = e.Position();
    }
    // Resuming after the bad row's position passes it.
    auto after = adapter->SubscribeAll(kCtx, resume, {.poll_interval = 10ms});
    EXPECT_EQ(PositionsOf(Drain(*after, 1, 10s)), std::vector<uint64_t>{5});
  }
}

TEST(PostgresPoisonTest, SkipAndDeadLetterPoliciesPassTheBadRow) {
  auto adapter = WithPoisonAt4("metadata = '[1]'");
  std::vector<ErrorCode> reported;
  auto skip =
      adapter->SubscribeAll(kCtx, 0,
                            {.poll_interval = 10ms,
                             .on_error = [&](const Error& e) { reported.push_back(e.code()); },
                             .bad_event = BadEventPolicy::kSkip});
  EXPECT_EQ(PositionsOf(Drain(*skip, 4, 10s)), (std::vector<uint64_t>{1, 2, 3, 5}));
  EXPECT_EQ(reported, std::vector<ErrorCode>{errc::kBadStoredEvent});

  std::vector<uint64_t> dead;
  auto category = adapter->SubscribeCategory(
      kCtx, "Bad", 0,
      {.poll_interval = 10ms,
       .bad_event = BadEventPolicy::kDeadLetter,
       .dead_letter = [&](const BadStoredEventError& e) { dead.push_back(e.Position()); }});
  adapter->Append(kCtx, "Bad-1", Records(1), 1);
  auto got = Drain(*category, 1, 10s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].version, 2);
  EXPECT_EQ(dead, std::vector<uint64_t>{4});
}

// Regression (issue 9, item 11): before the fix the stream subscription never delivered
// version 1.
TEST(PostgresPoisonTest, SubscribeStreamDeliversTheVersionsBeforeABadOne) {
  auto adapter = MakeAdapter();
  adapter->Append(kCtx, "Mixed-1", Records(3), NoStream);
  Plant(*adapter, "Mixed-1", 2, "\"timestamp\" = 'infinity'");
  auto stop = adapter->SubscribeStream(kCtx, "Mixed-1", 0, {.poll_interval = 10ms});
  auto got = Drain(*stop, 3, 10s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].version, 1);
  ASSERT_TRUE(stop->Err());
  auto skip = adapter->SubscribeStream(kCtx, "Mixed-1", 0,
                                       {.poll_interval = 10ms, .bad_event = BadEventPolicy::kSkip});
  got = Drain(*skip, 2, 10s);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].version, 1);
  EXPECT_EQ(got[1].version, 3);
  // Load of the whole stream refuses to hand out a partial stream.
  EXPECT_THROW(adapter->Load(kCtx, "Mixed-1", 0), BadStoredEventError);
  EXPECT_EQ(adapter->Load(kCtx, "Mixed-1", 2).size(), 1u);
}

// Regression (issue 9, item 11): before the fix the whole page failed, so no projection
// rebuild could pass the row. Contract: a page ends before a bad row; a page that would start
// with it throws BadStoredEventError; continuing from its Position() passes it.
TEST(PostgresPoisonTest, LoadFromPositionReturnsTheRowsBeforeABadOneAndThenTypesIt) {
  auto adapter = WithPoisonAt4("metadata = '[1]'");
  EXPECT_EQ(PositionsOf(adapter->LoadFromPosition(kCtx, 0, 10)), (std::vector<uint64_t>{1, 2, 3}));
  uint64_t resume = 0;
  try {
    adapter->LoadFromPosition(kCtx, 3, 10);
    FAIL() << "a page starting at a bad row must throw";
  } catch (const BadStoredEventError& e) {
    EXPECT_EQ(e.Position(), 4u);
    resume = e.Position();
  }
  EXPECT_EQ(PositionsOf(adapter->LoadFromPosition(kCtx, resume, 10)), std::vector<uint64_t>{5});
}

TEST(PostgresPoisonTest, AnInfiniteTimestampNoLongerFailsTheWholeStatement) {
  auto adapter = MakeAdapter();
  adapter->Append(kCtx, "Inf-1", Records(2), NoStream);
  Plant(*adapter, "Inf-1", 2, "\"timestamp\" = 'infinity'");
  try {
    adapter->Load(kCtx, "Inf-1", 0);
    FAIL();
  } catch (const BadStoredEventError& e) {
    EXPECT_EQ(e.Version(), 2);
  }
  EXPECT_EQ(PositionsOf(adapter->LoadFromPosition(kCtx, 0, 10)), std::vector<uint64_t>{1});
}

}  // namespace
}  // namespace mink::postgres
