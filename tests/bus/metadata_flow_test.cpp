// IDs flow from dispatched commands into the metadata of the events their handlers append.
// Runs once per adapter: the binary links one file that defines MetadataFlowAdapter()
// (metadata_flow_memory.cpp here, tests/postgres/metadata_flow_postgres.cpp for PostgreSQL).
#include <gtest/gtest.h>

#include "conformance/event_store_conformance.hpp"

#include "bus/test_commands.hpp"
#include "core/test_events.hpp"

namespace mink::testing {

// The adapter this binary runs the suite on.
conformance::AdapterFactory MetadataFlowAdapter();

namespace {

struct ShipOrder : CommandBase {
  static constexpr std::string_view kCommandType = "ShipOrder";
  std::string order_id;
  void Validate() const {}
  std::string AggregateID() const { return order_id; }
};

class MetadataFlowTest : public ::testing::TestWithParam<conformance::AdapterFactory> {
 protected:
  MetadataFlowTest() : store_(GetParam().make()) {
    store_.RegisterEvents<OrderCreated, ItemAdded, OrderCancelled>();
    bus_.Use(ValidationMiddleware(), RecoveryMiddleware(),
             CorrelationIDMiddleware([] { return std::string("generated-corr"); }),
             CausationIDMiddleware(), TenantMiddleware());
    // CreateOrder stores the order, then dispatches AddItem (a nested command).
    bus_.Register(NewGenericHandler<CreateOrder>([this](const Context& ctx, const CreateOrder& c) {
      Order order("o-" + c.customer_id);
      order.Create(c.customer_id);
      store_.SaveAggregate(ctx, order);
      create_id_ = c.GetCommandID();
      CommandResult nested =
          bus_.Dispatch(ctx, AddItem{.order_id = order.AggregateID(), .sku = "s"});
      nested.ThrowIfError();
      return NewSuccessResult(order.AggregateID(), nested.version);
    }));
    bus_.Register(NewAggregateHandler<AddItem, Order>({
        .store = &store_,
        .executor = [](const Context&, Order& o, const AddItem& c) { o.AddItem(c.sku, 1, 2.0); },
    }));
  }

  std::vector<Event> Events(const std::string& stream) { return store_.Load(Context{}, stream); }

  EventStore store_;
  CommandBus bus_;
  std::string create_id_;
};

TEST_P(MetadataFlowTest, CommandIdsReachEveryStoredEvent) {
  CreateOrder cmd{.customer_id = "c1"};
  cmd.SetCorrelationID("req-1");
  cmd.SetTenantID("tenant-1");
  CommandResult r = bus_.Dispatch(Context{}, cmd);
  ASSERT_TRUE(r.IsSuccess()) << r.ErrorMessage();
  EXPECT_EQ(r.version, 2);

  std::vector<Event> events = Events("Order-o-c1");
  ASSERT_EQ(events.size(), 2u);
  const Metadata& created = events[0].Metadata();
  EXPECT_EQ(created.correlation_id, "req-1");
  EXPECT_EQ(created.tenant_id, "tenant-1");
  EXPECT_EQ(created.causation_id, create_id_);  // no cause given: the command itself

  // The nested AddItem: same request and tenant, caused by CreateOrder.
  const Metadata& added = events[1].Metadata();
  EXPECT_EQ(added.correlation_id, "req-1");
  EXPECT_EQ(added.tenant_id, "tenant-1");
  EXPECT_EQ(added.causation_id, create_id_);
}

// Regression (issue 9, item 12): the command's metadata (SetMetadata) never reached the events
// an AggregateHandler saved for it. It is now carried into their custom metadata.
TEST_P(MetadataFlowTest, CommandMetadataReachesTheEventsOfAnAggregateHandler) {
  ASSERT_TRUE(bus_.Dispatch(Context{}, CreateOrder{.customer_id = "c9"}).IsSuccess());
  AddItem add{.order_id = "o-c9", .sku = "s2"};
  add.SetMetadata("source", "web-api");
  add.SetMetadata("$schema_version", "99");  // a reserved key is not the command's to set
  ASSERT_TRUE(bus_.Dispatch(Context{}, add).IsSuccess());
  std::vector<Event> events = Events("Order-o-c9");
  ASSERT_EQ(events.size(), 3u);
  const std::string* source = events[2].Metadata().Custom("source");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(*source, "web-api");
  EXPECT_EQ(events[2].Metadata().Custom("$schema_version"), nullptr);
  EXPECT_EQ(events[0].Metadata().Custom("source"), nullptr) << "only that command's events";
}

TEST_P(MetadataFlowTest, GeneratedCorrelationAndExplicitCausationFlow) {
  CreateOrder cmd{.customer_id = "c2"};
  cmd.SetCausationID("event-17");
  ASSERT_TRUE(bus_.Dispatch(Context{}, cmd).IsSuccess());
  std::vector<Event> events = Events("Order-o-c2");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].Metadata().correlation_id, "generated-corr");
  EXPECT_EQ(events[0].Metadata().causation_id, "event-17");
  EXPECT_EQ(events[1].Metadata().correlation_id, "generated-corr");
  EXPECT_EQ(events[1].Metadata().causation_id, create_id_);
  EXPECT_TRUE(events[0].Metadata().tenant_id.empty());
}

TEST_P(MetadataFlowTest, ExplicitAppendMetadataStillWins) {
  bus_.Register(NewGenericHandler<ShipOrder>([this](const Context& ctx, const ShipOrder& c) {
    store_.Append(ctx, "Order-" + c.order_id, {OrderCancelled{"shipped elsewhere"}}, AnyVersion,
                  Metadata{}.WithCorrelationID("explicit"));
    return NewSuccessResult(c.order_id, 1);
  }));
  ShipOrder ship;
  ship.order_id = "o-x";
  ship.SetTenantID("t");
  ASSERT_TRUE(bus_.Dispatch(Context{}, ship).IsSuccess());
  std::vector<Event> events = Events("Order-o-x");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].Metadata().correlation_id, "explicit");
  EXPECT_EQ(events[0].Metadata().tenant_id, "t");
}

INSTANTIATE_TEST_SUITE_P(Adapter, MetadataFlowTest, ::testing::Values(MetadataFlowAdapter()));

}  // namespace
}  // namespace mink::testing
