// mink/middleware/timeout.hpp — TimeoutMiddleware: a deadline for the rest of the pipeline.
//
// Gives the rest of the pipeline a context whose deadline is at most `timeout` from now.
//
// The deadline is cooperative: C++ cannot stop a running thread, so a handler is never
// abandoned and Dispatch always waits for it. Every mink operation that takes the context
// (EventStore::Append, SaveAggregate, LoadAggregate, ctx.ThrowIfDone(), ctx.SleepFor())
// throws mink::Error(kDeadlineExceeded) once the deadline has passed, so a late handler cannot
// persist anything through it. A handler that ignores the deadline and finishes anyway has its
// result returned unchanged: the work it did is reported, never hidden behind a timeout error.
#pragma once

#include "mink/context.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"

namespace mink {

class TimeoutMiddleware {
 public:
  explicit TimeoutMiddleware(Context::Clock::duration timeout) : timeout_(timeout) {
    if (timeout <= Context::Clock::duration::zero()) {
      throw Error(errc::kInvalidArgument, "TimeoutMiddleware needs a positive timeout");
    }
  }

  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    return next(ctx.WithTimeout(timeout_), command);
  }

 private:
  Context::Clock::duration timeout_;
};

}  // namespace mink
