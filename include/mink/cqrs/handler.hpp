// mink/cqrs/handler.hpp — the handlers a CommandBus routes commands to.
//
// Three ways to write one:
//   * a struct deriving from CommandHandler (CommandType() + Handle(ctx, AnyCommand));
//   * CommandBus::RegisterFunc(type, fn) / NewCommandHandlerFunc(type, fn) for a lambda on
//     AnyCommand;
//   * NewGenericHandler<C>(fn) for a lambda on the typed command, without casts:
//
//       bus.Register(mink::NewGenericHandler<CreateOrder>(
//           [&](const mink::Context& ctx, const CreateOrder& cmd) {
//             ...
//             return mink::NewSuccessResult(id, version);
//           }));
//
// (NewAggregateHandler, in aggregate_handler.hpp, loads and saves an aggregate around a lambda.)
//
// The bus calls Handle concurrently from every dispatching thread: handlers must be thread
// safe. A handler reports failure by throwing (Dispatch rethrows it) or by returning an error
// result (see command_result.hpp).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "mink/context.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/cqrs/command.hpp"
#include "mink/cqrs/command_result.hpp"

namespace mink {

class CommandHandler {
 public:
  virtual ~CommandHandler() = default;
  virtual std::string CommandType() const = 0;
  virtual CommandResult Handle(const Context& ctx, const AnyCommand& command) = 0;
  // The C++ type a TypedCommandHandler handles, so the bus can hand it the concrete command
  // without erasing it; null for handlers of AnyCommand.
  virtual const std::type_info* TypedCommand() const noexcept { return nullptr; }
};

// A handler of one concrete command type C. Handle(AnyCommand) checks the C++ type and calls
// HandleTyped; the bus calls HandleTyped directly when it holds a C (see CommandBus::Dispatch).
// An AnyCommand of another C++ type under the same type name (two structs sharing a
// kCommandType) gives an error result (kInvalidArgument) and HandleTyped is not called, as in
// go-mink.
template <Command C>
class TypedCommandHandler : public CommandHandler {
 public:
  virtual CommandResult HandleTyped(const Context& ctx, const C& command) = 0;

  std::string CommandType() const override { return std::string(C::kCommandType); }
  CommandResult Handle(const Context& ctx, const AnyCommand& command) final {
    const C* typed = command.Get<C>();
    if (typed == nullptr) {
      return NewErrorResult(detail::WrongCommandTypeError(C::kCommandType, command));
    }
    return HandleTyped(ctx, *typed);
  }
  const std::type_info* TypedCommand() const noexcept final { return &typeid(C); }
};

using CommandHandlerFn = std::function<CommandResult(const Context&, const AnyCommand&)>;

class CommandHandlerFunc final : public CommandHandler {
 public:
  CommandHandlerFunc(std::string command_type, CommandHandlerFn fn)
      : command_type_(std::move(command_type)), fn_(std::move(fn)) {
    if (command_type_.empty()) throw Error(errc::kInvalidArgument, "command type is empty");
    if (!fn_) throw Error(errc::kInvalidArgument, "handler function is empty");
  }
  std::string CommandType() const override { return command_type_; }
  CommandResult Handle(const Context& ctx, const AnyCommand& command) override {
    return fn_(ctx, command);
  }

 private:
  std::string command_type_;
  CommandHandlerFn fn_;
};

inline std::shared_ptr<CommandHandlerFunc> NewCommandHandlerFunc(std::string command_type,
                                                                 CommandHandlerFn fn) {
  return std::make_shared<CommandHandlerFunc>(std::move(command_type), std::move(fn));
}

// Handles C with a function.
template <Command C>
class GenericHandler final : public TypedCommandHandler<C> {
 public:
  using Fn = std::function<CommandResult(const Context&, const C&)>;

  explicit GenericHandler(Fn fn) : fn_(std::move(fn)) {
    if (!fn_) throw Error(errc::kInvalidArgument, "handler function is empty");
  }
  CommandResult HandleTyped(const Context& ctx, const C& command) override {
    return fn_(ctx, command);
  }

 private:
  Fn fn_;
};

template <Command C, class F>
requires std::is_invocable_r_v<CommandResult, F&, const Context&, const C&>
    std::shared_ptr<GenericHandler<C>> NewGenericHandler(F fn) {
  return std::make_shared<GenericHandler<C>>(typename GenericHandler<C>::Fn(std::move(fn)));
}

// Handles C with `fn` behind a typed, compile-time pipeline (mink::Pipeline, typed_pipeline.hpp,
// or any callable `pipeline(ctx, command, handler)`): no std::function, no allocation and no
// virtual call between the stages.
template <Command C, class P, class F>
class PipelineHandler final : public TypedCommandHandler<C> {
 public:
  PipelineHandler(P pipeline, F fn) : pipeline_(std::move(pipeline)), fn_(std::move(fn)) {}
  CommandResult HandleTyped(const Context& ctx, const C& command) override {
    return pipeline_(ctx, command, fn_);
  }

 private:
  P pipeline_;
  F fn_;
};

template <Command C, class P, class F>
requires std::is_invocable_r_v<CommandResult, F&, const Context&, const C&>
    std::shared_ptr<PipelineHandler<C, P, F>> NewPipelineHandler(P pipeline, F fn) {
  return std::make_shared<PipelineHandler<C, P, F>>(std::move(pipeline), std::move(fn));
}

}  // namespace mink
