// mink/middleware/recovery.hpp — RecoveryMiddleware: a non-mink exception becomes a PanicError.
//
// Turns any exception that is not a mink::Error into a PanicError carrying the command type,
// the exception's type and what(), the command's JSON and the original exception (Cause()).
// mink::Error exceptions are already typed errors that callers branch on by code (a
// ConcurrencyError, a DomainError...), so they pass through unchanged.
#pragma once

#include <string>
#include <string_view>

#include "mink/context.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"
#include "mink/cqrs/errors.hpp"
#include "mink/detail/config.hpp"

namespace mink {

namespace detail {
// The command's JSON for a diagnostic, "" when it has none or it cannot be encoded.
template <CommandLike C>
std::string CommandDataForDiagnostics(const C& command) noexcept {
  try {
    return HasCommandJson(command) ? CommandJsonOf(command).dump() : std::string();
  } catch (...) {
    return {};
  }
}

// Throws the PanicError for the exception being handled (call only inside a catch block).
[[noreturn]] MINK_API void ThrowPanicError(std::string_view command_type, std::string command_data);
}  // namespace detail

class RecoveryMiddleware {
 public:
  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    try {
      return next(ctx, command);
    } catch (const Error&) {
      throw;
    } catch (...) {
      detail::ThrowPanicError(CommandTypeOf(command), detail::CommandDataForDiagnostics(command));
    }
  }
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/middleware/recovery-inl.hpp"
#endif
