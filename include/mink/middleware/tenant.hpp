// mink/middleware/tenant.hpp — TenantMiddleware: the tenant a dispatch works for.
//
// The context's tenant if it has one; else resolver(ctx, cmd) (default, an empty resolver: the
// command's GetTenantID()). No tenant and `required` throws ValidationError{field "tenantId"}.
// A custom resolver sees an AnyCommand; in a typed Pipeline that costs one copy of the command
// per dispatch, which the default resolver avoids. The resolver must be thread safe.
//
// go-mink's TenantMiddleware(func(ctx) string) shape takes a resolver of the context alone
// (no command, so no copy in either form):
//
//   bus.Use(mink::TenantMiddleware([](const mink::Context& ctx) {
//     const std::string* t = ctx.Value<std::string>("tenantID");
//     return t ? *t : std::string();
//   }));
#pragma once

#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "mink/context.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"
#include "mink/cqrs/errors.hpp"

namespace mink {

using TenantResolver = std::function<std::string(const Context&, const AnyCommand&)>;
using TenantContextResolver = std::function<std::string(const Context&)>;

class TenantMiddleware {
 public:
  explicit TenantMiddleware(TenantResolver resolver = {}, bool required = false)
      : resolver_(std::move(resolver)), required_(required) {}
  // A resolver of the context alone (a template, so that nullptr or {} still pick the
  // constructor above).
  template <class F>
  requires std::is_invocable_r_v<std::string, const F&, const Context&>
  explicit TenantMiddleware(F resolver, bool required = false)
      : context_resolver_(std::move(resolver)), required_(required) {}

  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    if (!ctx.TenantID().empty()) return next(ctx, command);
    std::string tenant = context_resolver_ ? context_resolver_(ctx)
                         : resolver_       ? Resolve(ctx, command)
                                           : CommandBaseOf(command).GetTenantID();
    if (tenant.empty()) {
      if (required_) {
        throw ValidationError(std::string(CommandTypeOf(command)), "tenantId",
                              "tenant ID is required");
      }
      return next(ctx, command);
    }
    return next(ctx.WithTenantID(std::move(tenant)), command);
  }

 private:
  template <CommandLike C>
  std::string Resolve(const Context& ctx, const C& command) const {
    if constexpr (std::is_same_v<C, AnyCommand>) {
      return resolver_(ctx, command);
    } else {
      return resolver_(ctx, AnyCommand(command));
    }
  }

  TenantResolver resolver_;
  TenantContextResolver context_resolver_;
  bool required_;
};

}  // namespace mink
