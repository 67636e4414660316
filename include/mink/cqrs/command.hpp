// mink/cqrs/command.hpp — commands: the write side's "please do X".
//
// A command is a plain struct with a static type name and a Validate() that throws (usually a
// mink::ValidationError) when the command is not acceptable. Deriving from CommandBase gives
// it an ID, correlation / causation / tenant IDs and string metadata, as go-mink's CommandBase:
//
//   struct CreateOrder : mink::CommandBase {
//     static constexpr std::string_view kCommandType = "CreateOrder";
//     std::string customer_id;
//     void Validate() const {
//       if (customer_id.empty()) throw mink::ValidationError("CreateOrder", "CustomerID",
//       "required");
//     }
//     NLOHMANN_DEFINE_TYPE_INTRUSIVE(CreateOrder, customer_id)
//   };
//
// Two opt-in capabilities are detected at compile time:
//   IdempotentCommand  has `std::string IdempotencyKey() const`
//   AggregateCommand   has `std::string AggregateID() const` (empty = create a new aggregate)
// A JSON form (nlohmann to_json, e.g. the NLOHMANN_DEFINE_* macros) is optional; it is what
// logging, RecoveryMiddleware and idempotency see of the command.
//
// CommandBase is a value type with no synchronisation: do not mutate a command while it is
// being dispatched.
#pragma once

#include <concepts>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "mink/cqrs/errors.hpp"

namespace mink {

template <class C>
concept Command = std::is_class_v<C> && std::copy_constructible<C> && requires(const C& c) {
  { C::kCommandType } -> std::convertible_to<std::string_view>;
  { c.Validate() } -> std::same_as<void>;
};

template <class C>
concept IdempotentCommand = Command<C> && requires(const C& c) {
  { c.IdempotencyKey() } -> std::convertible_to<std::string>;
};

template <class C>
concept AggregateCommand = Command<C> && requires(const C& c) {
  { c.AggregateID() } -> std::convertible_to<std::string>;
};

// A command with a JSON form.
template <class C>
concept JsonCommand = Command<C> && requires(const C& c, nlohmann::json& j) {
  nlohmann::to_json(j, c);
};

template <Command C>
constexpr std::string_view CommandTypeName() noexcept {
  return C::kCommandType;
}

// IDs and metadata every command may carry. The bus gives a command without an ID a random
// UUID before the middleware runs, and a command dispatched while another is being handled
// gets that command's ID as its causation ID (unless it already has one).
class CommandBase {
 public:
  using MetadataMap = std::map<std::string, std::string, std::less<>>;

  const std::string& GetCommandID() const noexcept { return command_id_; }
  void SetCommandID(std::string id) { command_id_ = std::move(id); }

  const std::string& GetCorrelationID() const noexcept { return correlation_id_; }
  void SetCorrelationID(std::string id) { correlation_id_ = std::move(id); }

  const std::string& GetCausationID() const noexcept { return causation_id_; }
  void SetCausationID(std::string id) { causation_id_ = std::move(id); }

  const std::string& GetTenantID() const noexcept { return tenant_id_; }
  void SetTenantID(std::string id) { tenant_id_ = std::move(id); }

  // The value for `key`, or "" when absent (go-mink's GetMetadata).
  std::string GetMetadata(std::string_view key) const {
    auto it = metadata_.find(key);
    return it == metadata_.end() ? std::string() : it->second;
  }
  const MetadataMap& GetMetadataMap() const noexcept { return metadata_; }
  void SetMetadata(std::string key, std::string value) {
    metadata_.insert_or_assign(std::move(key), std::move(value));
  }
  void SetMetadataMap(MetadataMap metadata) { metadata_ = std::move(metadata); }

  friend bool operator==(const CommandBase&, const CommandBase&) = default;

 private:
  std::string command_id_;
  std::string correlation_id_;
  std::string causation_id_;
  std::string tenant_id_;
  MetadataMap metadata_;
};

}  // namespace mink
