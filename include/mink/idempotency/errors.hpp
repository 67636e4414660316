// mink/idempotency/errors.hpp — the idempotency area's error codes and typed errors.
//
//   IdempotencyReplayError  kCommandAlreadyProcessed  a cached failure was replayed
//                           kCommandInProgress        another dispatch holds the key
//   IdempotencyError        kIdempotencyFailed        the machinery itself failed; Cause() is
//                                                     the store's exception when there is one
//   (a Cause of one)        kReservationLost          the dispatch's reservation expired and
//                                                     another dispatch took the key over, so
//                                                     this run's outcome was not recorded
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "mink/error.hpp"

namespace mink {

namespace errc {
inline constexpr ErrorCode kCommandAlreadyProcessed{ErrorArea::kIdempotency, 1,
                                                    "CommandAlreadyProcessed"};
inline constexpr ErrorCode kCommandInProgress{ErrorArea::kIdempotency, 2, "CommandInProgress"};
inline constexpr ErrorCode kIdempotencyFailed{ErrorArea::kIdempotency, 3, "IdempotencyFailed"};
inline constexpr ErrorCode kReservationLost{ErrorArea::kIdempotency, 4, "ReservationLost"};
}  // namespace errc

// A duplicate was answered from the store: kCommandAlreadyProcessed (a cached failure) or
// kCommandInProgress (another dispatch holds the key).
class MINK_API IdempotencyReplayError : public Error {
 public:
  IdempotencyReplayError(ErrorCode code, std::string key, std::string message)
      : Error(code, "command already processed with key \"" + key + "\": " + message),
        key_(std::move(key)),
        message_(std::move(message)) {}
  const std::string& Key() const noexcept { return key_; }
  const std::string& Message() const noexcept { return message_; }

 private:
  std::string key_;
  std::string message_;
};

// The idempotency machinery itself failed (store unreachable, result not serializable).
class MINK_API IdempotencyError : public Error {
 public:
  // `cause` is the exception that made it fail (usually std::current_exception()).
  IdempotencyError(std::string key, std::string operation, std::exception_ptr cause)
      : Error(
            errc::kIdempotencyFailed,
            "idempotency " + operation + " failed for key \"" + key + "\": " + ErrorMessage(cause),
            cause),
        key_(std::move(key)),
        operation_(std::move(operation)) {}
  const std::string& Key() const noexcept { return key_; }
  const std::string& Operation() const noexcept { return operation_; }

 private:
  std::string key_;
  std::string operation_;
};

}  // namespace mink
