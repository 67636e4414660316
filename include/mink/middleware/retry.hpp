// mink/middleware/retry.hpp — RetryMiddleware: run the rest of the pipeline again on failure.
//
// A failure is either an exception or an error result; both are retried while attempts remain
// and should_retry(error) agrees. Without should_retry only transient failures are retried
// (IsTransientFailure: a concurrency conflict, a lost connection, a deadline, an overloaded
// bus); a validation failure, a domain error, a handler's own exception or an outcome that may
// have been committed (kOutcomeUnknown) is reported at once — unlike go-mink, which retries
// every failure (pass should_retry = RetryAnyFailure for that). The wait before retry n (n >= 1) is
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

#include <chrono>
#include <exception>
#include <functional>

#include "mink/context.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"
#include "mink/detail/config.hpp"
#include "mink/detail/function_ref.hpp"

namespace mink {

struct RetryConfig {
  using Duration = std::chrono::steady_clock::duration;
  int max_attempts = 3;                                     // including the first; <= 0 means 1
  Duration initial_delay = std::chrono::milliseconds(100);  // <= 0 means 100ms
  Duration max_delay = std::chrono::seconds(5);             // <= 0 means 5s
  double multiplier = 2.0;                                  // <= 0 means 1.0
  // Decides whether a failure is worth another attempt; empty = IsTransientFailure.
  std::function<bool(const std::exception_ptr&)> should_retry;
  // Observes each retry before its wait: the attempt that failed (1-based), the wait, the error.
  std::function<void(int, Duration, const std::exception_ptr&)> on_retry;
};

// go-mink's DefaultRetryConfig: 3 attempts, 100ms initial delay, 5s cap, multiplier 2.
inline RetryConfig DefaultRetryConfig() { return RetryConfig{}; }

// The default should_retry: true for kConcurrencyConflict, kConnectionFailed,
// kDeadlineExceeded and kBusOverloaded (anywhere in the error's cause chain), false for
// everything else, including exceptions that are not mink::Error.
MINK_API bool IsTransientFailure(const std::exception_ptr& error) noexcept;
// A should_retry that retries every failure (go-mink's behaviour).
inline bool RetryAnyFailure(const std::exception_ptr&) noexcept { return true; }

class MINK_API RetryMiddleware {
 public:
  explicit RetryMiddleware(RetryConfig config = DefaultRetryConfig());
  // go-mink's RetryMiddleware(3, time.Second): `max_attempts` attempts, `initial_delay` before
  // the first retry, the other settings as DefaultRetryConfig.
  RetryMiddleware(int max_attempts, RetryConfig::Duration initial_delay)
      : RetryMiddleware(RetryConfig{.max_attempts = max_attempts, .initial_delay = initial_delay}) {
  }

  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    return Run(ctx, [&]() -> CommandResult { return next(ctx, command); });
  }

 private:
  CommandResult Run(const Context& ctx, detail::FunctionRef<CommandResult()> attempt) const;

  RetryConfig config_;
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/middleware/retry-inl.hpp"
#endif
