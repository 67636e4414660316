#include "mink/es/event_store.hpp"

#include <gtest/gtest.h>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "core/test_events.hpp"
#include "mink/memory/adapter.hpp"
#include "support/error_code.hpp"

namespace mink {
namespace {

using mink::testing::CodeOf;

using testing::ItemAdded;
using testing::OrderCancelled;
using testing::OrderCreated;

class EventStoreTest : public ::testing::Test {
 protected:
  EventStoreTest() { store.RegisterEvents<OrderCreated, ItemAdded>(); }

  std::shared_ptr<memory::Adapter> adapter = std::make_shared<memory::Adapter>();
  EventStore store{adapter};
  Context ctx;
};

TEST_F(EventStoreTest, AppendAndLoadTypedEvents) {
  AppendResult r =
      store.Append(ctx, "Order-1", {OrderCreated{"1", "c"}, ItemAdded{"s", 2, 3.5}}, NoStream);
  EXPECT_EQ(r.version, 2);
  auto events = store.Load(ctx, "Order-1");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].As<OrderCreated>(), (OrderCreated{"1", "c"}));
  EXPECT_EQ(events[1].As<ItemAdded>().price, 3.5);
  EXPECT_EQ(events[1].Version(), 2);
  EXPECT_EQ(events[1].StreamID(), "Order-1");
  EXPECT_EQ(events[1].GlobalPosition(), 2u);
  EXPECT_FALSE(events[0].ID().empty());
  auto tail = store.LoadFrom(ctx, "Order-1", 1);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_TRUE(tail[0].Is<ItemAdded>());
}

TEST_F(EventStoreTest, MetadataIsAppliedToEveryEventAndContextIdsFillTheGaps) {
  Context req = ctx.WithCorrelationID("corr-ctx")
                    .WithCausationID("cause-ctx")
                    .WithTenantID("t-ctx")
                    .WithUserID("u-ctx");
  store.Append(req, "Order-2", {OrderCreated{"2", "c"}, ItemAdded{"s", 1, 1}}, AnyVersion,
               Metadata{}.WithCorrelationID("corr-explicit").WithCustom("source", "test"));
  for (const Event& e : store.Load(ctx, "Order-2")) {
    EXPECT_EQ(e.Metadata().correlation_id, "corr-explicit");  // explicit wins
    EXPECT_EQ(e.Metadata().causation_id, "cause-ctx");
    EXPECT_EQ(e.Metadata().tenant_id, "t-ctx");
    EXPECT_EQ(e.Metadata().user_id, "u-ctx");
    EXPECT_EQ(*e.Metadata().Custom("source"), "test");
  }
}

TEST_F(EventStoreTest, UnregisteredTypesLoadAsRawJson) {
  store.Append(ctx, "Order-3", {OrderCancelled{"late"}});
  auto events = store.Load(ctx, "Order-3");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].IsRaw());
  EXPECT_EQ(events[0].Type(), "OrderCancelled");
  EXPECT_EQ(events[0].Json()["reason"], "late");
}

// Regression (issue 9, item 9): the set of reported unregistered types was keyed by
// stream|type|version, so it grew by one entry per replayed event, for ever. It is now one
// warning per type, and the number of types it remembers is capped.
TEST_F(EventStoreTest, UnregisteredTypeWarningsAreOncePerTypeAndBounded) {
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>(
      "warned", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  EventStore warned(adapter, {.logger = logger});
  warned.RegisterEvents<OrderCreated, ItemAdded>();
  auto count = [&](std::string_view needle) {
    std::size_t n = 0;
    const std::string text = log.str();
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  };
  for (int i = 0; i < 3; ++i) {
    const std::string id = "w" + std::to_string(i);
    warned.Append(ctx, "Order-" + id,
                  {OrderCreated{id, "c"}, OrderCancelled{"a"}, OrderCancelled{"b"}}, NoStream);
    testing::Order order(id);
    warned.LoadAggregate(ctx, order);
  }
  EXPECT_EQ(count("unregistered event type"), 1u) << log.str();

  // Many distinct unknown types: at most the cap is remembered (and reported), then one note.
  std::vector<Event> unknown;
  for (std::size_t i = 0; i < kMaxWarnedUnregisteredTypes + 10; ++i) {
    unknown.push_back(Event::Raw("Unknown" + std::to_string(i), nlohmann::json::object()));
  }
  warned.Append(ctx, "Order-many", unknown, NoStream);
  testing::Order many("many");
  warned.LoadAggregate(ctx, many);
  warned.LoadAggregate(ctx, many);
  EXPECT_EQ(count("unregistered event type \""), kMaxWarnedUnregisteredTypes);
  EXPECT_EQ(count("no longer reported"), 1u);
}

TEST_F(EventStoreTest, StrictReplayTurnsUnregisteredTypesIntoTypedErrorsOnEveryLoad) {
  store.Append(ctx, "Order-3s", {OrderCreated{"3s", "c"}, OrderCancelled{"late"}});
  EventStore strict(adapter, {.strict_replay = true});
  strict.RegisterEvents<OrderCreated>();
  try {
    strict.Load(ctx, "Order-3s");
    FAIL();
  } catch (const UnregisteredEventTypeError& e) {
    EXPECT_EQ(e.EventType(), "OrderCancelled");
    EXPECT_EQ(e.Version(), 2);
  }
  EXPECT_THROW(strict.LoadFrom(ctx, "Order-3s", 1), UnregisteredEventTypeError);
  const StoredEvent first = strict.LoadRaw(ctx, "Order-3s", 0).at(0);
  EXPECT_EQ(strict.ProcessStoredEvent(ctx, first).As<OrderCreated>().order_id, "3s");
}

TEST_F(EventStoreTest, AppendingEventsTheCallerKeepsDoesNotConsumeThem) {
  const std::vector<Event> events{OrderCreated{"k", "c"}, ItemAdded{"s", 1, 1}};
  store.Append(ctx, "Order-keep", std::span<const Event>(events), NoStream);
  EXPECT_EQ(events[0].As<OrderCreated>().order_id, "k");
  EXPECT_EQ(store.Load(ctx, "Order-keep").size(), 2u);
}

TEST_F(EventStoreTest, BadInputIsATypedErrorAndChangesNothing) {
  EXPECT_EQ(CodeOf([&] { store.Append(ctx, "", {OrderCreated{}}); }), errc::kEmptyStreamID);
  EXPECT_EQ(CodeOf([&] { store.Append(ctx, "Order-4", std::vector<Event>{}); }), errc::kNoEvents);
  EXPECT_EQ(CodeOf([&] { store.Append(ctx, "Order-4", {OrderCreated{}}, -7); }),
            errc::kInvalidVersion);
  EXPECT_EQ(CodeOf([&] { store.Load(ctx, ""); }), errc::kEmptyStreamID);
  EXPECT_EQ(CodeOf([&] { store.LoadFrom(ctx, "Order-4", -1); }), errc::kInvalidVersion);
  EXPECT_EQ(store.GetLastPosition(ctx), 0u);
}

TEST_F(EventStoreTest, OversizeEventsAreRefusedBeforeAnythingIsWritten) {
  EventStore small(adapter, {.max_event_size = 64});
  small.RegisterEvents<OrderCreated>();
  try {
    small.Append(ctx, "Order-5",
                 {OrderCreated{"5", "c"}, OrderCreated{"5", std::string(100, 'x')}});
    FAIL();
  } catch (const EventTooLargeError& e) {
    EXPECT_EQ(e.EventType(), "OrderCreated");
    EXPECT_EQ(e.Limit(), 64u);
    EXPECT_GT(e.Size(), 64u);
  }
  EXPECT_TRUE(small.Load(ctx, "Order-5").empty());
}

struct Unserializable {
  static constexpr std::string_view kEventType = "Unserializable";
  std::string bytes;
};
void to_json(nlohmann::json& j, const Unserializable& u) { j = nlohmann::json{{"bytes", u.bytes}}; }

TEST_F(EventStoreTest, AnEventThatFailsToSerializeIsASerializationError) {
  // Invalid UTF-8 makes nlohmann's dump throw.
  try {
    store.Append(ctx, "Order-6", {OrderCreated{"6", "c"}, Unserializable{"\xff\xfe"}});
    FAIL();
  } catch (const SerializationError& e) {
    EXPECT_EQ(e.EventType(), "Unserializable");
    EXPECT_EQ(e.Operation(), "serialize");
  }
  EXPECT_TRUE(store.Load(ctx, "Order-6").empty());
}

TEST_F(EventStoreTest, StoredJsonThatDoesNotDecodeIsASerializationError) {
  adapter->Append(ctx, "Order-7", {EventRecord{"ItemAdded", R"({"sku":1})", {}}}, NoStream);
  adapter->Append(ctx, "Order-8", {EventRecord{"ItemAdded", R"({not json)", {}}}, NoStream);
  EXPECT_EQ(CodeOf([&] { store.Load(ctx, "Order-7"); }), errc::kSerializationFailed);
  EXPECT_EQ(CodeOf([&] { store.Load(ctx, "Order-8"); }), errc::kSerializationFailed);
  // The raw records are untouched and still readable.
  EXPECT_EQ(store.LoadRaw(ctx, "Order-7", 0).at(0).data, R"({"sku":1})");
}

TEST_F(EventStoreTest, StreamInfoAndPositions) {
  store.Append(ctx, "Order-9", {OrderCreated{"9", "c"}, ItemAdded{}});
  StreamInfo info = store.GetStreamInfo(ctx, "Order-9");
  EXPECT_EQ(info.version, 2);
  EXPECT_EQ(info.category, "Order");
  EXPECT_EQ(store.GetLastPosition(ctx), 2u);
  EXPECT_THROW(store.GetStreamInfo(ctx, "Order-none"), StreamNotFoundError);
  auto feed = store.LoadEventsFromPosition(ctx, 1);
  ASSERT_EQ(feed.size(), 1u);
  EXPECT_EQ(feed[0].type, "ItemAdded");
}

TEST_F(EventStoreTest, SchemaVersionIsStampedOnlyWhenUpcastersAreConfigured) {
  store.Append(ctx, "Order-10", {OrderCreated{"10", "c"}});
  EXPECT_EQ(store.LoadRaw(ctx, "Order-10", 0)[0].metadata.Custom(kSchemaVersionKey), nullptr);

  auto chain = std::make_shared<UpcasterChain>();
  chain->Register(MakeUpcaster("OrderCreated", 1, 2, [](nlohmann::json d) { return d; }));
  EventStore versioned(adapter, {.upcasters = chain});
  versioned.Append(ctx, "Order-11", {OrderCreated{"11", "c"}, ItemAdded{}});
  auto raw = versioned.LoadRaw(ctx, "Order-11", 0);
  EXPECT_EQ(*raw[0].metadata.Custom(kSchemaVersionKey), "2");
  EXPECT_EQ(*raw[1].metadata.Custom(kSchemaVersionKey), "1");
}

TEST_F(EventStoreTest, UpcastersRunBeforeDecoding) {
  // A v1 record written by an older release: the field was called "customer".
  Metadata v1;
  SetSchemaVersion(v1, 1);
  adapter->Append(ctx, "Order-12",
                  {EventRecord{"OrderCreated", R"({"order_id":"12","customer":"old"})", v1}},
                  NoStream);
  auto chain = std::make_shared<UpcasterChain>();
  chain->Register(MakeUpcaster("OrderCreated", 1, 2, [](nlohmann::json d) {
    d["customer_id"] = d["customer"];
    d.erase("customer");
    return d;
  }));
  EventStore versioned(adapter, {.upcasters = chain});
  versioned.RegisterEvents<OrderCreated>();
  auto events = versioned.Load(ctx, "Order-12");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].As<OrderCreated>().customer_id, "old");
  EXPECT_EQ(GetSchemaVersion(events[0].Metadata()), 2);
}

// Records the pipeline order: Encode must see the schema stamp, and the size check must see
// Encode's output; Decode must run before upcasting.
class MarkingTransform : public RecordTransform {
 public:
  void Encode(const Context&, EventRecord& r) const override {
    saw_stamp = r.metadata.Custom(kSchemaVersionKey) != nullptr;
    r.data = R"({"wrapped":)" + r.data + "}";
  }
  void Decode(const Context&, StoredEvent& s) const override {
    auto j = nlohmann::json::parse(s.data);
    s.data = j.at("wrapped").dump();
  }
  mutable bool saw_stamp = false;
};

TEST_F(EventStoreTest, FieldTransformSlotSitsBetweenStampAndSizeCheck) {
  auto transform = std::make_shared<MarkingTransform>();
  auto chain = std::make_shared<UpcasterChain>();
  chain->Register(MakeUpcaster("OrderCreated", 1, 2, [](nlohmann::json d) { return d; }));
  EventStore s(adapter, {.upcasters = chain, .field_transform = transform});
  s.RegisterEvents<OrderCreated>();
  s.Append(ctx, "Order-13", {OrderCreated{"13", "c"}});
  EXPECT_TRUE(transform->saw_stamp);
  EXPECT_EQ(nlohmann::json::parse(s.LoadRaw(ctx, "Order-13", 0)[0].data).count("wrapped"), 1u);
  EXPECT_EQ(s.Load(ctx, "Order-13")[0].As<OrderCreated>().order_id, "13");

  const std::size_t plain = nlohmann::json(OrderCreated{"14", "c"}).dump().size();
  EventStore limited(adapter, {.max_event_size = plain + 5, .field_transform = transform});
  EXPECT_THROW(limited.Append(ctx, "Order-14", {OrderCreated{"14", "c"}}), EventTooLargeError);
}

TEST_F(EventStoreTest, SubscriptionsAreReachedThroughTheStore) {
  auto sub = store.SubscribeCategory(ctx, "Order", 0);
  store.Append(ctx, "Order-15", {OrderCreated{"15", "c"}});
  auto e = sub->Next(ctx.WithTimeout(std::chrono::seconds(5)));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(store.ProcessStoredEvent(ctx, *e).As<OrderCreated>().order_id, "15");
  EXPECT_EQ(CodeOf([&] { store.SubscribeCategory(ctx, "", 0); }), errc::kInvalidArgument);
}

class BareAdapter : public EventStoreAdapter {
 public:
  AppendResult Append(const Context&, const std::string&, std::vector<EventRecord>,
                      int64_t) override {
    return {};
  }
  std::vector<StoredEvent> Load(const Context&, const std::string&, int64_t) override { return {}; }
  StreamInfo GetStreamInfo(const Context&, const std::string& id) override {
    throw StreamNotFoundError(id);
  }
  uint64_t GetLastPosition(const Context&) override { return 0; }
};

TEST(EventStoreCapabilities, MissingCapabilitiesAreTypedErrors) {
  EventStore store(std::make_shared<BareAdapter>());
  Context ctx;
  EXPECT_EQ(store.Capability<SubscriptionAdapter>(), nullptr);
  try {
    store.SubscribeAll(ctx, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kSubscriptionNotSupported);
  }
  EXPECT_THROW(EventStore(nullptr), Error);
  EventStore mem(std::make_shared<memory::Adapter>());
  EXPECT_NE(mem.Capability<SubscriptionAdapter>(), nullptr);
  EXPECT_NE(mem.Capability<TransactionalAdapter>(), nullptr);
}

}  // namespace
}  // namespace mink
