// mink/cqrs/any_command.hpp — mink::AnyCommand, one command of any type, as middleware sees it.
//
// Dispatch wraps the typed command in an AnyCommand; middleware and handlers read it through
// this interface, and typed code gets the command back without casts:
//
//   std::string_view type = cmd.CommandType();          // "CreateOrder"
//   if (const auto* c = cmd.Get<CreateOrder>()) ...      // nullptr when it is another type
//   const CreateOrder& c = cmd.As<CreateOrder>();        // throws kInvalidArgument otherwise
//   nlohmann::json j = cmd.Json();                       // null when the type has no to_json
//   std::optional<std::string> key = cmd.IdempotencyKey();   // IdempotentCommand only
//   std::optional<std::string> id = cmd.AggregateID();       // AggregateCommand only
//   const mink::CommandBase& ids = cmd.Base();           // IDs and metadata
//
// Base() is the command's own CommandBase when it derives from one; otherwise an envelope the
// bus keeps for it, so every dispatched command has an ID. Json() is the command's own to_json
// (nlohmann objects keep keys sorted, so dump() is canonical); it does not include the
// CommandBase IDs, so two dispatches of the same payload give the same JSON.
//
// AnyCommand is a value type (copying copies the command). It is not synchronised: share it
// between threads only for reading.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/cqrs/command.hpp"
#include "mink/cqrs/command_view.hpp"
#include "mink/detail/config.hpp"
#include "mink/es/errors.hpp"

namespace mink {

namespace detail {
// kInvalidArgument: `command` is not the C++ type registered under `expected`.
MINK_API Error WrongCommandTypeError(std::string_view expected, const AnyCommand& command);
}  // namespace detail

class AnyCommand {
 public:
  template <Command C>
  requires(!std::same_as<std::remove_cvref_t<C>, AnyCommand>)
      AnyCommand(C command)  // NOLINT(google-explicit-constructor): a command is an AnyCommand
      : holder_(std::make_unique<Holder<C>>(std::move(command))) {}

  AnyCommand(const AnyCommand& other) : holder_(other.holder_ ? other.holder_->Clone() : nullptr) {}
  AnyCommand& operator=(const AnyCommand& other) {
    if (this != &other) holder_ = other.holder_ ? other.holder_->Clone() : nullptr;
    return *this;
  }
  AnyCommand(AnyCommand&&) noexcept = default;
  AnyCommand& operator=(AnyCommand&&) noexcept = default;
  ~AnyCommand() = default;

  // False only for a moved-from AnyCommand.
  explicit operator bool() const noexcept { return holder_ != nullptr; }

  std::string_view CommandType() const { return holder().Type(); }
  void Validate() const { holder().Validate(); }
  nlohmann::json Json() const { return holder().Json(); }
  bool HasJson() const { return holder().HasJson(); }
  std::optional<std::string> IdempotencyKey() const { return holder().IdempotencyKey(); }
  std::optional<std::string> AggregateID() const { return holder().AggregateID(); }
  const CommandBase& Base() const { return holder().Base(); }
  CommandBase& MutableBase() { return holder().Base(); }

  template <Command T>
  bool Is() const noexcept {
    return holder_ != nullptr && holder_->TypeInfo() == typeid(T);
  }
  template <Command T>
  const T* Get() const noexcept {
    return Is<T>() ? &static_cast<const Holder<T>&>(*holder_).command : nullptr;
  }
  template <Command T>
  const T& As() const {
    if (const T* c = Get<T>()) return *c;
    throw detail::WrongCommandTypeError(T::kCommandType, *this);
  }

 private:
  struct HolderBase {
    virtual ~HolderBase() = default;
    virtual std::unique_ptr<HolderBase> Clone() const = 0;
    virtual std::string_view Type() const noexcept = 0;
    virtual const std::type_info& TypeInfo() const noexcept = 0;
    virtual void Validate() const = 0;
    virtual nlohmann::json Json() const = 0;
    virtual bool HasJson() const noexcept = 0;
    virtual std::optional<std::string> IdempotencyKey() const = 0;
    virtual std::optional<std::string> AggregateID() const = 0;
    virtual CommandBase& Base() noexcept = 0;
  };

  struct NoBase {};
  template <class C>
  struct Holder final : HolderBase {
    static constexpr bool kHasBase = std::is_base_of_v<CommandBase, C>;
    explicit Holder(C c) : command(std::move(c)) {}

    std::unique_ptr<HolderBase> Clone() const override { return std::make_unique<Holder>(*this); }
    std::string_view Type() const noexcept override { return CommandTypeOf(command); }
    const std::type_info& TypeInfo() const noexcept override { return typeid(C); }
    void Validate() const override { ValidateCommand(command); }
    nlohmann::json Json() const override { return CommandJsonOf(command); }
    bool HasJson() const noexcept override { return HasCommandJson(command); }
    std::optional<std::string> IdempotencyKey() const override { return IdempotencyKeyOf(command); }
    std::optional<std::string> AggregateID() const override { return AggregateIDOf(command); }
    CommandBase& Base() noexcept override {
      if constexpr (kHasBase) {
        return command;
      } else {
        return envelope;
      }
    }

    C command;
    [[no_unique_address]] std::conditional_t<kHasBase, NoBase, CommandBase> envelope;
  };

  HolderBase& holder() const {
    if (!holder_) throw Error(errc::kInvalidArgument, "empty (moved-from) AnyCommand");
    return *holder_;
  }

  std::unique_ptr<HolderBase> holder_;
};

// The command_view.hpp questions, answered for a type-erased command.
inline std::string_view CommandTypeOf(const AnyCommand& command) { return command.CommandType(); }
inline void ValidateCommand(const AnyCommand& command) { command.Validate(); }
inline const CommandBase& CommandBaseOf(const AnyCommand& command) { return command.Base(); }
inline bool HasCommandJson(const AnyCommand& command) { return command.HasJson(); }
inline nlohmann::json CommandJsonOf(const AnyCommand& command) { return command.Json(); }
inline std::optional<std::string> IdempotencyKeyOf(const AnyCommand& command) {
  return command.IdempotencyKey();
}
inline std::optional<std::string> AggregateIDOf(const AnyCommand& command) {
  return command.AggregateID();
}

// The commands a saga or a batch hands to CommandBus::DispatchAll.
using Commands = std::vector<AnyCommand>;

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/cqrs/any_command-inl.hpp"
#endif
