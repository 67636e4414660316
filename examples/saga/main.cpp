// examples/saga — the seed's OrderFulfillmentSaga: payment, inventory and shipment are command
// handlers that append events; the saga turns each event into the next command, and when the
// inventory reservation fails it refunds the payment and fails the order.
//
// `example_saga` runs on the in-memory adapter; `example_saga postgresql://user:pw@host/db`
// runs the same program on PostgreSQL (schema "mink_saga_example", recreated on each run; the
// sagas and the manager's checkpoint live in the same schema).
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <mink/memory/adapter.hpp>
#include <mink/memory/idempotency_store.hpp>
#include <mink/memory/saga_store.hpp>
#include <mink/mink.hpp>
#ifdef MINK_EXAMPLE_WITH_POSTGRES
#include <mink/postgres/adapter.hpp>
#include <mink/postgres/saga_store.hpp>
#include <pqxx/pqxx>
#endif

// ---- events (all on the order's stream "Order-<id>", so the saga correlates by stream) ----
struct OrderCreated {
  static constexpr std::string_view kEventType = "OrderCreated";
  std::string order_id, customer_id, sku;
  int quantity = 0;
  double amount = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderCreated, order_id, customer_id, sku, quantity, amount)
};
#define EXAMPLE_EVENT(Name)                                \
  struct Name {                                            \
    static constexpr std::string_view kEventType = #Name;  \
    std::string order_id;                                  \
    std::string detail;                                    \
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(Name, order_id, detail) \
  }
EXAMPLE_EVENT(PaymentReceived);
EXAMPLE_EVENT(PaymentRefunded);
EXAMPLE_EVENT(InventoryReserved);
EXAMPLE_EVENT(InventoryReservationFailed);
EXAMPLE_EVENT(ShipmentCreated);
EXAMPLE_EVENT(OrderCompleted);
EXAMPLE_EVENT(OrderFailed);
#undef EXAMPLE_EVENT

// ---- commands ----
#define EXAMPLE_COMMAND(Name)                               \
  struct Name : mink::CommandBase {                         \
    static constexpr std::string_view kCommandType = #Name; \
    std::string order_id;                                   \
    std::string detail;                                     \
    void Validate() const {}                                \
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(Name, order_id, detail)  \
  }
EXAMPLE_COMMAND(RequestPayment);
EXAMPLE_COMMAND(ReserveInventory);
EXAMPLE_COMMAND(CreateShipment);
EXAMPLE_COMMAND(CompleteOrder);
EXAMPLE_COMMAND(RefundPayment);
EXAMPLE_COMMAND(FailOrder);
#undef EXAMPLE_COMMAND

// ---- the saga ----
class OrderFulfillmentSaga : public mink::JsonSaga<OrderFulfillmentSaga> {
 public:
  explicit OrderFulfillmentSaga(std::string id) : JsonSaga(std::move(id), "OrderFulfillment") {}

  std::vector<std::string> HandledEvents() const override {
    return {"OrderCreated", "PaymentReceived", "InventoryReserved", "InventoryReservationFailed",
            "ShipmentCreated"};
  }

  mink::Commands HandleEvent(const mink::Context&, const mink::Event& event) override {
    mink::Commands out;
    mink::Match(
        event,
        [&](const OrderCreated& e) {
          order_id = e.order_id;
          sku = e.sku;
          quantity = e.quantity;
          amount = e.amount;
          out.push_back(RequestPayment{{}, order_id, std::to_string(amount)});
        },
        [&](const PaymentReceived&) {
          payment_received = true;
          out.push_back(ReserveInventory{{}, order_id, sku + " x" + std::to_string(quantity)});
        },
        [&](const InventoryReserved&) {
          inventory_reserved = true;
          out.push_back(CreateShipment{{}, order_id, ""});
        },
        [&](const InventoryReservationFailed& e) { throw mink::SagaFailedError(2, e.detail); },
        [&](const ShipmentCreated&) {
          shipment_created = true;
          out.push_back(CompleteOrder{{}, order_id, ""});
        });
    return out;
  }

  // Undo in reverse order: the payment if it was taken, then fail the order.
  mink::Commands Compensate(const mink::Context&, int, const std::exception_ptr& reason) override {
    mink::Commands out;
    if (payment_received) out.push_back(RefundPayment{{}, order_id, std::to_string(amount)});
    out.push_back(FailOrder{{}, order_id, mink::ErrorMessage(reason)});
    return out;
  }

  bool IsComplete() const override { return shipment_created; }

  std::string order_id, sku;
  int quantity = 0;
  double amount = 0;
  bool payment_received = false, inventory_reserved = false, shipment_created = false;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderFulfillmentSaga, order_id, sku, quantity, amount,
                                 payment_received, inventory_reserved, shipment_created)
};

// ---- the services: command handlers that append events ----
void RegisterServices(mink::CommandBus& bus, std::shared_ptr<mink::EventStore> store,
                      std::shared_ptr<std::map<std::string, int>> stock) {
  auto appender = [store](std::string order_id, mink::Event e, const mink::Context& ctx) {
    store->Append(ctx, "Order-" + order_id, {std::move(e)});
    return mink::NewSuccessResult(order_id, 0);
  };
  bus.Register(mink::NewGenericHandler<RequestPayment>(
      [=](const mink::Context& ctx, const RequestPayment& c) {
        return appender(c.order_id, PaymentReceived{c.order_id, "charged " + c.detail}, ctx);
      }));
  auto stock_mutex = std::make_shared<std::mutex>();
  bus.Register(mink::NewGenericHandler<ReserveInventory>(
      [=](const mink::Context& ctx, const ReserveInventory& c) {
        std::lock_guard lock(*stock_mutex);
        const auto x = c.detail.find(" x");
        const std::string sku = c.detail.substr(0, x);
        const int qty = std::stoi(c.detail.substr(x + 2));
        int& left = (*stock)[sku];
        if (qty > left) {
          // A business outcome, not a technical failure: recorded as an event.
          return appender(c.order_id,
                          InventoryReservationFailed{
                              c.order_id, "only " + std::to_string(left) + " of " + sku + " left"},
                          ctx);
        }
        left -= qty;
        return appender(c.order_id, InventoryReserved{c.order_id, c.detail}, ctx);
      }));
  bus.Register(mink::NewGenericHandler<CreateShipment>(
      [=](const mink::Context& ctx, const CreateShipment& c) {
        return appender(c.order_id, ShipmentCreated{c.order_id, "parcel-" + c.order_id}, ctx);
      }));
  bus.Register(
      mink::NewGenericHandler<CompleteOrder>([=](const mink::Context& ctx, const CompleteOrder& c) {
        return appender(c.order_id, OrderCompleted{c.order_id, ""}, ctx);
      }));
  bus.Register(
      mink::NewGenericHandler<RefundPayment>([=](const mink::Context& ctx, const RefundPayment& c) {
        return appender(c.order_id, PaymentRefunded{c.order_id, "refunded " + c.detail}, ctx);
      }));
  bus.Register(
      mink::NewGenericHandler<FailOrder>([=](const mink::Context& ctx, const FailOrder& c) {
        return appender(c.order_id, OrderFailed{c.order_id, c.detail}, ctx);
      }));
}

struct Stores {
  std::shared_ptr<mink::EventStoreAdapter> events;
  std::shared_ptr<mink::SagaStore> sagas;
};

Stores MakeStores(int argc, char** argv) {
#ifdef MINK_EXAMPLE_WITH_POSTGRES
  if (argc > 1) {
    {
      pqxx::connection conn(mink::postgres::BuildConnInfo(argv[1], std::chrono::seconds(5)));
      pqxx::nontransaction tx(conn);
      tx.exec("DROP SCHEMA IF EXISTS mink_saga_example CASCADE");
    }
    auto pg = std::make_shared<mink::postgres::Adapter>(
        mink::postgres::Options{.url = argv[1], .schema = "mink_saga_example"});
    pg->Initialize(mink::Context{});
    auto sagas = std::make_shared<mink::postgres::SagaStore>(
        mink::postgres::SagaStoreOptions{.url = argv[1], .schema = "mink_saga_example"});
    sagas->Initialize(mink::Context{});
    std::printf("using PostgreSQL (schema %s)\n", pg->Schema().c_str());
    return {pg, sagas};
  }
#else
  if (argc > 1) std::fprintf(stderr, "built without PostgreSQL support; using memory\n");
  (void)argv;
#endif
  return {std::make_shared<mink::memory::Adapter>(), std::make_shared<mink::memory::SagaStore>()};
}

// Waits (up to 30 s) until the saga of `order` reaches a terminal status.
mink::SagaState AwaitSaga(mink::SagaManager& manager, const std::string& order) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    try {
      mink::SagaState s = manager.GetSaga(mink::Context{}, "OrderFulfillment-Order-" + order);
      if (mink::IsTerminal(s.status) || std::chrono::steady_clock::now() > deadline) return s;
    } catch (const mink::SagaNotFoundError&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int main(int argc, char** argv) try {
  Stores stores = MakeStores(argc, argv);
  auto events = std::make_shared<mink::EventStore>(stores.events);
  events
      ->RegisterEvents<OrderCreated, PaymentReceived, PaymentRefunded, InventoryReserved,
                       InventoryReservationFailed, ShipmentCreated, OrderCompleted, OrderFailed>();
  auto bus = std::make_shared<mink::CommandBus>();
  // Saga commands carry deterministic IDs; keyed by them, a command re-dispatched after a
  // crash is answered from the idempotency store instead of charging twice.
  mink::IdempotencyConfig idempotency =
      mink::DefaultIdempotencyConfig(std::make_shared<mink::memory::IdempotencyStore>());
  idempotency.key_func = mink::SagaIdempotencyKey;
  bus->Use(mink::IdempotencyMiddleware(idempotency));
  auto stock =
      std::make_shared<std::map<std::string, int>>(std::map<std::string, int>{{"widget", 5}});
  RegisterServices(*bus, events, stock);

  mink::SagaManager manager(stores.sagas, events, bus,
                            {.retry_attempts = 3, .retry_delay = std::chrono::milliseconds(10)});
  manager.RegisterSimple(
      "OrderFulfillment",
      [](const std::string& id) { return std::make_unique<OrderFulfillmentSaga>(id); },
      {"OrderCreated"});
  auto running = manager.StartAsync(mink::Context{});

  const mink::Context ctx;
  events->Append(ctx, "Order-1", {OrderCreated{"1", "cust-7", "widget", 2, 40.0}});
  events->Append(ctx, "Order-2", {OrderCreated{"2", "cust-8", "widget", 10, 200.0}});

  for (const std::string order : {"1", "2"}) {
    mink::SagaState s = AwaitSaga(manager, order);
    std::printf("order-%s saga: %s after %d step(s)%s%s\n", order.c_str(),
                std::string(mink::ToString(s.status)).c_str(), s.current_step,
                s.failure_reason.empty() ? "" : " — ", s.failure_reason.c_str());
  }
  manager.Stop();
  running.get();

  for (const std::string order : {"1", "2"}) {
    std::printf("Order-%s:", order.c_str());
    for (const mink::Event& e : events->Load(ctx, "Order-" + order)) {
      std::printf(" %s", e.Type().c_str());
    }
    std::printf("\n");
  }
  std::printf("widgets left: %d\n", (*stock)["widget"]);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "example_saga failed: %s\n", e.what());
  return 1;
}
