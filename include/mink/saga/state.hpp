// mink/saga/state.hpp — SagaStep and SagaState, the persisted form of a saga.
//
// JSON form (go-mink's field names; statuses as their numbers, times as RFC 3339 UTC with
// microseconds, empty optional members omitted):
//   {"id","type","correlationId","status","currentStep","data","processedEvents","steps",
//    "startedAt","updatedAt","completedAt","failureReason","version"}
//   step: {"name","index","status","command","error","completedAt"}
// SagaStateFromJson throws CorruptSagaStateError (naming the saga when the text has an "id")
// for text that is not such an object.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/detail/config.hpp"
#include "mink/es/stored_event.hpp"
#include "mink/saga/errors.hpp"
#include "mink/saga/status.hpp"

namespace mink {

struct SagaStep {
  std::string name;
  int index = 0;
  SagaStepStatus status = SagaStepStatus::kPending;
  std::string command;  // the command type the step dispatched, if any
  std::string error;
  std::optional<Timestamp> completed_at;

  friend bool operator==(const SagaStep&, const SagaStep&) = default;
};

// How many processed-event keys a saga keeps (go-mink: the last 100). Older keys fall off;
// the manager's checkpoint covers events that old.
inline constexpr std::size_t kMaxProcessedEvents = 100;

struct SagaState {
  std::string id;
  std::string type;
  std::string correlation_id;
  SagaStatus status = SagaStatus::kStarted;
  int current_step = 0;
  nlohmann::json data = nlohmann::json::object();
  std::vector<std::string> processed_events;  // "<event id>:<global position>"
  std::vector<SagaStep> steps;
  Timestamp started_at{};
  Timestamp updated_at{};
  std::optional<Timestamp> completed_at;
  std::string failure_reason;
  int64_t version = 0;

  friend bool operator==(const SagaState&, const SagaState&) = default;
};

MINK_API nlohmann::json SagaStepToJson(const SagaStep& step);
MINK_API SagaStep SagaStepFromJson(const nlohmann::json& j);

MINK_API nlohmann::json SagaStateToJsonValue(const SagaState& state);
MINK_API std::string SagaStateToJson(const SagaState& state);
// Throws CorruptSagaStateError.
MINK_API SagaState SagaStateFromJsonValue(const nlohmann::json& j);
MINK_API SagaState SagaStateFromJson(std::string_view text);

// RFC 3339 UTC with microseconds ("2026-11-29T16:21:55.123456Z") and back (throws
// kInvalidArgument). Timestamps are truncated to microseconds, what every store keeps.
MINK_API std::string FormatSagaTime(Timestamp t);
MINK_API Timestamp ParseSagaTime(std::string_view text);

inline Timestamp TruncateToMicros(Timestamp t) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(t);
}

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/saga/state-inl.hpp"
#endif
