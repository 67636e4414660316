// mink/cqrs/command_result.hpp — what a command handler reports.
//
// Failure has two channels, as in go-mink's (CommandResult, error):
//   * Dispatch throws (the Go `error`): bus closed, handler not found, validation, a handler
//     or middleware exception;
//   * a returned CommandResult carries `error` (a Go result-only error): the handler ran and
//     reports a failure without throwing — e.g. an AggregateHandler whose save hit a
//     concurrency conflict.
// `error` keeps the original exception, so its dynamic type and mink ErrorCode survive:
//
//   if (result.HasError(mink::errc::kConcurrencyConflict)) { ... }
//   result.ThrowIfError();            // rethrows the original exception
//
// CommandResult is a value type; copies are independent (the exception object is shared
// read-only).
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/es/errors.hpp"
#include "mink/es/event.hpp"

namespace mink {

struct CommandResult {
  bool success = false;
  std::string aggregate_id;   // the aggregate the command affected (or created)
  int64_t version = 0;        // its version after the command
  std::vector<Event> events;  // events the command produced, when the handler reports them
  nlohmann::json data;        // optional handler-defined payload
  std::exception_ptr error;   // a result-only failure

  bool IsSuccess() const noexcept { return success && !error; }
  bool IsError() const noexcept { return !success || error; }
  bool HasError(ErrorCode code) const { return ErrorIs(error, code); }
  std::string ErrorMessage() const { return mink::ErrorMessage(error); }
  void ThrowIfError() const {
    if (error) std::rethrow_exception(error);
  }
};

inline CommandResult NewSuccessResult(std::string aggregate_id, int64_t version) {
  CommandResult r;
  r.success = true;
  r.aggregate_id = std::move(aggregate_id);
  r.version = version;
  return r;
}

inline CommandResult NewSuccessResultWithData(std::string aggregate_id, int64_t version,
                                              nlohmann::json data) {
  CommandResult r = NewSuccessResult(std::move(aggregate_id), version);
  r.data = std::move(data);
  return r;
}

inline CommandResult NewErrorResult(std::exception_ptr error) {
  CommandResult r;
  r.error = std::move(error);
  return r;
}

// Wraps any exception object: NewErrorResult(mink::DomainError("out of stock")).
template <class E>
requires std::derived_from<E, std::exception> CommandResult NewErrorResult(E error) {
  return NewErrorResult(std::make_exception_ptr(std::move(error)));
}

}  // namespace mink
