// mink/middleware/correlation.hpp — CorrelationIDMiddleware: every dispatch has a correlation
// ID.
//
// Puts a correlation ID on the Context the handler receives: the context's own if it has one;
// else the command's GetCorrelationID(); else generator() (default: a random UUIDv4 from
// OpenSSL's CSPRNG). EventStore copies a Context's correlation / causation / user / tenant IDs
// into the metadata of every event appended with it, so every event a handler stores says which
// request it came from — without the handler copying anything. See also causation.hpp and
// tenant.hpp. The generator must be thread safe.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "mink/context.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"
#include "mink/detail/uuid_pool.hpp"

namespace mink {

using IDGenerator = std::function<std::string()>;

class CorrelationIDMiddleware {
 public:
  explicit CorrelationIDMiddleware(IDGenerator generator = {}) : generator_(std::move(generator)) {}

  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    if (!ctx.CorrelationID().empty()) return next(ctx, command);
    const std::string& own = CommandBaseOf(command).GetCorrelationID();
    if (!own.empty()) return next(ctx.WithCorrelationID(own), command);
    return next(ctx.WithCorrelationID(generator_ ? generator_() : detail::PooledUUID()), command);
  }

 private:
  IDGenerator generator_;
};

}  // namespace mink
