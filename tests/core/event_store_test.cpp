// Memory-only EventStore behaviour; the pipeline itself is tested on every adapter by
// tests/conformance/event_store_pipeline_conformance.cpp.
#include "mink/es/event_store.hpp"

#include <gtest/gtest.h>

#include "core/test_events.hpp"
#include "mink/memory/adapter.hpp"
#include "support/error_code.hpp"

namespace mink {
namespace {

using mink::testing::CodeOf;

using testing::ItemAdded;
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
