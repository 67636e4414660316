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
// This is the runtime form (bus.Use, go-mink's shape). The built-ins (one header each in this
// folder) are types with a templated call operator, so the same object also serves as a stage
// of a typed, compile-time mink::Pipeline (typed_pipeline.hpp): one implementation, two forms.
#pragma once

#include <cstddef>
#include <functional>

#include "mink/context.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/cqrs/command_result.hpp"
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

}  // namespace mink
