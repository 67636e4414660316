// mink/middleware/logging.hpp — LoggingMiddleware: one log line per dispatch outcome.
//
// Logs each dispatch through `logger` (default: spdlog's default logger): "dispatching" at
// debug; completion at info with the duration, aggregate and version; an error result at warn;
// an exception at error (then rethrows it). Nothing is formatted for levels the logger does
// not emit. The body is compiled (src/middleware.cpp), so this header does not pull spdlog
// into every translation unit: include <spdlog/spdlog.h> yourself to build a logger.
#pragma once

#include <memory>
#include <string_view>

#include "mink/context.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"
#include "mink/detail/config.hpp"
#include "mink/detail/function_ref.hpp"

namespace spdlog {
class logger;
}

namespace mink {

class MINK_API LoggingMiddleware {
 public:
  LoggingMiddleware();  // spdlog::default_logger()
  explicit LoggingMiddleware(std::shared_ptr<spdlog::logger> logger);

  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    return Run(CommandTypeOf(command), CommandIDOf(ctx, command),
               [&]() -> CommandResult { return next(ctx, command); });
  }

 private:
  CommandResult Run(std::string_view command_type, std::string_view command_id,
                    detail::FunctionRef<CommandResult()> next) const;

  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/middleware/logging-inl.hpp"
#endif
