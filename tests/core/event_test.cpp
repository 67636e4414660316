#include "mink/es/event.hpp"

#include <gtest/gtest.h>

#include "core/test_events.hpp"
#include "mink/es/event_registry.hpp"

namespace mink {
namespace {

using testing::ItemAdded;
using testing::OrderCancelled;
using testing::OrderCreated;

static_assert(EventType<OrderCreated>);
static_assert(!EventType<int>);
static_assert(!EventType<std::string>);

TEST(Event, HoldsATypedPayload) {
  Event e = OrderCreated{"o1", "c1"};
  EXPECT_EQ(e.Type(), "OrderCreated");
  EXPECT_TRUE(e.Is<OrderCreated>());
  EXPECT_FALSE(e.Is<ItemAdded>());
  EXPECT_FALSE(e.IsRaw());
  EXPECT_EQ(e.As<OrderCreated>().customer_id, "c1");
  EXPECT_EQ(e.Json(), nlohmann::json::parse(R"({"order_id":"o1","customer_id":"c1"})"));
  EXPECT_EQ(e.Version(), 0);
}

TEST(Event, AsTheWrongTypeIsATypedError) {
  Event e = OrderCreated{"o1", "c1"};
  try {
    (void)e.As<ItemAdded>();
    FAIL();
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), errc::kEventTypeMismatch);
  }
}

TEST(Event, RawEventsKeepTheirJson) {
  Event e = Event::Raw("Legacy", nlohmann::json{{"a", 1}});
  EXPECT_TRUE(e.IsRaw());
  EXPECT_FALSE(e.Is<OrderCreated>());
  EXPECT_EQ(e.Json()["a"], 1);
}

TEST(Event, MatchCallsTheHandlerForTheHeldType) {
  std::vector<Event> events{OrderCreated{"o", "c"}, ItemAdded{"s", 2, 1.5}, OrderCancelled{"r"},
                            Event::Raw("X", {})};
  int created = 0, items = 0;
  std::vector<bool> matched;
  for (const Event& e : events) {
    matched.push_back(Match(
        e, [&](const OrderCreated&) { ++created; },
        [&](const ItemAdded& i) { items += i.quantity; }));
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(items, 2);
  EXPECT_EQ(matched, (std::vector<bool>{true, true, false, false}));
}

TEST(EventRegistry, DecodesRegisteredTypesOnly) {
  EventRegistry registry;
  registry.Register<OrderCreated, ItemAdded>();
  registry.Register<OrderCreated>();  // again: harmless
  EXPECT_TRUE(registry.IsRegistered("ItemAdded"));
  EXPECT_FALSE(registry.IsRegistered("OrderCancelled"));
  EXPECT_EQ(registry.RegisteredEventTypes(),
            (std::vector<std::string>{"ItemAdded", "OrderCreated"}));
  auto e =
      registry.Decode("ItemAdded", nlohmann::json::parse(R"({"sku":"a","quantity":3,"price":2})"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->As<ItemAdded>().quantity, 3);
  EXPECT_FALSE(registry.Decode("OrderCancelled", nlohmann::json::object()).has_value());
}

TEST(EventRegistry, JsonThatDoesNotFitIsASerializationError) {
  EventRegistry registry;
  registry.Register<ItemAdded>();
  try {
    registry.Decode("ItemAdded",
                    nlohmann::json::parse(R"({"sku":"a","quantity":"three","price":2})"));
    FAIL();
  } catch (const SerializationError& e) {
    EXPECT_EQ(e.EventType(), "ItemAdded");
    EXPECT_EQ(e.Operation(), "deserialize");
  }
}

struct Impostor {
  static constexpr std::string_view kEventType = "OrderCreated";
  int x = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Impostor, x)
};

TEST(EventRegistry, TwoTypesUnderOneNameIsRefused) {
  EventRegistry registry;
  registry.Register<OrderCreated>();
  try {
    registry.Register<Impostor>();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mink
