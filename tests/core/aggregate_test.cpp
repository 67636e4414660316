#include "mink/es/aggregate.hpp"

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "core/test_events.hpp"
#include "mink/es/event_store.hpp"
#include "mink/memory/adapter.hpp"

namespace mink {
namespace {

using testing::ItemAdded;
using testing::Order;
using testing::OrderCancelled;
using testing::OrderCreated;

class AggregateTest : public ::testing::Test {
 protected:
  AggregateTest() { store.RegisterEvents<OrderCreated, ItemAdded, OrderCancelled>(); }
  std::shared_ptr<memory::Adapter> adapter = std::make_shared<memory::Adapter>();
  EventStore store{adapter};
  Context ctx;
};

TEST_F(AggregateTest, ApplyMutatesAndRecords) {
  Order order("o1");
  order.Create("alice");
  order.AddItem("sku", 2, 1.0);
  EXPECT_EQ(order.customer(), "alice");
  EXPECT_EQ(order.items(), 2);
  EXPECT_EQ(order.UncommittedEvents().size(), 2u);
  EXPECT_EQ(order.Version(), 0);
  EXPECT_EQ(order.StreamID(), "Order-o1");
}

TEST_F(AggregateTest, ARefusedEventIsNotRecorded) {
  Order order("o1");
  order.Create("alice");
  EXPECT_THROW(order.AddItem("sku", 0, 1.0), DomainError);
  EXPECT_EQ(order.UncommittedEvents().size(), 1u);
}

TEST_F(AggregateTest, SaveThenLoadRestoresStateAndVersion) {
  Order order("o2");
  order.Create("bob");
  order.AddItem("a", 1, 1.0);
  order.AddItem("b", 4, 1.0);
  store.SaveAggregate(ctx, order);
  EXPECT_EQ(order.Version(), 3);
  EXPECT_FALSE(order.HasUncommittedEvents());

  Order loaded("o2");
  store.LoadAggregate(ctx, loaded);
  EXPECT_EQ(loaded.Version(), 3);
  EXPECT_EQ(loaded.customer(), "bob");
  EXPECT_EQ(loaded.items(), 5);
  EXPECT_FALSE(loaded.HasUncommittedEvents());

  loaded.Cancel("changed mind");
  store.SaveAggregate(ctx, loaded);
  EXPECT_EQ(loaded.Version(), 4);
  EXPECT_EQ(store.GetStreamInfo(ctx, "Order-o2").version, 4);
}

TEST_F(AggregateTest, SavingNothingIsANoOp) {
  Order order("o3");
  store.SaveAggregate(ctx, order);
  EXPECT_EQ(store.GetLastPosition(ctx), 0u);
}

TEST_F(AggregateTest, AStaleAggregateIsAConflictAndKeepsItsEvents) {
  Order first("o4");
  first.Create("carol");
  store.SaveAggregate(ctx, first);
  Order a("o4"), b("o4");
  store.LoadAggregate(ctx, a);
  store.LoadAggregate(ctx, b);
  a.AddItem("x", 1, 1);
  store.SaveAggregate(ctx, a);
  b.AddItem("y", 1, 1);
  try {
    store.SaveAggregate(ctx, b);
    FAIL();
  } catch (const ConcurrencyError& e) {
    EXPECT_EQ(e.expected_version(), 1);
    EXPECT_EQ(e.actual_version(), 2);
  }
  EXPECT_EQ(b.Version(), 1);
  EXPECT_EQ(b.UncommittedEvents().size(), 1u);  // kept for a retry after reloading
}

TEST_F(AggregateTest, ANewAggregateMustNotOverwriteAnExistingStream) {
  Order first("o5");
  first.Create("dave");
  store.SaveAggregate(ctx, first);
  Order duplicate("o5");
  duplicate.Create("eve");
  EXPECT_THROW(store.SaveAggregate(ctx, duplicate), ConcurrencyError);
}

TEST_F(AggregateTest, LoadingAMissingStreamLeavesVersionZero) {
  Order order("missing");
  store.LoadAggregate(ctx, order);
  EXPECT_EQ(order.Version(), 0);
  EXPECT_EQ(order.applied(), 0);
}

TEST_F(AggregateTest, AnEmptyIdIsATypedError) {
  Order order("");
  order.Create("x");
  try {
    store.SaveAggregate(ctx, order);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kEmptyStreamID);
  }
}

TEST_F(AggregateTest, UnregisteredTypesWarnOnceOrFailUnderStrictReplay) {
  adapter->Append(ctx, "Order-o6",
                  {EventRecord{"OrderCreated", R"({"order_id":"o6","customer_id":"f"})", {}},
                   EventRecord{"LoyaltyPointsGranted", R"({"points":5})", {}}},
                  NoStream);
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  EventStore lenient(adapter, {.logger = logger});
  lenient.RegisterEvents<OrderCreated>();
  Order a("o6");
  lenient.LoadAggregate(ctx, a);
  EXPECT_EQ(a.Version(), 2);
  EXPECT_EQ(a.applied(), 2);  // the raw event is still offered to ApplyEvent
  Order b("o6");
  lenient.LoadAggregate(ctx, b);
  const std::string text = log.str();
  EXPECT_NE(text.find("LoyaltyPointsGranted"), std::string::npos);
  EXPECT_EQ(text.find("LoyaltyPointsGranted"), text.rfind("LoyaltyPointsGranted"))
      << "warned twice";

  EventStore strict(adapter, {.strict_replay = true});
  strict.RegisterEvents<OrderCreated>();
  Order c("o6");
  try {
    strict.LoadAggregate(ctx, c);
    FAIL();
  } catch (const UnregisteredEventTypeError& e) {
    EXPECT_EQ(e.event_type(), "LoyaltyPointsGranted");
    EXPECT_EQ(e.stream_id(), "Order-o6");
    EXPECT_EQ(e.version(), 2);
  }
}

}  // namespace
}  // namespace mink
