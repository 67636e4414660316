// mink/outbox/errors.hpp — the outbox area's error codes and typed errors.
//
//   kPublisherNotFound        no publisher serves the message's destination prefix (recorded
//                             on the message as last_error; the message is retried, then
//                             dead-lettered)
//   kOutboxMessageNotFound    MarkFailed / a lookup named an ID the store does not have
//   kOutboxProcessorRunning   Start on a processor that is already running
//   kInvalidDestination       a destination that is not "prefix:target" (both non-empty)
//   kOutboxTransformFailed    a route's Transform threw; Cause() is what it threw
//   kOutboxScheduleFailed     OutboxScheduleError: the non-atomic fallback appended the
//                             events and then failed to schedule their messages
//   kOutboxPublishFailed      a publisher broke its contract (threw, or returned the wrong
//                             number of outcomes); Cause() is what it threw
//   kCorruptOutboxMessage     a stored row that cannot be decoded (it is dead-lettered with
//                             this error as last_error, never handed to a publisher)
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "mink/error.hpp"
#include "mink/es/stored_event.hpp"

namespace mink {

namespace errc {
inline constexpr ErrorCode kPublisherNotFound{ErrorArea::kOutbox, 1, "PublisherNotFound"};
inline constexpr ErrorCode kOutboxMessageNotFound{ErrorArea::kOutbox, 2, "OutboxMessageNotFound"};
inline constexpr ErrorCode kOutboxProcessorRunning{ErrorArea::kOutbox, 3, "OutboxProcessorRunning"};
inline constexpr ErrorCode kInvalidDestination{ErrorArea::kOutbox, 4, "InvalidDestination"};
inline constexpr ErrorCode kOutboxTransformFailed{ErrorArea::kOutbox, 5, "OutboxTransformFailed"};
inline constexpr ErrorCode kOutboxScheduleFailed{ErrorArea::kOutbox, 6, "OutboxScheduleFailed"};
inline constexpr ErrorCode kOutboxPublishFailed{ErrorArea::kOutbox, 7, "OutboxPublishFailed"};
inline constexpr ErrorCode kCorruptOutboxMessage{ErrorArea::kOutbox, 8, "CorruptOutboxMessage"};
}  // namespace errc

// How a message's last_error records a mink::Error: "<ErrorCodeName>: <what()>".
inline std::string OutboxErrorText(const Error& error) {
  return std::string(error.code().name()) + ": " + error.what();
}

// The events were appended (Result() says where) but their outbox messages were not
// scheduled: only from EventStoreWithOutbox's non-atomic fallback (an adapter without
// TransactionalAdapter). Cause() is the outbox store's error. The caller must schedule the
// messages itself or accept that they are not delivered.
class MINK_API OutboxScheduleError : public Error {
 public:
  OutboxScheduleError(AppendResult result, std::exception_ptr cause)
      : Error(errc::kOutboxScheduleFailed,
              "events appended but outbox scheduling failed: " + ErrorMessage(cause), cause),
        result_(result) {}
  const AppendResult& Result() const noexcept { return result_; }

 private:
  AppendResult result_;
};

}  // namespace mink
