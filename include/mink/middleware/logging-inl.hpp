// mink/middleware/logging-inl.hpp — definitions for logging.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/middleware/logging.hpp"
#endif

#include <chrono>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

namespace mink {

MINK_INLINE LoggingMiddleware::LoggingMiddleware() : LoggingMiddleware(spdlog::default_logger()) {}

MINK_INLINE LoggingMiddleware::LoggingMiddleware(std::shared_ptr<spdlog::logger> logger)
    : logger_(std::move(logger)) {
  if (!logger_) throw Error(errc::kInvalidArgument, "LoggingMiddleware needs a logger");
}

MINK_INLINE CommandResult LoggingMiddleware::Run(std::string_view command_type,
                                                 std::string_view command_id,
                                                 detail::FunctionRef<CommandResult()> next) const {
  using std::chrono::duration;
  spdlog::logger& logger = *logger_;
  // The clock is read only when some outcome line can be emitted (warn is the lowest level
  // that reports a duration on every path).
  const bool timed = logger.should_log(spdlog::level::warn);
  const auto start =
      timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  auto micros = [&] {
    return duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  };
  if (logger.should_log(spdlog::level::debug)) {
    logger.debug("dispatching command {} (id {})", command_type, command_id);
  }
  try {
    CommandResult result = next();
    if (result.IsError()) {
      if (logger.should_log(spdlog::level::warn)) {
        logger.warn("command {} returned an error result after {:.1f}us: {}", command_type,
                    micros(), result.ErrorMessage());
      }
    } else if (logger.should_log(spdlog::level::info)) {
      logger.info("command {} completed in {:.1f}us (aggregate {}, version {})", command_type,
                  micros(), result.aggregate_id, result.version);
    }
    return result;
  } catch (...) {
    if (logger.should_log(spdlog::level::err)) {
      logger.error("command {} failed after {:.1f}us: {}", command_type, micros(),
                   ErrorMessage(std::current_exception()));
    }
    throw;
  }
}

}  // namespace mink
