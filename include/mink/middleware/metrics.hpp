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

#include "mink/context.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"
#include "mink/detail/config.hpp"
#include "mink/detail/function_ref.hpp"

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

class MINK_API MetricsMiddleware {
 public:
  explicit MetricsMiddleware(std::shared_ptr<MetricsRecorder> recorder);

  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    return Run(CommandTypeOf(command), [&]() -> CommandResult { return next(ctx, command); });
  }

 private:
  CommandResult Run(std::string_view command_type, detail::FunctionRef<CommandResult()> next) const;

  std::shared_ptr<MetricsRecorder> recorder_;
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/middleware/metrics-inl.hpp"
#endif
