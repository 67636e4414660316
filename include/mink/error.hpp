// mink/error.hpp — the error model.
//
// Every failure mink reports is an exception derived from mink::Error. Each carries an
// ErrorCode so callers can branch the way Go code uses errors.Is:
//
//   try { store.Append(ctx, "Order-1", events, 3); }
//   catch (const mink::Error& e) { if (e.code() == mink::ErrorCode::kConcurrencyConflict) ... }
//
// Typed errors (ConcurrencyError, StreamNotFoundError, SerializationError, ...) add the fields
// a caller needs to react. Messages are prefixed "mink: " like go-mink's.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mink {

enum class ErrorCode {
  kUnknown,
  kInvalidArgument,
  kConcurrencyConflict,
  kStreamNotFound,
  kInvalidStreamID,
  kEmptyStreamID,
  kNoEvents,
  kEventTooLarge,
  kInvalidVersion,
  kUnregisteredEventType,
  kEventTypeMismatch,
  kSerializationFailed,
  kUpcastFailed,
  kSchemaVersionGap,
  kInvalidUpcaster,
  kAdapterClosed,
  kSubscriptionNotSupported,
  kCancelled,
  kDeadlineExceeded,
  kDomain,
  kValidationFailed,
  kHandlerNotFound,
  kHandlerFailed,
  kCommandBusClosed,
  kCommandAlreadyProcessed,
  kCommandInProgress,
  kIdempotencyFailed,
  kConnectionFailed,
  kStorageFailed,
  kInvalidSchemaName,
  kAggregateTypeNotRegistered,
};

// Stable, human-readable name of a code ("ConcurrencyConflict").
constexpr std::string_view ErrorCodeName(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kUnknown:
      return "Unknown";
    case ErrorCode::kInvalidArgument:
      return "InvalidArgument";
    case ErrorCode::kConcurrencyConflict:
      return "ConcurrencyConflict";
    case ErrorCode::kStreamNotFound:
      return "StreamNotFound";
    case ErrorCode::kInvalidStreamID:
      return "InvalidStreamID";
    case ErrorCode::kEmptyStreamID:
      return "EmptyStreamID";
    case ErrorCode::kNoEvents:
      return "NoEvents";
    case ErrorCode::kEventTooLarge:
      return "EventTooLarge";
    case ErrorCode::kInvalidVersion:
      return "InvalidVersion";
    case ErrorCode::kUnregisteredEventType:
      return "UnregisteredEventType";
    case ErrorCode::kEventTypeMismatch:
      return "EventTypeMismatch";
    case ErrorCode::kSerializationFailed:
      return "SerializationFailed";
    case ErrorCode::kUpcastFailed:
      return "UpcastFailed";
    case ErrorCode::kSchemaVersionGap:
      return "SchemaVersionGap";
    case ErrorCode::kInvalidUpcaster:
      return "InvalidUpcaster";
    case ErrorCode::kAdapterClosed:
      return "AdapterClosed";
    case ErrorCode::kSubscriptionNotSupported:
      return "SubscriptionNotSupported";
    case ErrorCode::kCancelled:
      return "Cancelled";
    case ErrorCode::kDeadlineExceeded:
      return "DeadlineExceeded";
    case ErrorCode::kDomain:
      return "Domain";
    case ErrorCode::kValidationFailed:
      return "ValidationFailed";
    case ErrorCode::kHandlerNotFound:
      return "HandlerNotFound";
    case ErrorCode::kHandlerFailed:
      return "HandlerFailed";
    case ErrorCode::kCommandBusClosed:
      return "CommandBusClosed";
    case ErrorCode::kCommandAlreadyProcessed:
      return "CommandAlreadyProcessed";
    case ErrorCode::kCommandInProgress:
      return "CommandInProgress";
    case ErrorCode::kIdempotencyFailed:
      return "IdempotencyFailed";
    case ErrorCode::kConnectionFailed:
      return "ConnectionFailed";
    case ErrorCode::kStorageFailed:
      return "StorageFailed";
    case ErrorCode::kInvalidSchemaName:
      return "InvalidSchemaName";
    case ErrorCode::kAggregateTypeNotRegistered:
      return "AggregateTypeNotRegistered";
  }
  return "Unknown";
}

// Root of every exception mink throws.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error("mink: " + message), code_(code) {}

  ErrorCode code() const noexcept { return code_; }
  bool Is(ErrorCode code) const noexcept { return code_ == code; }

 private:
  ErrorCode code_;
};

// The expected version of a stream did not match its actual version.
class ConcurrencyError : public Error {
 public:
  ConcurrencyError(std::string stream_id, int64_t expected, int64_t actual)
      : Error(ErrorCode::kConcurrencyConflict,
              "concurrency conflict on stream \"" + stream_id + "\": expected version " +
                  std::to_string(expected) + ", got " + std::to_string(actual)),
        stream_id_(std::move(stream_id)),
        expected_(expected),
        actual_(actual) {}

  const std::string& stream_id() const noexcept { return stream_id_; }
  int64_t expected_version() const noexcept { return expected_; }
  int64_t actual_version() const noexcept { return actual_; }

 private:
  std::string stream_id_;
  int64_t expected_;
  int64_t actual_;
};

class StreamNotFoundError : public Error {
 public:
  explicit StreamNotFoundError(std::string stream_id)
      : Error(ErrorCode::kStreamNotFound, "stream not found: \"" + stream_id + "\""),
        stream_id_(std::move(stream_id)) {}
  const std::string& stream_id() const noexcept { return stream_id_; }

 private:
  std::string stream_id_;
};

// Encoding or decoding an event payload failed. `operation` is "serialize" or "deserialize".
class SerializationError : public Error {
 public:
  SerializationError(std::string event_type, std::string operation, const std::string& cause)
      : Error(ErrorCode::kSerializationFailed,
              "failed to " + operation + " event \"" + event_type + "\": " + cause),
        event_type_(std::move(event_type)),
        operation_(std::move(operation)) {}
  const std::string& event_type() const noexcept { return event_type_; }
  const std::string& operation() const noexcept { return operation_; }

 private:
  std::string event_type_;
  std::string operation_;
};

// A stored event's type has no registered C++ type and strict replay is on.
class UnregisteredEventTypeError : public Error {
 public:
  UnregisteredEventTypeError(std::string stream_id, std::string event_type, int64_t version)
      : Error(ErrorCode::kUnregisteredEventType, "unregistered event type \"" + event_type +
                                                     "\" at version " + std::to_string(version) +
                                                     " of stream \"" + stream_id + "\""),
        stream_id_(std::move(stream_id)),
        event_type_(std::move(event_type)),
        version_(version) {}
  const std::string& stream_id() const noexcept { return stream_id_; }
  const std::string& event_type() const noexcept { return event_type_; }
  int64_t version() const noexcept { return version_; }

 private:
  std::string stream_id_;
  std::string event_type_;
  int64_t version_;
};

class EventTooLargeError : public Error {
 public:
  EventTooLargeError(std::string event_type, std::size_t size, std::size_t limit)
      : Error(ErrorCode::kEventTooLarge, "event \"" + event_type + "\" is " + std::to_string(size) +
                                             " bytes, over the limit of " + std::to_string(limit)),
        event_type_(std::move(event_type)),
        size_(size),
        limit_(limit) {}
  const std::string& event_type() const noexcept { return event_type_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t limit() const noexcept { return limit_; }

 private:
  std::string event_type_;
  std::size_t size_;
  std::size_t limit_;
};

// An upcaster threw, or a chain is missing a step for a stored schema version.
class UpcastError : public Error {
 public:
  UpcastError(ErrorCode code, std::string event_type, int from_version, const std::string& what)
      : Error(code, "upcasting \"" + event_type + "\" from schema v" +
                        std::to_string(from_version) + ": " + what),
        event_type_(std::move(event_type)),
        from_version_(from_version) {}
  const std::string& event_type() const noexcept { return event_type_; }
  int from_version() const noexcept { return from_version_; }

 private:
  std::string event_type_;
  int from_version_;
};

// A business rule refused an operation (thrown by aggregates and handlers).
class DomainError : public Error {
 public:
  explicit DomainError(const std::string& message) : Error(ErrorCode::kDomain, message) {}
};

}  // namespace mink
