// mink/cqrs/command_view.hpp — what middleware may ask of a command, typed or type-erased.
//
// A middleware written once serves both pipelines: the runtime one hands it a mink::AnyCommand,
// a typed mink::Pipeline the concrete command struct. These free functions answer the same
// questions for either, so the middleware never needs a cast or a runtime type check:
//
//   CommandTypeOf(cmd)      "CreateOrder"
//   ValidateCommand(cmd)    runs cmd.Validate()
//   CommandBaseOf(cmd)      its IDs and metadata (an empty CommandBase when the struct has none)
//   HasCommandJson(cmd)     whether it has a JSON form; CommandJsonOf(cmd) that form (or null)
//   IdempotencyKeyOf(cmd)   its IdempotencyKey() (IdempotentCommand), else nullopt
//   AggregateIDOf(cmd)      its AggregateID() (AggregateCommand), else nullopt
//   CommandIDOf(ctx, cmd)   its ID: the CommandBase's, else the one the bus put on the context
//                           (a command struct without CommandBase keeps its ID there)
//
// AnyCommand answers through its own members, which are these same functions applied to the
// command it holds — one implementation of each rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "mink/context.hpp"
#include "mink/cqrs/command.hpp"

namespace mink {

class AnyCommand;

// A command as middleware sees it: a concrete Command or an AnyCommand.
template <class C>
concept CommandLike = Command<C> || std::same_as<C, AnyCommand>;

// The Context value under which the bus keeps the ID of the command being handled.
inline constexpr std::string_view kCurrentCommandIDKey = "mink.command_id";

// The ID of the command whose handling `ctx` belongs to, or "" outside a dispatch.
inline std::string CommandIDFromContext(const Context& ctx) {
  const std::string* id = ctx.Value<std::string>(kCurrentCommandIDKey);
  return id ? *id : std::string();
}

template <Command C>
constexpr std::string_view CommandTypeOf(const C&) noexcept {
  return C::kCommandType;
}

template <Command C>
void ValidateCommand(const C& command) {
  command.Validate();
}

namespace detail {
inline const CommandBase& EmptyCommandBase() noexcept {
  static const CommandBase empty;
  return empty;
}
}  // namespace detail

template <Command C>
const CommandBase& CommandBaseOf(const C& command) noexcept {
  if constexpr (std::is_base_of_v<CommandBase, C>) {
    return command;
  } else {
    return detail::EmptyCommandBase();
  }
}

template <Command C>
constexpr bool HasCommandJson(const C&) noexcept {
  return JsonCommand<C>;
}

template <Command C>
nlohmann::json CommandJsonOf(const C& command) {
  if constexpr (JsonCommand<C>) {
    return nlohmann::json(command);
  } else {
    return nullptr;
  }
}

template <Command C>
std::optional<std::string> IdempotencyKeyOf(const C& command) {
  if constexpr (IdempotentCommand<C>) {
    return std::string(command.IdempotencyKey());
  } else {
    return std::nullopt;
  }
}

template <Command C>
std::optional<std::string> AggregateIDOf(const C& command) {
  if constexpr (AggregateCommand<C>) {
    return std::string(command.AggregateID());
  } else {
    return std::nullopt;
  }
}

// The command's ID as both pipeline forms see it (see the table at the top).
template <CommandLike C>
std::string CommandIDOf(const Context& ctx, const C& command) {
  const std::string& own = CommandBaseOf(command).GetCommandID();
  return own.empty() ? CommandIDFromContext(ctx) : own;
}

}  // namespace mink
