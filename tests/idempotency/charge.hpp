// The command of the PostgreSQL idempotency tests, shared by the test binary and
// mink_idempotency_child (the other process), so both compute the same keys.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mink/cqrs/command.hpp"

namespace mink::testing {

struct Charge : CommandBase {
  static constexpr std::string_view kCommandType = "Charge";
  std::string request_id;
  int cents = 0;
  void Validate() const {}
  std::string IdempotencyKey() const { return request_id; }
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Charge, request_id, cents)
};

}  // namespace mink::testing
