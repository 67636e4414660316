// examples/tour/domain.hpp — the shop the tour runs: an order aggregate and the command that
// places it, the order fulfilment saga with the services it drives, and a customer's personal
// data. Everything here is plain mink API; main.cpp wires it together step by step.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/core.h>

#include <mink/mink.hpp>
#include <mink/outbox/event_store_with_outbox.hpp>

namespace tour {

// ---- events of an order, all on its stream "Order-<id>" ----
struct OrderPlaced {
  static constexpr std::string_view kEventType = "OrderPlaced";
  std::string order_id, customer_id, sku;
  int quantity = 0;
  double amount = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderPlaced, order_id, customer_id, sku, quantity, amount)
};
#define TOUR_ORDER_EVENT(Name)                             \
  struct Name {                                            \
    static constexpr std::string_view kEventType = #Name;  \
    std::string order_id;                                  \
    std::string detail;                                    \
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(Name, order_id, detail) \
  }
TOUR_ORDER_EVENT(PaymentReceived);
TOUR_ORDER_EVENT(PaymentRefunded);
TOUR_ORDER_EVENT(InventoryReserved);
TOUR_ORDER_EVENT(InventoryReservationFailed);
TOUR_ORDER_EVENT(ShipmentCreated);
TOUR_ORDER_EVENT(OrderCompleted);
TOUR_ORDER_EVENT(OrderFailed);
#undef TOUR_ORDER_EVENT

// ---- a customer's personal data, on "Customer-<id>"; name and email get encrypted ----
struct CustomerRegistered {
  static constexpr std::string_view kEventType = "CustomerRegistered";
  std::string customer_id, name, email, country;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(CustomerRegistered, customer_id, name, email, country)
};

inline void RegisterEvents(mink::EventStore& store) {
  store.RegisterEvents<OrderPlaced, PaymentReceived, PaymentRefunded, InventoryReserved,
                       InventoryReservationFailed, ShipmentCreated, OrderCompleted, OrderFailed,
                       CustomerRegistered>();
}

// ---- the order aggregate: its rules in methods, its state changes in ApplyEvent ----
class Order : public mink::AggregateBase {
 public:
  explicit Order(std::string id) : AggregateBase(std::move(id), "Order") {}

  void Place(std::string customer_id, std::string sku, int quantity, double amount) {
    if (placed_) throw mink::DomainError("order already placed");
    Apply(OrderPlaced{AggregateID(), std::move(customer_id), std::move(sku), quantity, amount});
  }
  void ApplyEvent(const mink::Event& event) override {
    mink::Match(event, [&](const OrderPlaced&) { placed_ = true; });
  }

 private:
  bool placed_ = false;
};

// ---- the command a client sends ----
struct PlaceOrder : mink::CommandBase {
  static constexpr std::string_view kCommandType = "PlaceOrder";
  std::string request_id;  // the client's retry-safe request ID
  std::string order_id, customer_id, sku;
  int quantity = 0;
  double amount = 0;

  // An IdempotentCommand: every retry of one client request shares this key.
  std::string IdempotencyKey() const { return request_id; }
  // Run by ValidationMiddleware before any handler.
  void Validate() const {
    mink::MultiValidationError errors("PlaceOrder");
    if (order_id.empty()) errors.AddField("OrderID", "required");
    if (customer_id.empty()) errors.AddField("CustomerID", "required");
    if (quantity <= 0) errors.AddField("Quantity", "must be positive");
    errors.ThrowIfAny();
  }
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(PlaceOrder, request_id, order_id, customer_id, sku, quantity,
                                 amount)
};

// ---- the commands the saga sends to the services ----
#define TOUR_SAGA_COMMAND(Name)                             \
  struct Name : mink::CommandBase {                         \
    static constexpr std::string_view kCommandType = #Name; \
    std::string order_id;                                   \
    std::string detail;                                     \
    void Validate() const {}                                \
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(Name, order_id, detail)  \
  }
TOUR_SAGA_COMMAND(RequestPayment);
TOUR_SAGA_COMMAND(ReserveInventory);
TOUR_SAGA_COMMAND(CreateShipment);
TOUR_SAGA_COMMAND(CompleteOrder);
TOUR_SAGA_COMMAND(RefundPayment);
TOUR_SAGA_COMMAND(FailOrder);
#undef TOUR_SAGA_COMMAND

// ---- the saga: each event of the order becomes the next command ----
class OrderFulfillmentSaga : public mink::JsonSaga<OrderFulfillmentSaga> {
 public:
  explicit OrderFulfillmentSaga(std::string id) : JsonSaga(std::move(id), "OrderFulfillment") {}

  std::vector<std::string> HandledEvents() const override {
    return {"OrderPlaced", "PaymentReceived", "InventoryReserved", "InventoryReservationFailed",
            "ShipmentCreated"};
  }

  mink::Commands HandleEvent(const mink::Context&, const mink::Event& event) override {
    mink::Commands out;
    mink::Match(
        event,
        [&](const OrderPlaced& e) {
          order_id = e.order_id;
          sku = e.sku;
          quantity = e.quantity;
          amount = e.amount;
          out.push_back(RequestPayment{{}, order_id, fmt::format("{:.2f}", amount)});
        },
        [&](const PaymentReceived&) {
          payment_received = true;
          out.push_back(ReserveInventory{{}, order_id, sku + " x" + std::to_string(quantity)});
        },
        [&](const InventoryReserved&) {
          out.push_back(CreateShipment{{}, order_id, ""});
        },
        // Out of stock: the saga fails at step 2 and compensates.
        [&](const InventoryReservationFailed& e) { throw mink::SagaFailedError(2, e.detail); },
        [&](const ShipmentCreated&) {
          shipment_created = true;
          out.push_back(CompleteOrder{{}, order_id, ""});
        });
    return out;
  }

  // Undo what was done, in reverse order: refund the payment if it was taken, fail the order.
  mink::Commands Compensate(const mink::Context&, int, const std::exception_ptr& reason) override {
    mink::Commands out;
    if (payment_received) {
      out.push_back(RefundPayment{{}, order_id, fmt::format("{:.2f}", amount)});
    }
    out.push_back(FailOrder{{}, order_id, Why(reason)});
    return out;
  }
  // The business reason the saga gave (SagaFailedError), else the failure's message.
  static std::string Why(const std::exception_ptr& reason) {
    if (!reason) return {};
    try {
      std::rethrow_exception(reason);
    } catch (const mink::SagaFailedError& e) {
      return e.Reason();
    } catch (...) {
      return mink::ErrorMessage(reason);
    }
  }

  bool IsComplete() const override { return shipment_created; }

  std::string order_id, sku;
  int quantity = 0;
  double amount = 0;
  bool payment_received = false, shipment_created = false;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderFulfillmentSaga, order_id, sku, quantity, amount,
                                 payment_received, shipment_created)
};

// ---- the services: command handlers that record what happened as events on the order ----
// They append through the outbox store, so the events the partner cares about are scheduled
// for delivery in the same write (step 3).
inline void RegisterServices(mink::CommandBus& bus,
                             std::shared_ptr<mink::EventStoreWithOutbox> store,
                             std::shared_ptr<std::map<std::string, int>> stock) {
  auto record = [store](const mink::Context& ctx, const std::string& order_id, mink::Event e) {
    store->Append(ctx, "Order-" + order_id, {std::move(e)});
    return mink::NewSuccessResult("Order-" + order_id, 0);
  };
  bus.Register(mink::NewGenericHandler<RequestPayment>(
      [=](const mink::Context& ctx, const RequestPayment& c) {
        return record(ctx, c.order_id, PaymentReceived{c.order_id, "charged " + c.detail});
      }));
  auto stock_mutex = std::make_shared<std::mutex>();
  bus.Register(mink::NewGenericHandler<ReserveInventory>(
      [=](const mink::Context& ctx, const ReserveInventory& c) {
        std::lock_guard lock(*stock_mutex);
        const auto x = c.detail.find(" x");
        const std::string sku = c.detail.substr(0, x);
        const int wanted = std::stoi(c.detail.substr(x + 2));
        int& left = (*stock)[sku];
        if (wanted > left) {
          // A business outcome, not a technical failure: recorded as an event.
          const std::string why = "only " + std::to_string(left) + " of " + sku + " left";
          return record(ctx, c.order_id, InventoryReservationFailed{c.order_id, why});
        }
        left -= wanted;
        return record(ctx, c.order_id, InventoryReserved{c.order_id, c.detail});
      }));
  bus.Register(mink::NewGenericHandler<CreateShipment>(
      [=](const mink::Context& ctx, const CreateShipment& c) {
        return record(ctx, c.order_id, ShipmentCreated{c.order_id, "parcel-" + c.order_id});
      }));
  bus.Register(
      mink::NewGenericHandler<CompleteOrder>([=](const mink::Context& ctx, const CompleteOrder& c) {
        return record(ctx, c.order_id, OrderCompleted{c.order_id, ""});
      }));
  bus.Register(
      mink::NewGenericHandler<RefundPayment>([=](const mink::Context& ctx, const RefundPayment& c) {
        return record(ctx, c.order_id, PaymentRefunded{c.order_id, "refunded " + c.detail});
      }));
  bus.Register(
      mink::NewGenericHandler<FailOrder>([=](const mink::Context& ctx, const FailOrder& c) {
        return record(ctx, c.order_id, OrderFailed{c.order_id, c.detail});
      }));
}

}  // namespace tour
