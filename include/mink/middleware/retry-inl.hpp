// mink/middleware/retry-inl.hpp — definitions for retry.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/middleware/retry.hpp"
#endif

#include <algorithm>

#include <utility>
#include "mink/cqrs/errors.hpp"
#include "mink/es/errors.hpp"

namespace mink {

MINK_INLINE RetryMiddleware::RetryMiddleware(RetryConfig config) : config_(std::move(config)) {
  using Duration = RetryConfig::Duration;
  if (config_.max_attempts <= 0) config_.max_attempts = 1;
  if (config_.initial_delay <= Duration::zero()) {
    config_.initial_delay = std::chrono::milliseconds(100);
  }
  if (config_.max_delay <= Duration::zero()) config_.max_delay = std::chrono::seconds(5);
  if (config_.multiplier <= 0) config_.multiplier = 1.0;
  if (!config_.should_retry) config_.should_retry = IsTransientFailure;
}

MINK_INLINE bool IsTransientFailure(const std::exception_ptr& error) noexcept {
  return ErrorIs(error, errc::kConcurrencyConflict) || ErrorIs(error, errc::kConnectionFailed) ||
         ErrorIs(error, errc::kDeadlineExceeded) || ErrorIs(error, errc::kBusOverloaded);
}

MINK_INLINE CommandResult RetryMiddleware::Run(const Context& ctx,
                                               detail::FunctionRef<CommandResult()> next) const {
  using Duration = RetryConfig::Duration;
  Duration delay = config_.initial_delay;
  for (int attempt = 1;; ++attempt) {
    CommandResult result;
    std::exception_ptr thrown;
    try {
      result = next();
      if (result.IsSuccess()) return result;
    } catch (...) {
      thrown = std::current_exception();
    }
    const std::exception_ptr& error = thrown ? thrown : result.error;
    const bool give_up = attempt >= config_.max_attempts || !config_.should_retry(error);
    if (give_up) {
      if (thrown) std::rethrow_exception(thrown);
      return result;
    }
    const Duration wait = std::min(delay, config_.max_delay);
    if (config_.on_retry) config_.on_retry(attempt, wait, error);
    if (!ctx.SleepFor(wait)) {
      ctx.ThrowIfDone();
      throw Error(errc::kCancelled, "retry wait ended early");
    }
    const double next_delay = static_cast<double>(wait.count()) * config_.multiplier;
    delay = next_delay >= static_cast<double>(config_.max_delay.count())
                ? config_.max_delay
                : Duration(static_cast<Duration::rep>(next_delay));
  }
}

}  // namespace mink
