// mink/middleware/causation.hpp — CausationIDMiddleware: events point at the command that
// caused them.
//
// The command's GetCausationID() if set; else the context's; else the command's own ID. The bus
// sets a nested command's causation ID to the ID of the command being handled, so its events
// point at that command. (go-mink lets the context win; the command wins here so a nested
// command does not inherit its parent's causation.)
#pragma once

#include <string>
#include <utility>

#include "mink/context.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"

namespace mink {

class CausationIDMiddleware {
 public:
  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    const CommandBase& base = CommandBaseOf(command);
    if (!base.GetCausationID().empty()) {
      if (ctx.CausationID() == base.GetCausationID()) return next(ctx, command);
      return next(ctx.WithCausationID(base.GetCausationID()), command);
    }
    if (!ctx.CausationID().empty()) return next(ctx, command);
    std::string id = CommandIDOf(ctx, command);
    if (id.empty()) return next(ctx, command);
    return next(ctx.WithCausationID(std::move(id)), command);
  }
};

}  // namespace mink
