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

TEST_F(AggregateHandlerTest, DomainErrorPropagatesAndNothingIsSaved) {
  // AddItem on an order that was never created: Order::AddItem throws DomainError.
  EXPECT_THROW(AddHandler()->Handle(ctx_, AnyCommand(AddItem{.order_id = "nope", .sku = "s"})),
               DomainError);
  EXPECT_EQ(store_.GetLastPosition(ctx_), 0u);
}

// Regression (issue 9, item 12): a GenericHandler's exception was thrown from Dispatch while an
// AggregateHandler turned the same failure into an error result. One rule now: an exception
// from any handler kind propagates out of Dispatch as thrown (RecoveryMiddleware, retry and
// idempotency see it the same way).
TEST_F(AggregateHandlerTest, EveryHandlerKindReportsAThrownFailureTheSameWay) {
  CommandBus bus;
  bus.Register(AddHandler());  // the executor throws DomainError: the order does not exist
  bus.Register(NewGenericHandler<Ping>([](const Context&, const Ping&) -> CommandResult {
    throw DomainError("order does not exist");
  }));
  bus.RegisterFunc("OpenOrder", [](const Context&, const AnyCommand&) -> CommandResult {
    throw DomainError("order does not exist");
  });
  EXPECT_THROW(bus.Dispatch(ctx_, AddItem{.order_id = "nope", .sku = "s"}), DomainError);
  EXPECT_THROW(bus.Dispatch(ctx_, Ping{}), DomainError);
  EXPECT_THROW(bus.Dispatch(ctx_, AnyCommand(OpenOrder{})), DomainError);
  bus.Use(RecoveryMiddleware());  // a mink::Error passes RecoveryMiddleware unchanged
  EXPECT_THROW(bus.Dispatch(ctx_, AddItem{.order_id = "nope", .sku = "s"}), DomainError);
}

// go-mink's page shape: a factory that needs no ID (the handler assigns it).
TEST_F(AggregateHandlerTest, FactoryWithoutIdForm) {
  auto open = NewAggregateHandler<OpenOrder, Order>(
      store_, [](const OpenOrder& c) { return c.order_id; },
      [] { return std::make_unique<Order>(""); },
      [](const Context&, Order& o, const OpenOrder& c) {
        if (o.AggregateID().empty()) o.SetID("assigned-" + c.customer);
        o.Create(c.customer);
      });
  CommandResult created = open->Handle(ctx_, AnyCommand(OpenOrder{.customer = "c7"}));
  ASSERT_TRUE(created.IsSuccess()) << created.ErrorMessage();
  EXPECT_EQ(created.aggregate_id, "assigned-c7");
  auto add = NewAggregateHandler<AddItem, Order>(
      store_, [](const AddItem& c) { return c.order_id; },
      [] { return std::make_unique<Order>(""); },
      [](const Context&, Order& o, const AddItem& c) { o.AddItem(c.sku, 1, 1.0); });
  CommandResult added =
      add->Handle(ctx_, AnyCommand(AddItem{.order_id = "assigned-c7", .sku = "s"}));
  ASSERT_TRUE(added.IsSuccess()) << added.ErrorMessage();
  EXPECT_EQ(added.version, 2) << "the factory's aggregate got the command's ID and was loaded";
}

TEST_F(AggregateHandlerTest, ConcurrentWriteIsAThrownConcurrencyConflict) {
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
  EXPECT_THROW(racing->Handle(ctx_, AnyCommand(AddItem{.order_id = "o3", .sku = "s"})),
               ConcurrencyError);
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
