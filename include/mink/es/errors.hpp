// mink/es/errors.hpp — the event store's error codes and typed errors.
//
//   ConcurrencyError            kConcurrencyConflict   expected version did not match
//   StreamNotFoundError         kStreamNotFound
//   SerializationError          kSerializationFailed   encoding or decoding a payload
//   UnregisteredEventTypeError  kUnregisteredEventType strict replay met an unknown type
//   EventTooLargeError          kEventTooLarge
//   UpcastError                 kUpcastFailed / kSchemaVersionGap
//   DomainError                 kDomain                a business rule refused an operation
//   OutcomeUnknownError         kOutcomeUnknown        an append was sent, its reply was lost
//   BadStoredEventError         kBadStoredEvent        a stored row that cannot be decoded
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "mink/error.hpp"

namespace mink {

namespace errc {
inline constexpr ErrorCode kConcurrencyConflict{ErrorArea::kEventStore, 1, "ConcurrencyConflict"};
inline constexpr ErrorCode kStreamNotFound{ErrorArea::kEventStore, 2, "StreamNotFound"};
inline constexpr ErrorCode kInvalidStreamID{ErrorArea::kEventStore, 3, "InvalidStreamID"};
inline constexpr ErrorCode kEmptyStreamID{ErrorArea::kEventStore, 4, "EmptyStreamID"};
inline constexpr ErrorCode kNoEvents{ErrorArea::kEventStore, 5, "NoEvents"};
inline constexpr ErrorCode kEventTooLarge{ErrorArea::kEventStore, 6, "EventTooLarge"};
inline constexpr ErrorCode kInvalidVersion{ErrorArea::kEventStore, 7, "InvalidVersion"};
inline constexpr ErrorCode kUnregisteredEventType{ErrorArea::kEventStore, 8,
                                                  "UnregisteredEventType"};
inline constexpr ErrorCode kEventTypeMismatch{ErrorArea::kEventStore, 9, "EventTypeMismatch"};
inline constexpr ErrorCode kSerializationFailed{ErrorArea::kEventStore, 10, "SerializationFailed"};
inline constexpr ErrorCode kUpcastFailed{ErrorArea::kEventStore, 11, "UpcastFailed"};
inline constexpr ErrorCode kSchemaVersionGap{ErrorArea::kEventStore, 12, "SchemaVersionGap"};
inline constexpr ErrorCode kInvalidUpcaster{ErrorArea::kEventStore, 13, "InvalidUpcaster"};
inline constexpr ErrorCode kSubscriptionNotSupported{ErrorArea::kEventStore, 14,
                                                     "SubscriptionNotSupported"};
inline constexpr ErrorCode kAggregateTypeNotRegistered{ErrorArea::kEventStore, 15,
                                                       "AggregateTypeNotRegistered"};
inline constexpr ErrorCode kDomain{ErrorArea::kEventStore, 16, "Domain"};
inline constexpr ErrorCode kBadStoredEvent{ErrorArea::kEventStore, 17, "BadStoredEvent"};
}  // namespace errc

// The expected version of a stream did not match its actual version.
class MINK_API ConcurrencyError : public Error {
 public:
  ConcurrencyError(std::string stream_id, int64_t expected, int64_t actual)
      : Error(errc::kConcurrencyConflict, "concurrency conflict on stream \"" + stream_id +
                                              "\": expected version " + std::to_string(expected) +
                                              ", got " + std::to_string(actual)),
        stream_id_(std::move(stream_id)),
        expected_(expected),
        actual_(actual) {}

  const std::string& StreamID() const noexcept { return stream_id_; }
  int64_t ExpectedVersion() const noexcept { return expected_; }
  int64_t ActualVersion() const noexcept { return actual_; }

 private:
  std::string stream_id_;
  int64_t expected_;
  int64_t actual_;
};

class MINK_API StreamNotFoundError : public Error {
 public:
  explicit StreamNotFoundError(std::string stream_id)
      : Error(errc::kStreamNotFound, "stream not found: \"" + stream_id + "\""),
        stream_id_(std::move(stream_id)) {}
  const std::string& StreamID() const noexcept { return stream_id_; }

 private:
  std::string stream_id_;
};

// Encoding or decoding an event payload failed. `operation` is "serialize" or "deserialize".
class MINK_API SerializationError : public Error {
 public:
  SerializationError(std::string event_type, std::string operation, const std::string& cause)
      : Error(errc::kSerializationFailed,
              "failed to " + operation + " event \"" + event_type + "\": " + cause),
        event_type_(std::move(event_type)),
        operation_(std::move(operation)) {}
  const std::string& EventType() const noexcept { return event_type_; }
  const std::string& Operation() const noexcept { return operation_; }

 private:
  std::string event_type_;
  std::string operation_;
};

// A stored event's type has no registered C++ type and strict replay is on.
class MINK_API UnregisteredEventTypeError : public Error {
 public:
  UnregisteredEventTypeError(std::string stream_id, std::string event_type, int64_t version)
      : Error(errc::kUnregisteredEventType, "unregistered event type \"" + event_type +
                                                "\" at version " + std::to_string(version) +
                                                " of stream \"" + stream_id + "\""),
        stream_id_(std::move(stream_id)),
        event_type_(std::move(event_type)),
        version_(version) {}
  const std::string& StreamID() const noexcept { return stream_id_; }
  const std::string& EventType() const noexcept { return event_type_; }
  int64_t Version() const noexcept { return version_; }

 private:
  std::string stream_id_;
  std::string event_type_;
  int64_t version_;
};

class MINK_API EventTooLargeError : public Error {
 public:
  EventTooLargeError(std::string event_type, std::size_t size, std::size_t limit)
      : Error(errc::kEventTooLarge, "event \"" + event_type + "\" is " + std::to_string(size) +
                                        " bytes, over the limit of " + std::to_string(limit)),
        event_type_(std::move(event_type)),
        size_(size),
        limit_(limit) {}
  const std::string& EventType() const noexcept { return event_type_; }
  std::size_t Size() const noexcept { return size_; }
  std::size_t Limit() const noexcept { return limit_; }

 private:
  std::string event_type_;
  std::size_t size_;
  std::size_t limit_;
};

// An upcaster threw, or a chain is missing a step for a stored schema version.
class MINK_API UpcastError : public Error {
 public:
  UpcastError(ErrorCode code, std::string event_type, int from_version, const std::string& what)
      : Error(code, "upcasting \"" + event_type + "\" from schema v" +
                        std::to_string(from_version) + ": " + what),
        event_type_(std::move(event_type)),
        from_version_(from_version) {}
  const std::string& EventType() const noexcept { return event_type_; }
  int FromVersion() const noexcept { return from_version_; }

 private:
  std::string event_type_;
  int from_version_;
};

// An append reached the store but the connection broke before its reply arrived, so it may
// have committed or not. Never retry it blindly with AnyVersion (that can duplicate events).
// Resolve it by re-reading the stream (Load / GetStreamInfo) or by retrying with the same
// exact expected version: if the first attempt committed, the retry fails with a
// ConcurrencyError instead of writing twice. Cause() is the store's own exception.
class MINK_API OutcomeUnknownError : public Error {
 public:
  OutcomeUnknownError(std::string stream_id, int64_t expected, const std::string& what,
                      std::exception_ptr cause = nullptr)
      : Error(errc::kOutcomeUnknown,
              "append to \"" + stream_id + "\" (expected version " + std::to_string(expected) +
                  "): outcome unknown, the connection broke after the append was sent: " + what,
              std::move(cause)),
        stream_id_(std::move(stream_id)),
        expected_(expected) {}
  const std::string& StreamID() const noexcept { return stream_id_; }
  int64_t ExpectedVersion() const noexcept { return expected_; }

 private:
  std::string stream_id_;
  int64_t expected_;
};

// A business rule refused an operation (thrown by aggregates and handlers).
class MINK_API DomainError : public Error {
 public:
  explicit DomainError(const std::string& message) : Error(errc::kDomain, message) {}
};

// A stored event that cannot be read back (for example metadata that is not a JSON object, or
// a timestamp outside what Timestamp can hold): a permanent property of that one row, not a
// transient failure. It says where the row is, so a reader can pass it: a global feed resumes
// after Position(), a stream reader after Version(). Cause() is the decoding failure (a
// SerializationError for bad metadata, so Is(kSerializationFailed) holds for it).
class MINK_API BadStoredEventError : public Error {
 public:
  BadStoredEventError(uint64_t position, std::string stream_id, int64_t version,
                      std::string event_type, const std::string& reason,
                      std::exception_ptr cause = nullptr)
      : Error(errc::kBadStoredEvent,
              "stored event at position " + std::to_string(position) + " (version " +
                  std::to_string(version) + " of stream \"" + stream_id +
                  "\") cannot be read: " + reason,
              std::move(cause)),
        position_(position),
        stream_id_(std::move(stream_id)),
        version_(version),
        event_type_(std::move(event_type)) {}
  uint64_t Position() const noexcept { return position_; }
  const std::string& StreamID() const noexcept { return stream_id_; }
  int64_t Version() const noexcept { return version_; }
  const std::string& EventType() const noexcept { return event_type_; }

 private:
  uint64_t position_;
  std::string stream_id_;
  int64_t version_;
  std::string event_type_;
};

}  // namespace mink
