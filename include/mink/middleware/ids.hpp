// mink/middleware/ids.hpp — correlation, causation and tenant IDs for the dispatch context.
//
// These middleware put IDs on the Context the handler receives. EventStore copies a Context's
// correlation / causation / user / tenant IDs into the metadata of every event appended with
// it, so with them installed every event a handler stores says which request, which command
// and which tenant it came from — without the handler copying anything.
//
//   CorrelationIDMiddleware(generator)  context's ID if it has one; else the command's
//                                       GetCorrelationID(); else generator() (default: a random
//                                       UUIDv4 from OpenSSL's CSPRNG).
//   CausationIDMiddleware()             the command's GetCausationID() if set; else the
//                                       context's; else the command's own ID. The bus sets a
//                                       nested command's causation ID to the ID of the command
//                                       being handled, so its events point at that command.
//                                       (go-mink lets the context win; the command wins here
//                                       so a nested command does not inherit its parent's
//                                       causation.)
//   TenantMiddleware(resolver, required) context's tenant if it has one; else resolver(ctx,
//                                       cmd) (default: the command's GetTenantID()). No tenant
//                                       and `required` throws ValidationError{field "tenantId"}.
//
// All three are stateless apart from their generator / resolver, which must be thread safe.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "mink/cqrs/errors.hpp"
#include "mink/detail/uuid_pool.hpp"
#include "mink/middleware/pipeline.hpp"

namespace mink {

using IDGenerator = std::function<std::string()>;
using TenantResolver = std::function<std::string(const Context&, const AnyCommand&)>;

inline Middleware CorrelationIDMiddleware(IDGenerator generator = {}) {
  if (!generator) generator = [] { return detail::PooledUUID(); };
  return
      [generator = std::move(generator)](const Context& ctx, const AnyCommand& command, Next next) {
        if (!ctx.CorrelationID().empty()) return next(ctx, command);
        const std::string& own = command.Base().GetCorrelationID();
        return next(ctx.WithCorrelationID(own.empty() ? generator() : own), command);
      };
}

inline Middleware CausationIDMiddleware() {
  return [](const Context& ctx, const AnyCommand& command, Next next) {
    const CommandBase& base = command.Base();
    if (!base.GetCausationID().empty()) {
      if (ctx.CausationID() == base.GetCausationID()) return next(ctx, command);
      return next(ctx.WithCausationID(base.GetCausationID()), command);
    }
    if (!ctx.CausationID().empty() || base.GetCommandID().empty()) return next(ctx, command);
    return next(ctx.WithCausationID(base.GetCommandID()), command);
  };
}

inline Middleware TenantMiddleware(TenantResolver resolver = {}, bool required = false) {
  if (!resolver) {
    resolver = [](const Context&, const AnyCommand& command) {
      return command.Base().GetTenantID();
    };
  }
  return [resolver = std::move(resolver), required](const Context& ctx, const AnyCommand& command,
                                                    Next next) {
    if (!ctx.TenantID().empty()) return next(ctx, command);
    std::string tenant = resolver(ctx, command);
    if (tenant.empty()) {
      if (required) {
        throw ValidationError(std::string(command.CommandType()), "tenantId",
                              "tenant ID is required");
      }
      return next(ctx, command);
    }
    return next(ctx.WithTenantID(std::move(tenant)), command);
  };
}

}  // namespace mink
