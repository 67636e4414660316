// mink/middleware/retry.hpp — RetryMiddleware: run the rest of the pipeline again on failure.
//
// A failure is either an exception or an error result; both are retried (as in go-mink) while
// attempts remain and should_retry(error) agrees. The wait before retry n (n >= 1) is
// initial_delay * multiplier^(n-1), capped at max_delay. The wait ends early when the context
// is cancelled or its deadline passes: then Dispatch throws mink::Error(kCancelled or
// kDeadlineExceeded) and no further attempt runs. When attempts run out, or should_retry says
// no, the last failure is reported as it was (its exception rethrown, or its result returned).
//
//   bus.Use(mink::RetryMiddleware({.max_attempts = 5,
//                                  .initial_delay = 50ms,
//                                  .should_retry = [](const std::exception_ptr& e) {
//                                    return mink::ErrorIs(e,
//                                    mink::errc::kConcurrencyConflict);
//                                  }}));
//
// Retried handlers must be safe to run again (an AggregateHandler is: it reloads).
#pragma once

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <utility>

#include "mink/middleware/pipeline.hpp"

namespace mink {

struct RetryConfig {
  using Duration = std::chrono::steady_clock::duration;
  int max_attempts = 3;                                     // including the first; <= 0 means 1
  Duration initial_delay = std::chrono::milliseconds(100);  // <= 0 means 100ms
  Duration max_delay = std::chrono::seconds(5);             // <= 0 means 5s
  double multiplier = 2.0;                                  // <= 0 means 1.0
  // Decides whether a failure is worth another attempt; empty = retry every failure.
  std::function<bool(const std::exception_ptr&)> should_retry;
  // Observes each retry before its wait: the attempt that failed (1-based), the wait, the error.
  std::function<void(int, Duration, const std::exception_ptr&)> on_retry;
};

// go-mink's DefaultRetryConfig: 3 attempts, 100ms initial delay, 5s cap, multiplier 2.
inline RetryConfig DefaultRetryConfig() { return RetryConfig{}; }

inline Middleware RetryMiddleware(RetryConfig config = DefaultRetryConfig()) {
  using Duration = RetryConfig::Duration;
  if (config.max_attempts <= 0) config.max_attempts = 1;
  if (config.initial_delay <= Duration::zero())
    config.initial_delay = std::chrono::milliseconds(100);
  if (config.max_delay <= Duration::zero()) config.max_delay = std::chrono::seconds(5);
  if (config.multiplier <= 0) config.multiplier = 1.0;

  return [config = std::move(config)](const Context& ctx, const AnyCommand& command,
                                      Next next) -> CommandResult {
    Duration delay = config.initial_delay;
    for (int attempt = 1;; ++attempt) {
      CommandResult result;
      std::exception_ptr thrown;
      try {
        result = next(ctx, command);
        if (result.IsSuccess()) return result;
      } catch (...) {
        thrown = std::current_exception();
      }
      const std::exception_ptr& error = thrown ? thrown : result.error;
      const bool give_up =
          attempt >= config.max_attempts || (config.should_retry && !config.should_retry(error));
      if (give_up) {
        if (thrown) std::rethrow_exception(thrown);
        return result;
      }
      const Duration wait = std::min(delay, config.max_delay);
      if (config.on_retry) config.on_retry(attempt, wait, error);
      if (!ctx.SleepFor(wait)) {
        ctx.ThrowIfDone();
        throw Error(errc::kCancelled, "retry wait ended early");
      }
      const double next_delay = static_cast<double>(wait.count()) * config.multiplier;
      delay = next_delay >= static_cast<double>(config.max_delay.count())
                  ? config.max_delay
                  : Duration(static_cast<Duration::rep>(next_delay));
    }
  };
}

}  // namespace mink
