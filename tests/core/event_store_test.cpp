// Memory-only EventStore behaviour; the pipeline itself is tested on every adapter by
// tests/conformance/event_store_pipeline_conformance.cpp.
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

TEST_F(EventStoreTest, StoredJsonThatDoesNotDecodeIsASerializationError) {
  // Only the memory adapter stores data that is not JSON (PostgreSQL refuses it on append);
  // the conformance suite covers JSON of the wrong shape on every adapter.
  adapter->Append(ctx, "Order-8", {EventRecord{"ItemAdded", R"({not json)", {}}}, NoStream);
  EXPECT_EQ(CodeOf([&] { store.Load(ctx, "Order-8"); }), errc::kSerializationFailed);
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
