// The saga, events and commands the saga tests share: a small order fulfilment process.
//
//   OrderPlaced       -> ChargePayment
//   PaymentReceived   -> ReserveInventory
//   PaymentFailed     -> SagaFailedError(step 1)           compensation: CancelOrder
//   InventoryReserved -> ShipOrder
//   InventoryFailed   -> SagaFailedError(step 2)           compensation: RefundPayment, CancelOrder
//   OrderShipped      -> (complete)
// Events live on stream "Order-<id>"; the saga correlates by stream ID.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/cqrs/command.hpp"
#include "mink/es/event.hpp"
#include "mink/saga/saga.hpp"

namespace mink::sagatest {

struct OrderPlaced {
  static constexpr std::string_view kEventType = "OrderPlaced";
  std::string order_id;
  double amount = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderPlaced, order_id, amount)
};
struct PaymentReceived {
  static constexpr std::string_view kEventType = "PaymentReceived";
  std::string order_id;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(PaymentReceived, order_id)
};
struct PaymentFailed {
  static constexpr std::string_view kEventType = "PaymentFailed";
  std::string order_id;
  std::string reason;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(PaymentFailed, order_id, reason)
};
struct InventoryReserved {
  static constexpr std::string_view kEventType = "InventoryReserved";
  std::string order_id;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(InventoryReserved, order_id)
};
struct InventoryFailed {
  static constexpr std::string_view kEventType = "InventoryFailed";
  std::string order_id;
  std::string reason;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(InventoryFailed, order_id, reason)
};
struct OrderShipped {
  static constexpr std::string_view kEventType = "OrderShipped";
  std::string order_id;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderShipped, order_id)
};
// Makes the saga's HandleEvent throw a non-mink exception.
struct PoisonPill {
  static constexpr std::string_view kEventType = "PoisonPill";
  std::string order_id;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(PoisonPill, order_id)
};

#define MINK_SAGATEST_COMMAND(Name)                                                           \
  struct Name : CommandBase {                                                                 \
    static constexpr std::string_view kCommandType = #Name;                                   \
    std::string order_id;                                                                     \
    void Validate() const {}                                                                  \
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(Name, order_id)                                            \
    friend bool operator==(const Name& a, const Name& b) { return a.order_id == b.order_id; } \
  }
MINK_SAGATEST_COMMAND(ChargePayment);
MINK_SAGATEST_COMMAND(ReserveInventory);
MINK_SAGATEST_COMMAND(ShipOrder);
MINK_SAGATEST_COMMAND(RefundPayment);
MINK_SAGATEST_COMMAND(CancelOrder);
#undef MINK_SAGATEST_COMMAND

inline constexpr std::string_view kOrderSagaType = "OrderFulfillment";

class OrderSaga : public JsonSaga<OrderSaga> {
 public:
  explicit OrderSaga(std::string id) : JsonSaga(std::move(id), std::string(kOrderSagaType)) {}

  std::vector<std::string> HandledEvents() const override {
    return {"OrderPlaced",     "PaymentReceived", "PaymentFailed", "InventoryReserved",
            "InventoryFailed", "OrderShipped",    "PoisonPill"};
  }

  Commands HandleEvent(const Context&, const Event& event) override {
    Commands out;
    Match(
        event,
        [&](const OrderPlaced& e) {
          order_id = e.order_id;
          amount = e.amount;
          out.push_back(ChargePayment{{}, order_id});
        },
        [&](const PaymentReceived&) {
          paid = true;
          out.push_back(ReserveInventory{{}, order_id});
        },
        [&](const PaymentFailed& e) { throw SagaFailedError(1, e.reason); },
        [&](const InventoryReserved&) {
          reserved = true;
          out.push_back(ShipOrder{{}, order_id});
        },
        [&](const InventoryFailed& e) { throw SagaFailedError(2, e.reason); },
        [&](const OrderShipped&) { shipped = true; },
        [&](const PoisonPill&) { throw std::runtime_error("poison pill swallowed"); });
    return out;
  }

  Commands Compensate(const Context&, int, const std::exception_ptr& reason) override {
    if (throw_in_compensate) throw std::runtime_error("compensate exploded");
    Commands out;
    if (paid) out.push_back(RefundPayment{{}, order_id});
    out.push_back(CancelOrder{{}, order_id});
    last_reason = ErrorMessage(reason);
    return out;
  }

  bool IsComplete() const override { return shipped; }

  std::string order_id;
  double amount = 0;
  bool paid = false;
  bool reserved = false;
  bool shipped = false;
  bool throw_in_compensate = false;
  std::string last_reason;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderSaga, order_id, amount, paid, reserved, shipped,
                                 throw_in_compensate, last_reason)
};

}  // namespace mink::sagatest
