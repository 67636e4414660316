// mink/middleware/conditional.hpp — ConditionalMiddleware and CommandTypeMiddleware: run a
// middleware for some commands only.
//
//   bus.Use(mink::CommandTypeMiddleware({"CreateOrder", "CancelOrder"}, mink::RetryMiddleware()));
//   bus.Use(mink::ConditionalMiddleware(
//       [](const mink::AnyCommand& cmd) { return cmd.Base().GetTenantID() == "beta"; },
//       mink::LoggingMiddleware(beta_logger)));
//
// The condition is called with the command as the pipeline holds it (an AnyCommand at run
// time, the concrete struct in a typed Pipeline; a generic lambda `[](const auto& cmd)` serves
// both). To select by C++ type at compile time in a typed pipeline, use mink::OnlyFor
// (typed_pipeline.hpp) instead: no runtime check at all.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mink/context.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"

namespace mink {

template <class Condition, class M>
class ConditionalMiddleware {
 public:
  ConditionalMiddleware(Condition condition, M middleware)
      : condition_(std::move(condition)), middleware_(std::move(middleware)) {
    bool empty = false;
    if constexpr (std::is_constructible_v<bool, const Condition&>) empty |= !condition_;
    if constexpr (std::is_constructible_v<bool, const M&>) empty |= !middleware_;
    if (empty) {
      throw Error(errc::kInvalidArgument,
                  "ConditionalMiddleware needs a condition and a middleware");
    }
  }

  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    return condition_(command) ? middleware_(ctx, command, next) : next(ctx, command);
  }

 private:
  Condition condition_;
  M middleware_;
};

namespace detail {
// True for the listed command types.
class CommandTypeSet {
 public:
  explicit CommandTypeSet(const std::vector<std::string>& types)
      : types_(std::make_shared<const std::set<std::string, std::less<>>>(types.begin(),
                                                                          types.end())) {}
  template <CommandLike C>
  bool operator()(const C& command) const {
    return types_->contains(CommandTypeOf(command));
  }

 private:
  std::shared_ptr<const std::set<std::string, std::less<>>> types_;
};
}  // namespace detail

// Runs `middleware` only for the listed command types.
template <class M>
ConditionalMiddleware<detail::CommandTypeSet, M> CommandTypeMiddleware(
    const std::vector<std::string>& types, M middleware) {
  return {detail::CommandTypeSet(types), std::move(middleware)};
}

}  // namespace mink
