// mink/saga/status.hpp — a saga's lifecycle status and a step's status.
//
// The numbers are go-mink's (they are what the JSON form and the PostgreSQL status column
// store):
//
//   started(0) -> running(1) -> completed(2)
//                     \-> compensating(4) -> compensated(5) | compensation_failed(6)
//                     \-> failed(3)   (Compensate itself threw)
//
// Terminal: completed, failed, compensated, compensation_failed (events for them are ignored).
// Retryable (RetrySaga may re-drive them): failed, compensated, compensation_failed.
#pragma once

#include <optional>
#include <string_view>

namespace mink {

enum class SagaStatus : int {
  kStarted = 0,
  kRunning = 1,
  kCompleted = 2,
  kFailed = 3,
  kCompensating = 4,
  kCompensated = 5,
  kCompensationFailed = 6,
};

constexpr std::string_view ToString(SagaStatus s) noexcept {
  switch (s) {
    case SagaStatus::kStarted:
      return "started";
    case SagaStatus::kRunning:
      return "running";
    case SagaStatus::kCompleted:
      return "completed";
    case SagaStatus::kFailed:
      return "failed";
    case SagaStatus::kCompensating:
      return "compensating";
    case SagaStatus::kCompensated:
      return "compensated";
    case SagaStatus::kCompensationFailed:
      return "compensation_failed";
  }
  return "unknown";
}

// The status with number `n`, or nullopt for a number outside 0..6.
constexpr std::optional<SagaStatus> SagaStatusFromInt(int n) noexcept {
  if (n < 0 || n > 6) return std::nullopt;
  return static_cast<SagaStatus>(n);
}

constexpr bool IsTerminal(SagaStatus s) noexcept {
  return s == SagaStatus::kCompleted || s == SagaStatus::kFailed || s == SagaStatus::kCompensated ||
         s == SagaStatus::kCompensationFailed;
}

constexpr bool IsRetryable(SagaStatus s) noexcept {
  return s == SagaStatus::kFailed || s == SagaStatus::kCompensated ||
         s == SagaStatus::kCompensationFailed;
}

enum class SagaStepStatus : int {
  kPending = 0,
  kRunning = 1,
  kCompleted = 2,
  kFailed = 3,
  kCompensated = 4,
};

constexpr std::string_view ToString(SagaStepStatus s) noexcept {
  switch (s) {
    case SagaStepStatus::kPending:
      return "pending";
    case SagaStepStatus::kRunning:
      return "running";
    case SagaStepStatus::kCompleted:
      return "completed";
    case SagaStepStatus::kFailed:
      return "failed";
    case SagaStepStatus::kCompensated:
      return "compensated";
  }
  return "unknown";
}

}  // namespace mink
