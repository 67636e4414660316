// Handlers: function handlers, GenericHandler and AggregateHandler (go-mink's handler rules).
#include <gtest/gtest.h>

#include "bus/test_commands.hpp"
#include "core/test_events.hpp"
#include "mink/memory/adapter.hpp"

namespace mink::testing {
namespace {

TEST(CommandHandlerFunc, RoutesByTypeAndCallsTheFunction) {
  auto handler = NewCommandHandlerFunc("Ping", [](const Context&, const AnyCommand& cmd) {
    return NewSuccessResult(std::string(cmd.CommandType()), 7);
  });
  EXPECT_EQ(handler->CommandType(), "Ping");
  CommandResult r = handler->Handle(Context{}, AnyCommand(Ping{}));
  EXPECT_EQ(r.aggregate_id, "Ping");
  EXPECT_EQ(r.version, 7);
  EXPECT_THROW(
      NewCommandHandlerFunc("", [](const Context&, const AnyCommand&) { return CommandResult{}; }),
      Error);
}

TEST(GenericHandler, GetsTheTypedCommand) {
  auto handler = NewGenericHandler<CreateOrder>(
      [](const Context&, const CreateOrder& cmd) { return NewSuccessResult(cmd.customer_id, 1); });
  EXPECT_EQ(handler->CommandType(), "CreateOrder");
  EXPECT_EQ(handler->Handle(Context{}, AnyCommand(CreateOrder{.customer_id = "c9"})).aggregate_id,
            "c9");
}

TEST(GenericHandler, AnotherTypeUnderTheSameNameIsAnErrorResult) {
  bool called = false;
  auto handler = NewGenericHandler<Ping>([&](const Context&, const Ping&) {
    called = true;
    return NewSuccessResult("", 0);
  });
  CommandResult r = handler->Handle(Context{}, AnyCommand(FakePing{}));
  EXPECT_FALSE(called);
  EXPECT_TRUE(r.HasError(errc::kInvalidArgument));
}

class AggregateHandlerTest : public ::testing::Test {
 protected:
  AggregateHandlerTest() : store_(std::make_shared<memory::Adapter>()) {
    store_.RegisterEvents<OrderCreated, ItemAdded, OrderCancelled>();
  }

  struct OpenOrder {
    static constexpr std::string_view kCommandType = "OpenOrder";
    std::string order_id;  // empty: a new order
    std::string customer;
    void Validate() const {}
    std::string AggregateID() const { return order_id; }
  };

  std::shared_ptr<AggregateHandler<OpenOrder, Order>> OpenHandler(
      std::function<std::string()> new_id) {
    return NewAggregateHandler<OpenOrder, Order>({
        .store = &store_,
        .executor = [](const Context&, Order& o, const OpenOrder& c) { o.Create(c.customer); },
        .new_id = std::move(new_id),
    });
  }
  std::shared_ptr<AggregateHandler<AddItem, Order>> AddHandler() {
    return NewAggregateHandler<AddItem, Order>(
        store_, [](const AddItem& c) { return c.order_id; },
        [](std::string id) { return std::make_unique<Order>(std::move(id)); },
        [](const Context&, Order& o, const AddItem& c) { o.AddItem(c.sku, c.quantity, 1.0); });
  }

  Context ctx_;
  EventStore store_;
};

TEST_F(AggregateHandlerTest, NewAggregateGetsGeneratedIdIsNotLoadedAndIsSaved) {
  auto handler = OpenHandler([] { return "order-1"; });
  CommandResult r = handler->Handle(ctx_, AnyCommand(OpenOrder{.customer = "c1"}));
  ASSERT_TRUE(r.IsSuccess()) << r.ErrorMessage();
  EXPECT_EQ(r.aggregate_id, "order-1");
  EXPECT_EQ(r.version, 1);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(r.events[0].Is<OrderCreated>());
  EXPECT_EQ(store_.Load(ctx_, "Order-order-1").size(), 1u);
}

TEST_F(AggregateHandlerTest, MissingIdWithoutGeneratorIsAnErrorResult) {
  auto handler = OpenHandler(nullptr);
  CommandResult r = handler->Handle(ctx_, AnyCommand(OpenOrder{.customer = "c1"}));
  EXPECT_TRUE(r.HasError(errc::kInvalidArgument));
  EXPECT_EQ(store_.GetLastPosition(ctx_), 0u);
}

TEST_F(AggregateHandlerTest, ExistingAggregateIsLoadedThenSavedAtTheNextVersion) {
  ASSERT_TRUE(OpenHandler([] { return "o2"; })->Handle(ctx_, AnyCommand(OpenOrder{})).IsSuccess());
  CommandResult r = AddHandler()->Handle(ctx_, AnyCommand(AddItem{.order_id = "o2", .sku = "s"}));
  ASSERT_TRUE(r.IsSuccess()) << r.ErrorMessage();
  EXPECT_EQ(r.version, 2);
  Order reloaded("o2");
  store_.LoadAggregate(ctx_, reloaded);
  EXPECT_EQ(reloaded.items(), 1);
}

TEST_F(AggregateHandlerTest, DomainErrorIsAnErrorResultAndNothingIsSaved) {
  // AddItem on an order that was never created: Order::AddItem throws DomainError.
  CommandResult r = AddHandler()->Handle(ctx_, AnyCommand(AddItem{.order_id = "nope", .sku = "s"}));
  EXPECT_TRUE(r.HasError(errc::kDomain));
  EXPECT_EQ(store_.GetLastPosition(ctx_), 0u);
}

TEST_F(AggregateHandlerTest, ConcurrentWriteIsAConcurrencyConflictResult) {
  ASSERT_TRUE(OpenHandler([] { return "o3"; })->Handle(ctx_, AnyCommand(OpenOrder{})).IsSuccess());
  // The executor sneaks another write in between load and save.
  auto racing = NewAggregateHandler<AddItem, Order>({
      .store = &store_,
      .executor =
          [&](const Context& ctx, Order& o, const AddItem& c) {
            Order other("o3");
            store_.LoadAggregate(ctx, other);
            other.Cancel("raced");
            store_.SaveAggregate(ctx, other);
            o.AddItem(c.sku, 1, 1.0);
          },
  });
  CommandResult r = racing->Handle(ctx_, AnyCommand(AddItem{.order_id = "o3", .sku = "s"}));
  EXPECT_TRUE(r.HasError(errc::kConcurrencyConflict));
  EXPECT_THROW(r.ThrowIfError(), ConcurrencyError);
  EXPECT_EQ(store_.Load(ctx_, "Order-o3").size(), 2u);  // created + cancelled, not the item
}

TEST_F(AggregateHandlerTest, ConfigurationIsChecked) {
  EXPECT_THROW((NewAggregateHandler<AddItem, Order>({.store = &store_})), Error);
  EXPECT_THROW((NewAggregateHandler<Ping, Order>(
                   {.store = &store_, .executor = [](const Context&, Order&, const Ping&) {}})),
               Error);  // Ping has no AggregateID() and no aggregate_id was given
}

}  // namespace
}  // namespace mink::testing
