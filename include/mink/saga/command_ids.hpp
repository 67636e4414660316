// mink/saga/command_ids.hpp — deterministic IDs for the commands a saga dispatches.
//
// The manager gives the i-th command a saga returns for an event the ID
//   "saga:<saga id>:<event id>:<i>"        (compensation commands: ":c<i>")
// and sets its correlation ID to the saga's correlation ID and its causation ID to the
// triggering event's ID. Re-delivering the event after a crash between dispatch and save
// therefore re-dispatches the same IDs; with the bus's IdempotencyMiddleware keyed by
// SagaIdempotencyKey, the second dispatch is answered from the store and the handler does not
// run again:
//
//   IdempotencyConfig config = DefaultIdempotencyConfig(store);
//   config.key_func = mink::SagaIdempotencyKey;
//   bus->Use(IdempotencyMiddleware(config));
#pragma once

#include <string>
#include <string_view>

#include "mink/cqrs/any_command.hpp"
#include "mink/idempotency/key.hpp"

namespace mink {

inline constexpr std::string_view kSagaCommandIDPrefix = "saga:";

inline std::string SagaCommandID(std::string_view saga_id, std::string_view event_id,
                                 std::string_view index) {
  std::string id(kSagaCommandIDPrefix);
  id.append(saga_id).append(":").append(event_id).append(":").append(index);
  return id;
}

inline bool IsSagaCommandID(std::string_view id) noexcept {
  return id.starts_with(kSagaCommandIDPrefix);
}

// A key_func for IdempotencyConfig: a saga's command is keyed by its deterministic ID; any
// other command by GetIdempotencyKey (its own key or its JSON's hash).
inline std::string SagaIdempotencyKey(const AnyCommand& command) {
  const std::string& id = command.Base().GetCommandID();
  if (IsSagaCommandID(id)) return id;
  return GetIdempotencyKey(command);
}

}  // namespace mink
