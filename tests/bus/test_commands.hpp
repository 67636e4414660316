// Commands, handlers and doubles shared by the command bus tests.
#pragma once

#include <latch>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/mink.hpp"

namespace mink::testing {

struct CreateOrder : CommandBase {
  static constexpr std::string_view kCommandType = "CreateOrder";
  std::string customer_id;
  void Validate() const {
    if (customer_id.empty()) throw ValidationError("CreateOrder", "CustomerID", "required");
  }
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(CreateOrder, customer_id)
};

struct AddItem : CommandBase {
  static constexpr std::string_view kCommandType = "AddItem";
  std::string order_id;
  std::string sku;
  int quantity = 1;
  std::string client_request_id;
  void Validate() const {}
  std::string AggregateID() const { return order_id; }
  std::string IdempotencyKey() const { return client_request_id; }
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(AddItem, order_id, sku, quantity, client_request_id)
};

// No CommandBase, no JSON: the minimum a command needs.
struct Ping {
  static constexpr std::string_view kCommandType = "Ping";
  void Validate() const {}
};

// A different C++ type that claims the same type name as Ping.
struct FakePing {
  static constexpr std::string_view kCommandType = "Ping";
  void Validate() const {}
};

// Records RecordCommand calls.
class FakeRecorder : public MetricsRecorder {
 public:
  struct Call {
    std::string type;
    bool success;
    std::exception_ptr error;
  };
  void CommandStarted(std::string_view type) override {
    std::lock_guard lock(mutex_);
    started_.emplace_back(type);
  }
  void RecordCommand(std::string_view type, std::chrono::nanoseconds, bool success,
                     const std::exception_ptr& error) override {
    std::lock_guard lock(mutex_);
    calls_.push_back({std::string(type), success, error});
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<std::string> started() const {
    std::lock_guard lock(mutex_);
    return started_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Call> calls_;
  std::vector<std::string> started_;
};

// A handler for Ping that returns success with the given aggregate id.
inline std::shared_ptr<CommandHandler> PingHandler(std::string id = "pong") {
  return NewGenericHandler<Ping>(
      [id](const Context&, const Ping&) { return NewSuccessResult(id, 1); });
}

}  // namespace mink::testing
