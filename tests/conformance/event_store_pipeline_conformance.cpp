// The EventStore pipeline over every adapter: typed events, metadata from the Context,
// upcasting, strict replay, size limits, the field-transform slot and subscriptions through the
// store. Instantiated by each adapter's test binary with the EventStoreConformance factory.
#include <gtest/gtest.h>

#include "conformance/event_store_conformance.hpp"
#include "core/test_events.hpp"
#include "mink/es/event_store.hpp"
#include "support/error_code.hpp"

namespace mink::conformance {
namespace {

using mink::testing::CodeOf;

using mink::testing::ItemAdded;
using mink::testing::Order;
using mink::testing::OrderCancelled;
using mink::testing::OrderCreated;

TEST_P(EventStorePipelineConformance, AppendAndLoadTypedEvents) {
  AppendResult r =
      store->Append(ctx, "Order-1", {OrderCreated{"1", "c"}, ItemAdded{"s", 2, 3.5}}, NoStream);
  EXPECT_EQ(r.version, 2);
  auto events = store->Load(ctx, "Order-1");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].As<OrderCreated>(), (OrderCreated{"1", "c"}));
  EXPECT_EQ(events[1].As<ItemAdded>().price, 3.5);
  EXPECT_EQ(events[1].Version(), 2);
  EXPECT_EQ(events[1].StreamID(), "Order-1");
  EXPECT_EQ(events[1].GlobalPosition(), 2u);
  EXPECT_FALSE(events[0].ID().empty());
  auto tail = store->LoadFrom(ctx, "Order-1", 1);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_TRUE(tail[0].Is<ItemAdded>());
}

TEST_P(EventStorePipelineConformance, MetadataIsAppliedToEveryEventAndContextIdsFillTheGaps) {
  Context req = ctx.WithCorrelationID("corr-ctx")
                    .WithCausationID("cause-ctx")
                    .WithTenantID("t-ctx")
                    .WithUserID("u-ctx");
  store->Append(req, "Order-2", {OrderCreated{"2", "c"}, ItemAdded{"s", 1, 1}}, AnyVersion,
                Metadata{}.WithCorrelationID("corr-explicit").WithCustom("source", "test"));
  for (const Event& e : store->Load(ctx, "Order-2")) {
    EXPECT_EQ(e.Metadata().correlation_id, "corr-explicit");  // explicit wins
    EXPECT_EQ(e.Metadata().causation_id, "cause-ctx");
    EXPECT_EQ(e.Metadata().tenant_id, "t-ctx");
    EXPECT_EQ(e.Metadata().user_id, "u-ctx");
    EXPECT_EQ(*e.Metadata().Custom("source"), "test");
  }
}

TEST_P(EventStorePipelineConformance, UnregisteredTypesLoadAsRawJson) {
  store->Append(ctx, "Order-3", {OrderCancelled{"late"}});
  auto events = store->Load(ctx, "Order-3");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].IsRaw());
  EXPECT_EQ(events[0].Type(), "OrderCancelled");
  EXPECT_EQ(events[0].Json()["reason"], "late");
}

TEST_P(EventStorePipelineConformance,
       StrictReplayTurnsUnregisteredTypesIntoTypedErrorsOnEveryLoad) {
  store->Append(ctx, "Order-3s", {OrderCreated{"3s", "c"}, OrderCancelled{"late"}});
  EventStore strict(adapter_, {.strict_replay = true});
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

TEST_P(EventStorePipelineConformance, AppendingEventsTheCallerKeepsDoesNotConsumeThem) {
  const std::vector<Event> events{OrderCreated{"k", "c"}, ItemAdded{"s", 1, 1}};
  store->Append(ctx, "Order-keep", std::span<const Event>(events), NoStream);
  EXPECT_EQ(events[0].As<OrderCreated>().order_id, "k");
  EXPECT_EQ(store->Load(ctx, "Order-keep").size(), 2u);
}

TEST_P(EventStorePipelineConformance, BadInputIsATypedErrorAndChangesNothing) {
  EXPECT_EQ(CodeOf([&] { store->Append(ctx, "", {OrderCreated{}}); }), errc::kEmptyStreamID);
  EXPECT_EQ(CodeOf([&] { store->Append(ctx, "Order-4", std::vector<Event>{}); }), errc::kNoEvents);
  EXPECT_EQ(CodeOf([&] { store->Append(ctx, "Order-4", {OrderCreated{}}, -7); }),
            errc::kInvalidVersion);
  EXPECT_EQ(CodeOf([&] { store->Load(ctx, ""); }), errc::kEmptyStreamID);
  EXPECT_EQ(CodeOf([&] { store->LoadFrom(ctx, "Order-4", -1); }), errc::kInvalidVersion);
  EXPECT_EQ(store->GetLastPosition(ctx), 0u);
}

TEST_P(EventStorePipelineConformance, OversizeEventsAreRefusedBeforeAnythingIsWritten) {
  EventStore small(adapter_, {.max_event_size = 64});
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

TEST_P(EventStorePipelineConformance, AnEventThatFailsToSerializeIsASerializationError) {
  // Invalid UTF-8 makes nlohmann's dump throw.
  try {
    store->Append(ctx, "Order-6", {OrderCreated{"6", "c"}, Unserializable{"\xff\xfe"}});
    FAIL();
  } catch (const SerializationError& e) {
    EXPECT_EQ(e.EventType(), "Unserializable");
    EXPECT_EQ(e.Operation(), "serialize");
  }
  EXPECT_TRUE(store->Load(ctx, "Order-6").empty());
}

TEST_P(EventStorePipelineConformance, StoredJsonThatDoesNotDecodeIsASerializationError) {
  adapter_->Append(ctx, "Order-7", {EventRecord{"ItemAdded", R"({"sku":1})", {}}}, NoStream);
  EXPECT_EQ(CodeOf([&] { store->Load(ctx, "Order-7"); }), errc::kSerializationFailed);
  // The raw records are untouched and still readable.
  // (as JSON: PostgreSQL's jsonb normalises the spacing)
  EXPECT_EQ(nlohmann::json::parse(store->LoadRaw(ctx, "Order-7", 0).at(0).data),
            nlohmann::json::parse(R"({"sku":1})"));
}

TEST_P(EventStorePipelineConformance, StreamInfoAndPositions) {
  store->Append(ctx, "Order-9", {OrderCreated{"9", "c"}, ItemAdded{}});
  StreamInfo info = store->GetStreamInfo(ctx, "Order-9");
  EXPECT_EQ(info.version, 2);
  EXPECT_EQ(info.category, "Order");
  EXPECT_EQ(store->GetLastPosition(ctx), 2u);
  EXPECT_THROW(store->GetStreamInfo(ctx, "Order-none"), StreamNotFoundError);
  auto feed = store->LoadEventsFromPosition(ctx, 1);
  ASSERT_EQ(feed.size(), 1u);
  EXPECT_EQ(feed[0].type, "ItemAdded");
}

TEST_P(EventStorePipelineConformance, SchemaVersionIsStampedOnlyWhenUpcastersAreConfigured) {
  store->Append(ctx, "Order-10", {OrderCreated{"10", "c"}});
  EXPECT_EQ(store->LoadRaw(ctx, "Order-10", 0)[0].metadata.Custom(kSchemaVersionKey), nullptr);

  auto chain = std::make_shared<UpcasterChain>();
  chain->Register(MakeUpcaster("OrderCreated", 1, 2, [](nlohmann::json d) { return d; }));
  EventStore versioned(adapter_, {.upcasters = chain});
  versioned.Append(ctx, "Order-11", {OrderCreated{"11", "c"}, ItemAdded{}});
  auto raw = versioned.LoadRaw(ctx, "Order-11", 0);
  EXPECT_EQ(*raw[0].metadata.Custom(kSchemaVersionKey), "2");
  EXPECT_EQ(*raw[1].metadata.Custom(kSchemaVersionKey), "1");
}

TEST_P(EventStorePipelineConformance, UpcastersRunBeforeDecoding) {
  // A v1 record written by an older release: the field was called "customer".
  Metadata v1;
  SetSchemaVersion(v1, 1);
  adapter_->Append(ctx, "Order-12",
                   {EventRecord{"OrderCreated", R"({"order_id":"12","customer":"old"})", v1}},
                   NoStream);
  auto chain = std::make_shared<UpcasterChain>();
  chain->Register(MakeUpcaster("OrderCreated", 1, 2, [](nlohmann::json d) {
    d["customer_id"] = d["customer"];
    d.erase("customer");
    return d;
  }));
  EventStore versioned(adapter_, {.upcasters = chain});
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

TEST_P(EventStorePipelineConformance, FieldTransformSlotSitsBetweenStampAndSizeCheck) {
  auto transform = std::make_shared<MarkingTransform>();
  auto chain = std::make_shared<UpcasterChain>();
  chain->Register(MakeUpcaster("OrderCreated", 1, 2, [](nlohmann::json d) { return d; }));
  EventStore s(adapter_, {.upcasters = chain, .field_transform = transform});
  s.RegisterEvents<OrderCreated>();
  s.Append(ctx, "Order-13", {OrderCreated{"13", "c"}});
  EXPECT_TRUE(transform->saw_stamp);
  EXPECT_EQ(nlohmann::json::parse(s.LoadRaw(ctx, "Order-13", 0)[0].data).count("wrapped"), 1u);
  EXPECT_EQ(s.Load(ctx, "Order-13")[0].As<OrderCreated>().order_id, "13");

  const std::size_t plain = nlohmann::json(OrderCreated{"14", "c"}).dump().size();
  EventStore limited(adapter_, {.max_event_size = plain + 5, .field_transform = transform});
  EXPECT_THROW(limited.Append(ctx, "Order-14", {OrderCreated{"14", "c"}}), EventTooLargeError);
}

// A transform that overrides the batch form: once per append, told the stream.
class BatchRecordingTransform : public RecordTransform {
 public:
  void Encode(const Context&, EventRecord&) const override { ADD_FAILURE() << "batch form only"; }
  void EncodeBatch(const Context&, std::string_view stream_id,
                   std::span<EventRecord> records) const override {
    calls.emplace_back(std::string(stream_id), records.size());
  }
  void Decode(const Context&, StoredEvent&) const override {}
  mutable std::vector<std::pair<std::string, std::size_t>> calls;
};

TEST_P(EventStorePipelineConformance, FieldTransformSeesEachAppendOnceWithItsStream) {
  auto transform = std::make_shared<BatchRecordingTransform>();
  EventStore s(adapter_, {.field_transform = transform});
  s.Append(ctx, "Order-16", {OrderCreated{"16", "c"}, ItemAdded{}, ItemAdded{}});
  Order order("17");
  order.Create("c");
  s.SaveAggregate(ctx, order);
  ASSERT_EQ(transform->calls.size(), 2u);
  EXPECT_EQ(transform->calls[0], (std::pair<std::string, std::size_t>{"Order-16", 3}));
  EXPECT_EQ(transform->calls[1], (std::pair<std::string, std::size_t>{"Order-17", 1}));
  std::vector<Event> events{OrderCreated{"18", "c"}};
  s.PrepareRecords(ctx, "Order-18", events);
  EXPECT_EQ(transform->calls.back().first, "Order-18");
}

TEST_P(EventStorePipelineConformance, SubscriptionsAreReachedThroughTheStore) {
  auto sub = store->SubscribeCategory(ctx, "Order", 0);
  store->Append(ctx, "Order-15", {OrderCreated{"15", "c"}});
  auto e = sub->Next(ctx.WithTimeout(std::chrono::seconds(5)));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(store->ProcessStoredEvent(ctx, *e).As<OrderCreated>().order_id, "15");
  EXPECT_EQ(CodeOf([&] { store->SubscribeCategory(ctx, "", 0); }), errc::kInvalidArgument);
}

}  // namespace
}  // namespace mink::conformance
