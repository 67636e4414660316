// mink/middleware/metrics.hpp — MetricsRecorder, the seam for command metrics, and
// MetricsMiddleware.
//
// The core only defines the interface; mink::prometheus::CommandMetrics (target
// mink::prometheus) implements it with prometheus-cpp. For every dispatch that reaches it,
// MetricsMiddleware calls CommandStarted once and RecordCommand once — also when the rest of
// the pipeline throws (recorded as a failure, then rethrown) or returns an error result.
//
//   auto metrics = std::make_shared<mink::prometheus::CommandMetrics>(registry);
//   bus.Use(mink::MetricsMiddleware(metrics));
//
// Recorders are called concurrently from every dispatching thread and must be thread safe.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <string_view>
#include <utility>

#include "mink/middleware/pipeline.hpp"

namespace mink {

class MetricsRecorder {
 public:
  virtual ~MetricsRecorder() = default;
  // A command entered the pipeline (e.g. to count commands in flight).
  virtual void CommandStarted(std::string_view command_type) { (void)command_type; }
  // A command left it. `success` is false for an exception or an error result; `error` is the
  // exception or the result's error (null on success).
  virtual void RecordCommand(std::string_view command_type, std::chrono::nanoseconds duration,
                             bool success, const std::exception_ptr& error) = 0;
};

// go-mink's name for the same interface.
using MetricsCollector = MetricsRecorder;

inline Middleware MetricsMiddleware(std::shared_ptr<MetricsRecorder> recorder) {
  if (!recorder) throw Error(errc::kInvalidArgument, "MetricsMiddleware needs a recorder");
  return [recorder = std::move(recorder)](const Context& ctx, const AnyCommand& command,
                                          Next next) -> CommandResult {
    const std::string_view type = command.CommandType();
    recorder->CommandStarted(type);
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                  start);
    };
    // A recorder that throws must neither fail a command that ran nor be called twice.
    auto record = [&](bool success, const std::exception_ptr& error) noexcept {
      try {
        recorder->RecordCommand(type, elapsed(), success, error);
      } catch (...) {
      }
    };
    CommandResult result;
    try {
      result = next(ctx, command);
    } catch (...) {
      record(false, std::current_exception());
      throw;
    }
    record(result.IsSuccess(), result.error);
    return result;
  };
}

}  // namespace mink
