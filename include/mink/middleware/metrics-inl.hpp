// mink/middleware/metrics-inl.hpp — definitions for metrics.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/middleware/metrics.hpp"
#endif

#include <utility>

namespace mink {

MINK_INLINE MetricsMiddleware::MetricsMiddleware(std::shared_ptr<MetricsRecorder> recorder)
    : recorder_(std::move(recorder)) {
  if (!recorder_) throw Error(errc::kInvalidArgument, "MetricsMiddleware needs a recorder");
}

MINK_INLINE CommandResult MetricsMiddleware::Run(std::string_view type,
                                                 detail::FunctionRef<CommandResult()> next) const {
  MetricsRecorder& recorder = *recorder_;
  recorder.CommandStarted(type);
  const auto start = std::chrono::steady_clock::now();
  // A recorder that throws must neither fail a command that ran nor be called twice.
  auto record = [&](bool success, const std::exception_ptr& error) noexcept {
    try {
      recorder.RecordCommand(type,
                             std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now() - start),
                             success, error);
    } catch (...) {
    }
  };
  CommandResult result;
  try {
    result = next();
  } catch (...) {
    record(false, std::current_exception());
    throw;
  }
  record(result.IsSuccess(), result.error);
  return result;
}

}  // namespace mink
