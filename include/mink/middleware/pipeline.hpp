// mink/middleware/pipeline.hpp — the command pipeline and its basic built-ins.
//
// A middleware is a plain callable that gets the context, the command and `next` (the rest
// of the pipeline) and returns the result. It may run code around next, replace the context
// it passes on, or short-circuit by returning or throwing without calling next:
//
//   bus.Use([](const mink::Context& ctx, const mink::AnyCommand& cmd, mink::Next next) {
//     if (cmd.CommandType() == "Blocked") return mink::NewErrorResult(mink::DomainError("no"));
//     return next(ctx.WithUserID("svc"), cmd);
//   });
//
// Middleware runs in registration order: the first registered is outermost. `next` is valid
// only during the call it was given to (it points into that dispatch); it may be called more
// than once (RetryMiddleware does) but must not be stored or called from another thread after
// the middleware returned. Middleware is called concurrently and must be thread safe.
//
// Built-ins here: ValidationMiddleware, RecoveryMiddleware, LoggingMiddleware,
// TimeoutMiddleware, ConditionalMiddleware, CommandTypeMiddleware. Elsewhere:
// RetryMiddleware (retry_middleware.hpp), MetricsMiddleware (metrics.hpp), and
// CorrelationIDMiddleware / CausationIDMiddleware / TenantMiddleware (id_middleware.hpp).
#pragma once

#include <cxxabi.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "mink/context.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/errors.hpp"
#include "mink/cqrs/handler.hpp"

namespace mink {

class Next;
using Middleware = std::function<CommandResult(const Context&, const AnyCommand&, Next)>;

// The rest of the pipeline: the middleware registered after the current one, then the handler.
class Next {
 public:
  CommandResult operator()(const Context& ctx, const AnyCommand& command) const {
    if (remaining_ == 0) return handler_->Handle(ctx, command);
    return (*middleware_)(ctx, command, Next(middleware_ + 1, remaining_ - 1, handler_));
  }

 private:
  friend class CommandBus;
  Next(const Middleware* middleware, std::size_t remaining, CommandHandler* handler) noexcept
      : middleware_(middleware), remaining_(remaining), handler_(handler) {}

  const Middleware* middleware_;
  std::size_t remaining_;
  CommandHandler* handler_;
};

// Calls command.Validate() before the handler. A ValidationError (or any mink::Error) from
// Validate propagates unchanged; any other exception becomes a ValidationError with its what().
inline Middleware ValidationMiddleware() {
  return [](const Context& ctx, const AnyCommand& command, Next next) {
    try {
      command.Validate();
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw ValidationError(std::string(command.CommandType()), "", e.what());
    }
    return next(ctx, command);
  };
}

namespace detail {
inline std::string DemangledTypeName(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

inline std::string CommandDataForDiagnostics(const AnyCommand& command) noexcept {
  try {
    return command.HasJson() ? command.Json().dump() : std::string();
  } catch (...) {
    return {};
  }
}
}  // namespace detail

// Turns any exception that is not a mink::Error into a PanicError carrying the command type,
// the exception's type and what(), the command's JSON and the original exception (cause()).
// mink::Error exceptions are already typed errors that callers branch on by code (a
// ConcurrencyError, a DomainError...), so they pass through unchanged.
inline Middleware RecoveryMiddleware() {
  return [](const Context& ctx, const AnyCommand& command, Next next) -> CommandResult {
    try {
      return next(ctx, command);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw PanicError(std::string(command.CommandType()),
                       detail::DemangledTypeName(typeid(e)) + ": " + e.what(),
                       detail::CommandDataForDiagnostics(command), std::current_exception());
    } catch (...) {
      throw PanicError(std::string(command.CommandType()), "unknown exception",
                       detail::CommandDataForDiagnostics(command), std::current_exception());
    }
  };
}

// Logs each dispatch through `logger`: "dispatching" at debug; completion at info with the
// duration, aggregate and version; an error result at warn; an exception at error (then
// rethrows it). Nothing is formatted for levels the logger does not emit.
inline Middleware LoggingMiddleware(
    std::shared_ptr<spdlog::logger> logger = spdlog::default_logger()) {
  if (!logger) throw Error(errc::kInvalidArgument, "LoggingMiddleware needs a logger");
  return [logger = std::move(logger)](const Context& ctx, const AnyCommand& command,
                                      Next next) -> CommandResult {
    using std::chrono::duration;
    const auto start = std::chrono::steady_clock::now();
    auto micros = [&] {
      return duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    };
    if (logger->should_log(spdlog::level::debug)) {
      logger->debug("dispatching command {} (id {})", command.CommandType(),
                    command.Base().GetCommandID());
    }
    try {
      CommandResult result = next(ctx, command);
      if (result.IsError()) {
        if (logger->should_log(spdlog::level::warn)) {
          logger->warn("command {} returned an error result after {:.1f}us: {}",
                       command.CommandType(), micros(), result.ErrorMessage());
        }
      } else if (logger->should_log(spdlog::level::info)) {
        logger->info("command {} completed in {:.1f}us (aggregate {}, version {})",
                     command.CommandType(), micros(), result.aggregate_id, result.version);
      }
      return result;
    } catch (...) {
      if (logger->should_log(spdlog::level::err)) {
        logger->error("command {} failed after {:.1f}us: {}", command.CommandType(), micros(),
                      ErrorMessage(std::current_exception()));
      }
      throw;
    }
  };
}

// Gives the rest of the pipeline a context whose deadline is at most `timeout` from now.
//
// The deadline is cooperative: C++ cannot stop a running thread, so a handler is never
// abandoned and Dispatch always waits for it. Every mink operation that takes the context
// (EventStore::Append, SaveAggregate, LoadAggregate, ctx.ThrowIfDone(), ctx.SleepFor())
// throws mink::Error(kDeadlineExceeded) once the deadline has passed, so a late handler cannot
// persist anything through it. A handler that ignores the deadline and finishes anyway has its
// result returned unchanged: the work it did is reported, never hidden behind a timeout error.
inline Middleware TimeoutMiddleware(Context::Clock::duration timeout) {
  if (timeout <= Context::Clock::duration::zero()) {
    throw Error(errc::kInvalidArgument, "TimeoutMiddleware needs a positive timeout");
  }
  return [timeout](const Context& ctx, const AnyCommand& command, Next next) {
    return next(ctx.WithTimeout(timeout), command);
  };
}

// Runs `middleware` for commands that satisfy `condition`; others go straight to next.
inline Middleware ConditionalMiddleware(std::function<bool(const AnyCommand&)> condition,
                                        Middleware middleware) {
  if (!condition || !middleware) {
    throw Error(errc::kInvalidArgument, "ConditionalMiddleware needs a condition and a middleware");
  }
  return [condition = std::move(condition), middleware = std::move(middleware)](
             const Context& ctx, const AnyCommand& command, Next next) {
    return condition(command) ? middleware(ctx, command, next) : next(ctx, command);
  };
}

// Runs `middleware` only for the listed command types.
inline Middleware CommandTypeMiddleware(std::vector<std::string> types, Middleware middleware) {
  auto set = std::make_shared<const std::set<std::string, std::less<>>>(types.begin(), types.end());
  return ConditionalMiddleware(
      [set](const AnyCommand& command) { return set->contains(command.CommandType()); },
      std::move(middleware));
}

}  // namespace mink
