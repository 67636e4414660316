// EventStoreWithOutbox on the memory adapter (atomic under its writer lock) and on an adapter
// without TransactionalAdapter (the documented non-atomic fallback).
#include "mink/outbox/event_store_with_outbox.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/test_events.hpp"
#include "mink/memory/adapter.hpp"
#include "mink/memory/outbox_store.hpp"
#include "mink/outbox/errors.hpp"
#include "support/error_code.hpp"

namespace mink {
namespace {

using mink::testing::CodeOf;
using testing::ItemAdded;
using testing::Order;
using testing::OrderCreated;

const Context kCtx;

// Stands in for field encryption: customer_id is stored as "ENC(...)".
class FakeEncryption final : public RecordTransform {
 public:
  void Encode(const Context&, EventRecord& record) const override {
    auto j = nlohmann::json::parse(record.data);
    if (j.contains("customer_id")) {
      j["customer_id"] = "ENC(" + j["customer_id"].get<std::string>() + ")";
    }
    record.data = j.dump();
  }
  void Decode(const Context&, StoredEvent&) const override {}
};

std::vector<OutboxMessage> Pending(mink::OutboxStore& outbox) {
  auto claimed = outbox.FetchPending(kCtx, 1000);
  return claimed;
}

class EventStoreWithOutboxTest : public ::testing::Test {
 protected:
  std::shared_ptr<memory::Adapter> adapter = std::make_shared<memory::Adapter>();
  std::shared_ptr<EventStore> events = std::make_shared<EventStore>(
      adapter, EventStoreOptions{.field_transform = std::make_shared<FakeEncryption>()});
  std::shared_ptr<memory::OutboxStore> outbox = std::make_shared<memory::OutboxStore>();
};

TEST_F(EventStoreWithOutboxTest, OneMessagePerEventAndMatchingRouteBuiltFromTheStoredRecord) {
  EventStoreWithOutbox store(events, outbox,
                             {{.event_types = {"OrderCreated"}, .destination = "kafka:orders"},
                              {.destination = "webhook:http://partner/events"}},
                             {.max_attempts = 7});
  EXPECT_TRUE(store.IsAtomic());
  Metadata md;
  md.correlation_id = "corr-1";
  md.causation_id = "cause-1";
  store.Append(kCtx, "Order-1",
               {Event(OrderCreated{"1", "alice"}), Event(ItemAdded{"sku", 2, 1.5})}, NoStream, md);

  auto stored = adapter->Load(kCtx, "Order-1", 0);
  ASSERT_EQ(stored.size(), 2u);
  auto messages = Pending(*outbox);
  ASSERT_EQ(messages.size(), 3u);  // OrderCreated x 2 routes, ItemAdded x 1
  std::map<std::string, int> per_destination;
  for (const OutboxMessage& m : messages) {
    ++per_destination[m.destination];
    const StoredEvent& s = m.event_type == "OrderCreated" ? stored[0] : stored[1];
    EXPECT_EQ(m.aggregate_id, "Order-1");
    EXPECT_EQ(m.payload, s.data);
    EXPECT_EQ(m.max_attempts, 7);
    EXPECT_EQ(m.headers.at("stream-id"), "Order-1");
    EXPECT_EQ(m.headers.at("event-type"), s.type);
    EXPECT_EQ(m.headers.at("event-id"), s.id);
    EXPECT_EQ(m.headers.at("correlation-id"), "corr-1");
    EXPECT_EQ(m.headers.at("causation-id"), "cause-1");
  }
  EXPECT_EQ(per_destination["kafka:orders"], 1);
  EXPECT_EQ(per_destination["webhook:http://partner/events"], 2);
  // The record as stored: the "encrypted" field, never its plaintext.
  EXPECT_NE(messages[0].payload.find("ENC(alice)"), std::string::npos) << messages[0].payload;
}

TEST_F(EventStoreWithOutboxTest, TransformAndFilterReceiveTheTypedEventAndTheStoredRecord) {
  std::vector<std::string> seen;
  EventStoreWithOutbox store(
      events, outbox,
      {{.destination = "webhook:http://x",
        .transform =
            [&](const Event& e, const StoredEvent& s) {
              seen.push_back(e.As<OrderCreated>().customer_id + "|" + s.id);
              return nlohmann::json{{"customer", e.As<OrderCreated>().customer_id},
                                    {"version", s.version}}
                  .dump();
            },
        .filter = [](const Event& e,
                     const StoredEvent& s) { return e.Is<OrderCreated>() && s.version == 1; }}});
  store.Append(kCtx, "Order-2", {Event(OrderCreated{"2", "bob"}), Event(ItemAdded{"a", 1, 1})});
  auto messages = Pending(*outbox);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(messages[0].payload),
            (nlohmann::json{{"customer", "bob"}, {"version", 1}}));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "bob|" + messages[0].headers.at("event-id"));
}

TEST_F(EventStoreWithOutboxTest, AThrowingTransformFailsTheAppendAndWritesNothing) {
  EventStoreWithOutbox store(events, outbox,
                             {{.destination = "kafka:orders",
                               .transform = [](const Event&, const StoredEvent&) -> std::string {
                                 throw std::runtime_error("boom");
                               }}});
  try {
    store.Append(kCtx, "Order-3", {Event(OrderCreated{"3", "c"})});
    FAIL() << "expected kOutboxTransformFailed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kOutboxTransformFailed);
    EXPECT_NE(std::string(e.what()).find("boom"), std::string::npos);
  }
  EXPECT_TRUE(adapter->Load(kCtx, "Order-3", 0).empty());
  EXPECT_EQ(outbox->Count(kCtx, OutboxStatus::kPending), 0);
}

TEST_F(EventStoreWithOutboxTest, AFailingMessageInsertLeavesNoEvents) {
  // The store refuses the second route's message (its payload is not JSON): nothing of the
  // append remains — neither the events nor the first route's message.
  EventStoreWithOutbox store(
      events, outbox,
      {{.destination = "kafka:orders"},
       {.destination = "webhook:http://x",
        .transform = [](const Event&, const StoredEvent&) { return std::string("not json"); }}});
  EXPECT_EQ(CodeOf([&] {
              store.Append(kCtx, "Order-4", {Event(OrderCreated{"4", "d"})});
            }),
            errc::kInvalidArgument);
  EXPECT_TRUE(adapter->Load(kCtx, "Order-4", 0).empty());
  EXPECT_EQ(adapter->GetLastPosition(kCtx), 0u);
  EXPECT_EQ(outbox->Count(kCtx, OutboxStatus::kPending), 0);
}

TEST_F(EventStoreWithOutboxTest, AFailingAppendLeavesNoMessages) {
  EventStoreWithOutbox store(events, outbox, {{.destination = "kafka:orders"}});
  store.Append(kCtx, "Order-5", {Event(OrderCreated{"5", "e"})});
  EXPECT_EQ(CodeOf([&] {
              store.Append(kCtx, "Order-5", {Event(ItemAdded{"a", 1, 1})}, 0);
            }),
            errc::kConcurrencyConflict);
  EXPECT_EQ(CodeOf([&] {
              store.Append(kCtx, "", {Event(ItemAdded{"a", 1, 1})});
            }),
            errc::kEmptyStreamID);
  EXPECT_EQ(CodeOf([&] { store.Append(kCtx, "Order-5", std::vector<Event>{}); }), errc::kNoEvents);
  EXPECT_EQ(outbox->Count(kCtx, OutboxStatus::kPending), 1);
}

TEST_F(EventStoreWithOutboxTest, SaveAggregateSchedulesTheUncommittedEvents) {
  EventStoreWithOutbox store(events, outbox, {{.destination = "kafka:orders"}});
  Order order("o9");
  order.Create("zoe");
  order.AddItem("sku", 1, 2.0);
  store.SaveAggregate(kCtx, order);
  EXPECT_EQ(order.Version(), 2);
  EXPECT_FALSE(order.HasUncommittedEvents());
  auto messages = Pending(*outbox);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].aggregate_id, "Order-o9");
  EXPECT_EQ(&store.Store(), events.get());
  EXPECT_EQ(&store.OutboxStore(), outbox.get());
}

TEST_F(EventStoreWithOutboxTest, BadConfigurationIsRefused) {
  EXPECT_EQ(CodeOf([&] { EventStoreWithOutbox s(events, outbox, {{.destination = "kafka"}}); }),
            errc::kInvalidDestination);
  EXPECT_EQ(CodeOf([&] {
              EventStoreWithOutbox s(events, outbox, {{.destination = "kafka:x"}},
                                     {.max_attempts = 0});
            }),
            errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { EventStoreWithOutbox s(events, nullptr, {}); }), errc::kInvalidArgument);
}

// An adapter that can append but not run a hook in its transaction.
class PlainAdapter final : public EventStoreAdapter {
 public:
  AppendResult Append(const Context& ctx, const std::string& stream,
                      std::vector<EventRecord> records, int64_t expected) override {
    return inner.Append(ctx, stream, std::move(records), expected);
  }
  std::vector<StoredEvent> Load(const Context& ctx, const std::string& stream,
                                int64_t from) override {
    return inner.Load(ctx, stream, from);
  }
  StreamInfo GetStreamInfo(const Context& ctx, const std::string& stream) override {
    return inner.GetStreamInfo(ctx, stream);
  }
  uint64_t GetLastPosition(const Context& ctx) override { return inner.GetLastPosition(ctx); }
  memory::Adapter inner;
};

TEST(EventStoreWithOutboxFallback, SchedulesAfterTheAppendAndSaysSoWhenThatFails) {
  auto plain = std::make_shared<PlainAdapter>();
  auto events = std::make_shared<EventStore>(plain);
  auto outbox = std::make_shared<memory::OutboxStore>();
  EventStoreWithOutbox store(events, outbox, {{.destination = "kafka:orders"}});
  EXPECT_FALSE(store.IsAtomic());

  store.Append(kCtx, "Order-1", {Event(OrderCreated{"1", "a"})});
  auto messages = outbox->FetchPending(kCtx, 10);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].headers.at("event-id"), plain->Load(kCtx, "Order-1", 0)[0].id);

  outbox->Close();
  try {
    store.Append(kCtx, "Order-1", {Event(ItemAdded{"a", 1, 1})});
    FAIL() << "expected OutboxScheduleError";
  } catch (const OutboxScheduleError& e) {
    EXPECT_EQ(e.code(), errc::kOutboxScheduleFailed);
    EXPECT_TRUE(e.Is(errc::kAdapterClosed));
    EXPECT_EQ(e.Result().version, 2);
  }
  EXPECT_EQ(plain->Load(kCtx, "Order-1", 0).size(), 2u) << "the events were appended";
}

}  // namespace
}  // namespace mink
