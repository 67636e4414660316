// examples/cqrs — the CreateOrder flow through a CommandBus with every built-in middleware, on
// the in-memory store: commands, a generic and an aggregate handler, validation, retries on
// concurrency conflicts, metrics, and the correlation / causation / tenant IDs that end up in
// each stored event's metadata. Both middleware forms: the concerns of every command as runtime
// middleware (bus.Use), each handler's own policy as a typed, compile-time mink::Pipeline. See
// docs/command-bus.md and docs/middleware.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mink/memory/adapter.hpp>
#include <mink/memory/idempotency_store.hpp>
#include <mink/mink.hpp>

using namespace std::chrono_literals;

// ---- events ----
struct OrderCreated {
  static constexpr std::string_view kEventType = "OrderCreated";
  std::string order_id;
  std::string customer_id;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderCreated, order_id, customer_id)
};

struct ItemAdded {
  static constexpr std::string_view kEventType = "ItemAdded";
  std::string sku;
  int quantity = 0;
  double price = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(ItemAdded, sku, quantity, price)
};

// ---- the aggregate ----
class Order : public mink::AggregateBase {
 public:
  explicit Order(std::string id) : AggregateBase(std::move(id), "Order") {}

  void Create(std::string customer_id) {
    if (created_) throw mink::DomainError("order already created");
    Apply(OrderCreated{AggregateID(), std::move(customer_id)});
  }
  void AddItem(std::string sku, int quantity, double price) {
    if (!created_) throw mink::DomainError("order does not exist");
    Apply(ItemAdded{std::move(sku), quantity, price});
  }
  void ApplyEvent(const mink::Event& event) override {
    mink::Match(
        event, [&](const OrderCreated&) { created_ = true; },
        [&](const ItemAdded& e) { total_ += e.quantity * e.price; });
  }
  double Total() const { return total_; }

 private:
  bool created_ = false;
  double total_ = 0;
};

// ---- commands ----
struct Item {
  std::string sku;
  int quantity = 0;
  double price = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Item, sku, quantity, price)
};

struct CreateOrder : mink::CommandBase {
  static constexpr std::string_view kCommandType = "CreateOrder";
  std::string customer_id;
  std::vector<Item> items;
  std::string request_id;  // the client's retry-safe request ID
  // An IdempotentCommand: retries of one client request share this key.
  std::string IdempotencyKey() const { return request_id; }
  void Validate() const {
    mink::MultiValidationError errors("CreateOrder");
    if (customer_id.empty()) errors.AddField("CustomerID", "required");
    if (items.empty()) errors.AddField("Items", "at least one item");
    errors.ThrowIfAny();
  }
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(CreateOrder, customer_id, items, request_id)
};

struct AddItem : mink::CommandBase {
  static constexpr std::string_view kCommandType = "AddItem";
  std::string order_id;
  Item item;
  void Validate() const {
    if (item.quantity <= 0) throw mink::ValidationError("AddItem", "Quantity", "must be positive");
  }
  std::string AggregateID() const { return order_id; }  // an AggregateCommand
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(AddItem, order_id, item)
};

// A custom typed stage: records the aggregate each AggregateCommand targets. It calls
// cmd.AggregateID() directly, which only compiles because OnlyFor<IsAggregateCommand> never
// instantiates it for other command types.
struct TouchedAggregates {
  std::vector<std::string>* touched;
  template <mink::AggregateCommand C, class N>
  mink::CommandResult operator()(const mink::Context& ctx, const C& cmd, N&& next) const {
    touched->push_back(cmd.AggregateID());
    return next(ctx, cmd);
  }
};

// Counts commands by outcome (a stand-in for mink::prometheus::CommandMetrics).
class CountingMetrics : public mink::MetricsRecorder {
 public:
  void RecordCommand(std::string_view, std::chrono::nanoseconds, bool success,
                     const std::exception_ptr&) override {
    ++(success ? succeeded : failed);
  }
  std::atomic<int> succeeded = 0;
  std::atomic<int> failed = 0;
};

int main() {
  auto adapter = std::make_shared<mink::memory::Adapter>();
  mink::EventStore store(adapter);
  store.RegisterEvents<OrderCreated, ItemAdded>();

  auto logger = spdlog::stdout_logger_st("cqrs");
  logger->set_pattern("[%l] %v");
  auto metrics = std::make_shared<CountingMetrics>();
  auto idempotency_store = std::make_shared<mink::memory::IdempotencyStore>();
  mink::IdempotencyConfig idempotency = mink::DefaultIdempotencyConfig(idempotency_store);

  // ---- runtime middleware, for every command: first registered is outermost ----
  mink::CommandBus bus;
  bus.Use(mink::RecoveryMiddleware(), mink::LoggingMiddleware(logger),
          mink::MetricsMiddleware(metrics), mink::ValidationMiddleware(),
          mink::CorrelationIDMiddleware(), mink::CausationIDMiddleware(),
          mink::TenantMiddleware(nullptr, /*required=*/true));

  // ---- typed pipelines, per handler: they run inside the runtime middleware ----
  // CreateOrder is an IdempotentCommand, so OnlyFor applies IdempotencyMiddleware to it (after
  // Tenant: keys are per tenant); AddItem has no IdempotencyKey() and would skip it — chosen at
  // compile time, no runtime check (adding the same item twice is legitimate).
  std::vector<std::string> touched;
  // 3 attempts, 10ms apart at first; by default only transient failures (conflicts, lost
  // connections, deadlines) are retried.
  auto retry_conflicts = mink::RetryMiddleware(3, 10ms);
  mink::Pipeline per_handler{
      mink::OnlyFor<mink::IsIdempotentCommand>(mink::IdempotencyMiddleware(idempotency)),
      mink::OnlyFor<mink::IsAggregateCommand>(TouchedAggregates{&touched}),
      mink::TimeoutMiddleware(5s), retry_conflicts};

  // CreateOrder: a handler function that creates the order, then adds its items by dispatching
  // AddItem commands (nested dispatches: each records CreateOrder as its causation).
  bus.Register<CreateOrder>(per_handler, [&](const mink::Context& ctx, const CreateOrder& cmd) {
    Order order(mink::NewUUID());
    order.Create(cmd.customer_id);
    store.SaveAggregate(ctx, order);
    int64_t version = order.Version();
    for (const Item& item : cmd.items) {
      AddItem add;
      add.order_id = order.AggregateID();
      add.item = item;
      mink::CommandResult added = bus.Dispatch(ctx, add);
      added.ThrowIfError();
      version = added.version;
    }
    return mink::NewSuccessResult(order.AggregateID(), version);
  });

  // AddItem: an aggregate handler (load, run, save with optimistic concurrency) behind the same
  // typed pipeline: the aggregate handler is itself a typed handler of AddItem.
  auto add_item = mink::NewAggregateHandler<AddItem, Order>({
      .store = &store,
      .executor =
          [](const mink::Context&, Order& order, const AddItem& cmd) {
            order.AddItem(cmd.item.sku, cmd.item.quantity, cmd.item.price);
          },
  });
  bus.Register<AddItem>(per_handler, [add_item](const mink::Context& ctx, const AddItem& cmd) {
    return add_item->HandleTyped(ctx, cmd);
  });

  mink::Context ctx;

  // 1. A valid order from tenant "acme", correlated with an incoming request ID.
  CreateOrder create;
  create.customer_id = "cust-123";
  create.items = {{"sku-1", 2, 9.5}, {"sku-2", 1, 20}};
  create.request_id = "req-42";
  create.SetCorrelationID("req-42");
  create.SetTenantID("acme");
  mink::CommandResult created = bus.Dispatch(ctx, create);
  std::printf("created order %s at version %lld\n", created.aggregate_id.c_str(),
              static_cast<long long>(created.version));

  // 2. The events carry the request's IDs without the handlers copying them.
  for (const mink::Event& e : store.Load(ctx, "Order-" + created.aggregate_id)) {
    std::printf("  v%lld %-12s correlation=%s tenant=%s causation=%s\n",
                static_cast<long long>(e.Version()), e.Type().c_str(),
                e.Metadata().correlation_id.c_str(), e.Metadata().tenant_id.c_str(),
                e.Metadata().causation_id.c_str());
  }

  // 3. An invalid command never reaches its handler.
  CreateOrder invalid;
  invalid.SetTenantID("acme");
  try {
    bus.Dispatch(ctx, invalid);
  } catch (const mink::MultiValidationError& e) {
    std::printf("rejected: %zu validation errors (%s)\n", e.Errors().size(), e.what());
  }

  // 4. A command without a tenant is refused by TenantMiddleware(required).
  try {
    bus.Dispatch(ctx, CreateOrder{.customer_id = "c", .items = {{"s", 1, 1}}});
  } catch (const mink::ValidationError& e) {
    std::printf("rejected: %s\n", e.what());
  }

  // 5. A domain failure thrown by a handler leaves Dispatch as thrown, whatever the handler kind
  //    (an AggregateHandler here); a DomainError is not retried.
  AddItem orphan;
  orphan.order_id = "no-such-order";
  orphan.item = {"sku-x", 1, 1};
  orphan.SetTenantID("acme");
  try {
    bus.Dispatch(ctx, orphan);
  } catch (const mink::DomainError& e) {
    std::printf("orphan item: %s\n", e.what());
  }

  // 6. The client timed out and retries request req-42: the first result comes back, the
  //    handler does not run again, no second order exists.
  CreateOrder retry = create;
  retry.SetCommandID("");  // a fresh dispatch of the same request
  mink::CommandResult replayed = bus.Dispatch(ctx, retry);
  std::printf("retried req-42: order %s version %lld (%s)\n", replayed.aggregate_id.c_str(),
              static_cast<long long>(replayed.version),
              replayed.aggregate_id == created.aggregate_id ? "same order, handler ran once"
                                                            : "DUPLICATE ORDER");
  const std::vector<mink::StoredEvent> all = store.LoadEventsFromPosition(ctx, 0);
  const auto orders = std::count_if(all.begin(), all.end(), [](const mink::StoredEvent& e) {
    return e.type == OrderCreated::kEventType;
  });
  std::printf("orders created: %ld\n", static_cast<long>(orders));

  Order reloaded(created.aggregate_id);
  store.LoadAggregate(ctx, reloaded);
  std::printf("order total %.2f; commands ok=%d failed=%d\n", reloaded.Total(),
              metrics->succeeded.load(), metrics->failed.load());
  // The typed OnlyFor<IsAggregateCommand> stage saw the two AddItem of the order and the
  // orphan, and no CreateOrder.
  std::printf("aggregate commands seen by the typed stage: %zu\n", touched.size());
  bus.Close();
  return created.IsSuccess() && reloaded.Total() == 39.0 &&
                 replayed.aggregate_id == created.aggregate_id
             ? 0
             : 1;
}
