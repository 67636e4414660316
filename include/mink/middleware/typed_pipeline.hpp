// mink/middleware/typed_pipeline.hpp — mink::Pipeline: middleware composed at compile time.
//
// The runtime pipeline (bus.Use) stores each middleware in a std::function and hands it a
// type-erased AnyCommand. A Pipeline is the same chain fixed at compile time: its stages are
// stored by value, each is called with the concrete command type, and `next` is a small
// object the compiler sees through — no std::function, no allocation, no virtual call between
// stages. Every built-in middleware works in both forms from one implementation.
//
//   mink::Pipeline pipeline{mink::RecoveryMiddleware(), mink::ValidationMiddleware(),
//                           mink::OnlyFor<mink::IsIdempotentCommand>(
//                               mink::IdempotencyMiddleware(config))};
//   bus.Register<AddItem>(pipeline, [](const mink::Context& ctx, const AddItem& cmd) { ... });
//   bus.Dispatch(ctx, AddItem{...});   // concrete type in, no AnyCommand on the way
//
// A stage is any type with
//   template <class C, class N> CommandResult operator()(const Context&, const C&, N&& next)
// that calls next(ctx, command) zero, one or several times. Stages run in the order given: the
// first is outermost. A stage whose call operator cannot take a command fails to compile with
// a message naming the Pipeline rule (static_assert), not a page of template errors.
//
// How the forms compose on a CommandBus: the runtime middleware (bus.Use) wrap every dispatch;
// a typed pipeline belongs to one handler (Register<C>(pipeline, fn)) and runs inside them.
// When the bus has no runtime middleware, Dispatch(ctx, C{...}) goes straight to the typed
// pipeline with the concrete C; with runtime middleware it is wrapped in an AnyCommand for
// them and unwrapped (no copy) for the typed stages. Order: runtime middleware in registration
// order, then the handler's typed stages in declaration order, then the handler function.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mink/context.hpp"
#include "mink/cqrs/command.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"

namespace mink {

// Compile-time command selectors for OnlyFor (a concept cannot be a template argument, so each
// is a trait over the concept of the same name in command.hpp).
template <class C>
struct IsIdempotentCommand : std::bool_constant<IdempotentCommand<C>> {};
template <class C>
struct IsAggregateCommand : std::bool_constant<AggregateCommand<C>> {};
template <class C>
struct IsJsonCommand : std::bool_constant<JsonCommand<C>> {};

// OnlyFor<Selector>(m): runs m only for commands whose type satisfies Selector<C>::value; others go
// straight to next. The choice is made per command type at compile time: no runtime check remains.
// In the runtime form (an AnyCommand), the selector cannot see the type, so OnlyFor refuses to
// compile there — use ConditionalMiddleware at run time.
template <template <class> class Selector, class M>
class SelectedMiddleware {
 public:
  explicit SelectedMiddleware(M middleware) : middleware_(std::move(middleware)) {}

  template <Command C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    if constexpr (Selector<C>::value) {
      return middleware_(ctx, command, std::forward<N>(next));
    } else {
      return next(ctx, command);
    }
  }

 private:
  M middleware_;
};

template <template <class> class Selector, class M>
SelectedMiddleware<Selector, M> OnlyFor(M middleware) {
  return SelectedMiddleware<Selector, M>(std::move(middleware));
}

template <class... Stages>
class Pipeline {
 public:
  constexpr Pipeline() = default;
  constexpr explicit Pipeline(Stages... stages) requires(sizeof...(Stages) > 0)
      : stages_(std::move(stages)...) {}

  // Runs every stage, then handler(ctx, command).
  template <Command C, class Handler>
  CommandResult operator()(const Context& ctx, const C& command, Handler& handler) const {
    constexpr bool kCallable =
        std::is_invocable_r_v<CommandResult, Handler&, const Context&, const C&>;
    static_assert(kCallable,
                  "mink::Pipeline: the handler must be callable as "
                  "handler(const mink::Context&, const Command&) -> mink::CommandResult");
    if constexpr (kCallable) {
      return Invoke<0>(ctx, command, handler);
    } else {
      return CommandResult{};
    }
  }

  static constexpr std::size_t size() noexcept { return sizeof...(Stages); }

 private:
  // The `next` handed to stage I-1: runs stage I onwards.
  template <std::size_t I, class C, class Handler>
  struct NextStage {
    const Pipeline* pipeline;
    Handler* handler;
    CommandResult operator()(const Context& ctx, const C& command) const {
      return pipeline->template Invoke<I>(ctx, command, *handler);
    }
  };

  template <std::size_t I, class C, class Handler>
  CommandResult Invoke(const Context& ctx, const C& command, Handler& handler) const {
    if constexpr (I == sizeof...(Stages)) {
      return handler(ctx, command);
    } else {
      using Stage = std::tuple_element_t<I, std::tuple<Stages...>>;
      using Next = NextStage<I + 1, C, Handler>;
      constexpr bool kCallable =
          std::is_invocable_r_v<CommandResult, const Stage&, const Context&, const C&, Next&>;
      static_assert(kCallable,
                    "mink::Pipeline: every stage must be callable as "
                    "stage(const mink::Context&, const Command&, Next&& next) -> "
                    "mink::CommandResult for this command type");
      if constexpr (kCallable) {  // only the static_assert speaks for a bad stage
        Next next{this, &handler};
        return std::get<I>(stages_)(ctx, command, next);
      } else {
        return CommandResult{};
      }
    }
  }

  std::tuple<Stages...> stages_;
};

template <class... Stages>
Pipeline(Stages...) -> Pipeline<Stages...>;

}  // namespace mink
