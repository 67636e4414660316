// mink/cqrs/errors.hpp — the typed errors of the command bus.
//
// Each derives from mink::Error and carries an ErrorCode, so callers branch on e.code() the way
// go-mink callers use errors.Is, and catch the typed class when they need its fields:
//
//   ValidationError      kValidationFailed   a command's Validate() refused it (command, field)
//   MultiValidationError kValidationFailed   several field failures at once
//   HandlerNotFoundError kHandlerNotFound    no handler is registered for the command type
//   PanicError           kHandlerFailed      RecoveryMiddleware caught a non-mink exception
//
// All are immutable values and safe to share between threads.
#pragma once

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "mink/error.hpp"

namespace mink {

namespace errc {
inline constexpr ErrorCode kValidationFailed{ErrorArea::kCqrs, 1, "ValidationFailed"};
inline constexpr ErrorCode kHandlerNotFound{ErrorArea::kCqrs, 2, "HandlerNotFound"};
inline constexpr ErrorCode kHandlerFailed{ErrorArea::kCqrs, 3, "HandlerFailed"};
inline constexpr ErrorCode kCommandBusClosed{ErrorArea::kCqrs, 4, "CommandBusClosed"};
// DispatchAsync refused: the queue is full or no worker thread could be started. Transient.
inline constexpr ErrorCode kBusOverloaded{ErrorArea::kCqrs, 5, "BusOverloaded"};
}  // namespace errc

class MINK_API ValidationError : public Error {
 public:
  ValidationError(std::string command_type, std::string field, std::string message)
      : Error(errc::kValidationFailed, Describe(command_type, field, message)),
        command_type_(std::move(command_type)),
        field_(std::move(field)),
        message_(std::move(message)) {}

  const std::string& CommandType() const noexcept { return command_type_; }
  const std::string& Field() const noexcept { return field_; }  // may be empty
  const std::string& Message() const noexcept { return message_; }

 private:
  static std::string Describe(const std::string& type, const std::string& field,
                              const std::string& message) {
    if (field.empty()) return "validation failed for command \"" + type + "\": " + message;
    return "validation failed for command \"" + type + "\" field \"" + field + "\": " + message;
  }

  std::string command_type_;
  std::string field_;
  std::string message_;
};

// Collects field failures so Validate() can report all of them at once:
//
//   mink::MultiValidationError errors("CreateOrder");
//   if (customer_id.empty()) errors.AddField("CustomerID", "required");
//   if (items.empty()) errors.AddField("Items", "at least one item");
//   errors.ThrowIfAny();
class MINK_API MultiValidationError : public Error {
 public:
  explicit MultiValidationError(std::string command_type)
      : Error(errc::kValidationFailed, "validation failed for command \"" + command_type + "\""),
        command_type_(std::move(command_type)) {}

  void Add(ValidationError error) {
    errors_.push_back(std::move(error));
    summary_ = "mink: validation failed for command \"" + command_type_ +
               "\": " + std::to_string(errors_.size()) + " error(s)";
    for (const ValidationError& e : errors_) {
      summary_ += e.Field().empty() ? "; " + e.Message() : "; " + e.Field() + ": " + e.Message();
    }
  }
  void AddField(std::string field, std::string message) {
    Add(ValidationError(command_type_, std::move(field), std::move(message)));
  }
  bool HasErrors() const noexcept { return !errors_.empty(); }
  void ThrowIfAny() const {
    if (HasErrors()) throw *this;
  }

  const std::string& CommandType() const noexcept { return command_type_; }
  const std::vector<ValidationError>& Errors() const noexcept { return errors_; }
  const char* what() const noexcept override {
    return summary_.empty() ? Error::what() : summary_.c_str();
  }

 private:
  std::string command_type_;
  std::vector<ValidationError> errors_;
  std::string summary_;
};

class MINK_API HandlerNotFoundError : public Error {
 public:
  explicit HandlerNotFoundError(std::string command_type)
      : Error(errc::kHandlerNotFound,
              "no handler registered for command type \"" + command_type + "\""),
        command_type_(std::move(command_type)) {}
  const std::string& CommandType() const noexcept { return command_type_; }

 private:
  std::string command_type_;
};

// An exception that is not a mink::Error escaped a handler (the C++ counterpart of a Go panic).
// `value` is the original what() ("unknown exception" for a non-std exception), `command_data`
// the command's JSON (empty when the command has no JSON form), `cause` the original exception.
class MINK_API PanicError : public Error {
 public:
  PanicError(std::string command_type, std::string value, std::string command_data,
             std::exception_ptr cause)
      : Error(errc::kHandlerFailed,
              "handler panicked while processing \"" + command_type + "\": " + value,
              std::move(cause)),
        command_type_(std::move(command_type)),
        value_(std::move(value)),
        command_data_(std::move(command_data)) {}

  const std::string& CommandType() const noexcept { return command_type_; }
  const std::string& Value() const noexcept { return value_; }
  const std::string& CommandData() const noexcept { return command_data_; }

 private:
  std::string command_type_;
  std::string value_;
  std::string command_data_;
};

}  // namespace mink
