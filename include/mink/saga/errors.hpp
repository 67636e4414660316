// mink/saga/errors.hpp — the saga area's error codes and typed errors.
//
//   SagaNotFoundError          kSagaNotFound          no saga with that ID (or correlation ID)
//   SagaFailedError            kSagaFailed            a saga reports a business failure at a step
//   SagaNotRetryableError      kSagaNotRetryable      a re-drive refused (status, no trigger event)
//   SagaTypeNotRegisteredError kSagaTypeNotRegistered no factory for a stored or requested type
//   CorruptSagaStateError      kCorruptSagaState      a stored row that cannot be decoded
//   SagaCommandError           kSagaCommandFailed     a saga's command failed after its retries
//   (plain Error)              kSagaTimedOut          the timeout sweep's compensation reason
//                              kSagaManagerRunning    Start on a running manager
// A stale version on Save is the event store's ConcurrencyError (kConcurrencyConflict) with
// the saga ID as its StreamID(), so one retry rule covers aggregates and sagas.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <utility>

#include "mink/error.hpp"

namespace mink {

namespace errc {
inline constexpr ErrorCode kSagaNotFound{ErrorArea::kSaga, 1, "SagaNotFound"};
inline constexpr ErrorCode kSagaFailed{ErrorArea::kSaga, 2, "SagaFailed"};
inline constexpr ErrorCode kSagaNotRetryable{ErrorArea::kSaga, 3, "SagaNotRetryable"};
inline constexpr ErrorCode kSagaTypeNotRegistered{ErrorArea::kSaga, 4, "SagaTypeNotRegistered"};
inline constexpr ErrorCode kCorruptSagaState{ErrorArea::kSaga, 5, "CorruptSagaState"};
inline constexpr ErrorCode kSagaCommandFailed{ErrorArea::kSaga, 6, "SagaCommandFailed"};
inline constexpr ErrorCode kSagaTimedOut{ErrorArea::kSaga, 7, "SagaTimedOut"};
inline constexpr ErrorCode kSagaManagerRunning{ErrorArea::kSaga, 8, "SagaManagerRunning"};
}  // namespace errc

// No saga has the ID (Load, Delete, GetSaga) or the correlation ID (FindByCorrelationID).
class MINK_API SagaNotFoundError : public Error {
 public:
  explicit SagaNotFoundError(std::string saga_id)
      : Error(errc::kSagaNotFound, "saga not found: \"" + saga_id + "\""),
        saga_id_(std::move(saga_id)) {}
  static SagaNotFoundError ByCorrelation(std::string correlation_id) {
    return SagaNotFoundError(std::move(correlation_id), true);
  }
  // Empty when the lookup was by correlation ID.
  const std::string& SagaID() const noexcept { return saga_id_; }
  const std::string& CorrelationID() const noexcept { return correlation_id_; }

 private:
  SagaNotFoundError(std::string correlation_id, bool)
      : Error(errc::kSagaNotFound, "no saga with correlation ID \"" + correlation_id + "\""),
        correlation_id_(std::move(correlation_id)) {}
  std::string saga_id_;
  std::string correlation_id_;
};

// Thrown by a saga's HandleEvent to report a business failure at `step` (go-mink's
// SagaFailedError{Step, Reason}); the manager compensates. SagaID/SagaType are filled in by the
// manager when it reports the failure.
class MINK_API SagaFailedError : public Error {
 public:
  SagaFailedError(int step, std::string reason, std::string saga_id = {},
                  std::string saga_type = {})
      : Error(errc::kSagaFailed, "saga \"" + saga_id + "\" (type=" + saga_type +
                                     ") failed at step " + std::to_string(step) + ": " + reason),
        step_(step),
        reason_(std::move(reason)),
        saga_id_(std::move(saga_id)),
        saga_type_(std::move(saga_type)) {}
  int Step() const noexcept { return step_; }
  const std::string& Reason() const noexcept { return reason_; }
  const std::string& SagaID() const noexcept { return saga_id_; }
  const std::string& SagaType() const noexcept { return saga_type_; }

 private:
  int step_;
  std::string reason_;
  std::string saga_id_;
  std::string saga_type_;
};

// RetrySaga / ResumeStalled refused: the saga's status does not allow it, or it has no captured
// trigger event. The saga is left untouched.
class MINK_API SagaNotRetryableError : public Error {
 public:
  SagaNotRetryableError(std::string saga_id, std::string status, std::string reason)
      : Error(errc::kSagaNotRetryable,
              "saga \"" + saga_id + "\" (status=" + status + ") is not retryable: " + reason),
        saga_id_(std::move(saga_id)),
        status_(std::move(status)),
        reason_(std::move(reason)) {}
  const std::string& SagaID() const noexcept { return saga_id_; }
  const std::string& Status() const noexcept { return status_; }
  const std::string& Reason() const noexcept { return reason_; }

 private:
  std::string saga_id_;
  std::string status_;
  std::string reason_;
};

// No factory is registered for `saga_type` (a stored saga of an unknown type, StartSaga with
// an unregistered type). `saga_id` is empty when no stored saga is involved.
class MINK_API SagaTypeNotRegisteredError : public Error {
 public:
  explicit SagaTypeNotRegisteredError(std::string saga_type, std::string saga_id = {})
      : Error(errc::kSagaTypeNotRegistered,
              "saga type \"" + saga_type + "\" is not registered" +
                  (saga_id.empty() ? std::string() : " (saga \"" + saga_id + "\")")),
        saga_type_(std::move(saga_type)),
        saga_id_(std::move(saga_id)) {}
  const std::string& SagaType() const noexcept { return saga_type_; }
  const std::string& SagaID() const noexcept { return saga_id_; }

 private:
  std::string saga_type_;
  std::string saga_id_;
};

// A stored saga row that cannot be decoded (malformed JSON, a field of the wrong type). Names
// the saga; other sagas still load.
class MINK_API CorruptSagaStateError : public Error {
 public:
  CorruptSagaStateError(std::string saga_id, const std::string& what)
      : Error(errc::kCorruptSagaState, "saga \"" + saga_id + "\" has corrupt state: " + what),
        saga_id_(std::move(saga_id)) {}
  const std::string& SagaID() const noexcept { return saga_id_; }

 private:
  std::string saga_id_;
};

// A command a saga dispatched still failed after the manager's retries. Cause() is the last
// failure (the exception Dispatch threw, or the result's error).
class MINK_API SagaCommandError : public Error {
 public:
  SagaCommandError(std::string saga_id, std::string command_type, int attempts,
                   std::exception_ptr cause)
      : Error(errc::kSagaCommandFailed,
              "saga \"" + saga_id + "\": command " + command_type + " failed after " +
                  std::to_string(attempts) + " attempt(s): " + ErrorMessage(cause),
              cause),
        saga_id_(std::move(saga_id)),
        command_type_(std::move(command_type)),
        attempts_(attempts) {}
  const std::string& SagaID() const noexcept { return saga_id_; }
  const std::string& CommandType() const noexcept { return command_type_; }
  int Attempts() const noexcept { return attempts_; }

 private:
  std::string saga_id_;
  std::string command_type_;
  int attempts_;
};

}  // namespace mink
