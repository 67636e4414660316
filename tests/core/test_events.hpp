// Event types and an aggregate shared by the core tests.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "mink/error.hpp"
#include "mink/es/aggregate.hpp"
#include "mink/es/event.hpp"

namespace mink::testing {

struct OrderCreated {
  static constexpr std::string_view kEventType = "OrderCreated";
  std::string order_id;
  std::string customer_id;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderCreated, order_id, customer_id)
  friend bool operator==(const OrderCreated&, const OrderCreated&) = default;
};

struct ItemAdded {
  static constexpr std::string_view kEventType = "ItemAdded";
  std::string sku;
  int quantity = 0;
  double price = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(ItemAdded, sku, quantity, price)
};

struct OrderCancelled {
  static constexpr std::string_view kEventType = "OrderCancelled";
  std::string reason;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderCancelled, reason)
};

class Order : public AggregateBase {
 public:
  explicit Order(std::string id) : AggregateBase(std::move(id), "Order") {}

  void Create(std::string customer) {
    if (created_) throw DomainError("order already created");
    Apply(OrderCreated{AggregateID(), std::move(customer)});
  }
  void AddItem(std::string sku, int quantity, double price) {
    if (!created_) throw DomainError("order does not exist");
    Apply(ItemAdded{std::move(sku), quantity, price});
  }
  void Cancel(std::string reason) { Apply(OrderCancelled{std::move(reason)}); }

  void ApplyEvent(const Event& event) override {
    ++applied_;
    Match(
        event, [&](const OrderCreated& e) { customer_ = e.customer_id, created_ = true; },
        [&](const ItemAdded& e) {
          if (e.quantity <= 0) throw DomainError("quantity must be positive");
          items_ += e.quantity;
        },
        [&](const OrderCancelled&) { cancelled_ = true; });
  }

  const std::string& customer() const { return customer_; }
  int items() const { return items_; }
  bool cancelled() const { return cancelled_; }
  int applied() const { return applied_; }

 private:
  std::string customer_;
  bool created_ = false;
  bool cancelled_ = false;
  int items_ = 0;
  int applied_ = 0;
};

}  // namespace mink::testing
