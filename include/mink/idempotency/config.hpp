// mink/idempotency/config.hpp — IdempotencyConfig: how IdempotencyMiddleware behaves.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/context.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/idempotency/errors.hpp"
#include "mink/idempotency/store.hpp"

namespace mink {

struct IdempotencyConfig {
  std::shared_ptr<IdempotencyStore> store;  // required
  // How long a completed result is replayed.
  std::chrono::system_clock::duration ttl = std::chrono::hours(24);
  // How long a reservation blocks duplicates; longer than the slowest handler.
  std::chrono::system_clock::duration reservation_ttl = std::chrono::minutes(5);
  // The key of a command; empty = GetIdempotencyKey. (A custom key_func sees an AnyCommand: in a
  // typed Pipeline that costs one copy of the command per dispatch.)
  std::function<std::string(const AnyCommand&)> key_func;
  // The principal a key is scoped to; empty = the Context's tenant ID.
  std::function<std::string(const Context&, const AnyCommand&)> scope;
  // Turns a successful result into the stored response text; default result.data's JSON.
  std::function<std::string(const CommandResult&)> result_serializer;
  // Turns a stored response back into result.data; default JSON parse.
  std::function<nlohmann::json(const std::string&)> result_deserializer;
  // Fail closed: a store failure before the handler makes Dispatch throw instead of running.
  bool fail_closed = false;
  // Cache thrown handler failures too (replayed as kCommandAlreadyProcessed error results).
  bool store_errors = false;
  // Command types that bypass idempotency.
  std::vector<std::string> skip_commands;
  // Told about failures the middleware absorbs; default logs a warning through spdlog.
  std::function<void(const IdempotencyError&)> on_error;
  // The time records are stamped with; empty = the system clock. Give the store the same one.
  IdempotencyClock clock;
};

inline IdempotencyConfig DefaultIdempotencyConfig(std::shared_ptr<IdempotencyStore> store) {
  IdempotencyConfig config;
  config.store = std::move(store);
  return config;
}

}  // namespace mink
