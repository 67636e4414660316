// mink/cqrs/command_bus.hpp — CommandBus: routes each command through the middleware to its
// handler.
//
//   mink::CommandBus bus;
//   bus.Use(mink::ValidationMiddleware());
//   bus.Register(mink::NewGenericHandler<CreateOrder>(handle_create_order));
//   mink::CommandResult r = bus.Dispatch(ctx, CreateOrder{.customer_id = "cust-1"});
//
// Dispatch, in order: refuse a done context (kCancelled / kDeadlineExceeded) or a closed bus
// (kCommandBusClosed); find the handler (HandlerNotFoundError — no middleware runs); give the
// command an ID if it has none; when called from inside another command's handling (the
// context carries that command's ID), make that command the new one's causation unless it
// has one; then run the middleware in registration order (the first registered is outermost)
// and the handler. Failures come back as exceptions or error results (command_result.hpp).
//
// Thread safety: every method may be called concurrently. Register and Use take effect for
// dispatches that start after they return; a dispatch works on the handlers and middleware
// that were registered when it started. Close() refuses new dispatches and blocks until the
// in-flight ones (DispatchAsync included) have finished; calling it from inside a handler of
// the same bus would wait for itself, so that throws kInvalidArgument instead. The destructor
// closes the bus.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <future>
#include <iterator>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mink/context.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/cqrs/command.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/errors.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/detail/config.hpp"
#include "mink/detail/string_hash.hpp"
#include "mink/middleware/pipeline.hpp"

namespace mink {

// One outcome of DispatchAll: `error` is what Dispatch threw (then `result` is an error result
// holding the same exception), otherwise `result` is what it returned.
struct DispatchResult {
  CommandResult result;
  std::exception_ptr error;
  bool IsSuccess() const noexcept { return !error && result.IsSuccess(); }
};

class MINK_API CommandBus {
 public:
  CommandBus() : state_(std::make_shared<const State>()) {}
  CommandBus(const CommandBus&) = delete;
  CommandBus& operator=(const CommandBus&) = delete;
  ~CommandBus() { Close(); }

  // ---- registration ----

  // Routes handler->CommandType() to `handler`, replacing any handler registered for it.
  void Register(std::shared_ptr<CommandHandler> handler);
  void RegisterFunc(std::string command_type, CommandHandlerFn fn);
  // Routes C to `fn` behind a typed, compile-time `pipeline` (typed_pipeline.hpp): a concrete C
  // dispatched while the bus has no runtime middleware runs pipeline and fn with no type
  // erasure at all.
  template <Command C, class P, class F>
  void Register(P pipeline, F fn) {
    Register(NewPipelineHandler<C>(std::move(pipeline), std::move(fn)));
  }

  // Appends middleware; the first ever registered runs outermost.
  template <class... Ms>
  void Use(Ms&&... middleware) {
    UseAll({Middleware(std::forward<Ms>(middleware))...});
  }

  bool HasHandler(std::string_view command_type) const;
  std::size_t HandlerCount() const;
  std::size_t MiddlewareCount() const;

  // ---- dispatch ----

  // A concrete command whose handler was registered for its C++ type (NewGenericHandler,
  // Register<C>(pipeline, fn)) goes to it unerased when the bus has no runtime middleware;
  // otherwise it is wrapped in an AnyCommand and runs the runtime middleware first.
  template <Command C>
  CommandResult Dispatch(const Context& ctx, C command) {
    if constexpr (std::is_base_of_v<CommandBase, C>) {
      TypedDispatch typed(*this, ctx, C::kCommandType, typeid(C), command);
      if (typed.handler != nullptr) {
        return static_cast<TypedCommandHandler<C>*>(typed.handler)
            ->HandleTyped(typed.context, command);
      }
      return typed.RunErased(AnyCommand(std::move(command)));
    } else {
      return Dispatch(ctx, AnyCommand(std::move(command)));
    }
  }

  CommandResult Dispatch(const Context& ctx, AnyCommand command);

  // Dispatches on a new thread. Every outcome, exceptions included, arrives through the
  // future. The dispatch counts as in flight from this call on, so Close() (and the
  // destructor) wait for it and join its thread: no dispatch thread outlives the bus.
  template <Command C>
  std::future<CommandResult> DispatchAsync(const Context& ctx, C command) {
    return DispatchAsync(ctx, AnyCommand(std::move(command)));
  }

  std::future<CommandResult> DispatchAsync(const Context& ctx, AnyCommand command);

  // Dispatches the commands one after another; a failure does not stop the rest. When the
  // context is done after a dispatch, the commands not yet dispatched are not run and their
  // entries hold mink::Error(kCancelled / kDeadlineExceeded). One entry per command, in order.
  std::vector<DispatchResult> DispatchAll(const Context& ctx, std::vector<AnyCommand> commands);

  template <Command... Cs>
  requires(sizeof...(Cs) > 0) std::vector<DispatchResult> DispatchAll(const Context& ctx,
                                                                      Cs... commands) {
    std::vector<AnyCommand> all;
    all.reserve(sizeof...(Cs));
    (all.emplace_back(std::move(commands)), ...);
    return DispatchAll(ctx, std::move(all));
  }

  // ---- lifecycle ----

  // Refuses new dispatches, then waits for the in-flight ones. Idempotent.
  void Close();
  bool IsClosed() const;

 private:
  struct State {
    std::unordered_map<std::string, std::shared_ptr<CommandHandler>, detail::StringHash,
                       std::equal_to<>>
        handlers;
    std::vector<Middleware> middleware;
  };

  // The thread of one DispatchAsync. Finished threads are joined by the next DispatchAsync or
  // by Close, so no thread outlives the bus.
  struct AsyncWorker {
    std::thread thread;
    bool done = false;  // guarded by mutex_
  };
  void ReapFinishedWorkers(std::list<AsyncWorker>& out);  // requires mutex_
  static void JoinAll(std::list<AsyncWorker>& workers);

  // Registers one in-flight dispatch for its lifetime and pins the State it started with.
  // Entering takes the bus mutex (the closed check, the count and the snapshot must agree);
  // leaving does not, unless Close has started: then the count drops under the mutex and
  // Close is notified. Either way the decrement is the dispatch's last access to the bus, so
  // Close (and the destructor) may finish as soon as it is done. A leave that raced with the
  // start of Close and did not notify is caught by Close's periodic re-check.
  class InFlight {
   public:
    explicit InFlight(CommandBus& bus) : bus_(bus) {
      std::lock_guard lock(bus_.mutex_);
      if (bus_.closed_) throw Error(errc::kCommandBusClosed, "command bus is closed");
      bus_.in_flight_.fetch_add(1, std::memory_order_relaxed);
      state_ = bus_.state_;
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    ~InFlight() {
      state_.reset();
      if (bus_.closing_.load(std::memory_order_acquire)) {
        std::lock_guard lock(bus_.mutex_);
        if (bus_.in_flight_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          bus_.drained_.notify_all();  // under the lock: see Close
        }
      } else {
        bus_.in_flight_.fetch_sub(1, std::memory_order_release);
      }
    }
    const State& state() const noexcept { return *state_; }

   private:
    CommandBus& bus_;
    std::shared_ptr<const State> state_;
  };

  // Marks this bus as dispatching on the current thread (for Close's self-wait check).
  class ActiveScope {
   public:
    explicit ActiveScope(const CommandBus* bus) { ActiveOnThisThread().push_back(bus); }
    ActiveScope(const ActiveScope&) = delete;
    ActiveScope& operator=(const ActiveScope&) = delete;
    ~ActiveScope() { ActiveOnThisThread().pop_back(); }
  };
  static std::vector<const CommandBus*>& ActiveOnThisThread() {
    thread_local std::vector<const CommandBus*> active;
    return active;
  }

  CommandResult Run(const Context& ctx, AnyCommand command, const State& state);

  // One dispatch of a concrete C: refuses a done context or a closed bus, counts as in flight,
  // finds the handler, gives the command its ID and causation, and derives the handler's
  // context. `handler` is set when the typed fast path applies (a TypedCommandHandler for
  // exactly C and no runtime middleware); otherwise RunErased takes the runtime path.
  struct TypedDispatch {
    TypedDispatch(CommandBus& bus, const Context& ctx, std::string_view type,
                  const std::type_info& cpp_type, CommandBase& base);
    CommandResult RunErased(AnyCommand command);

    InFlight in_flight;
    Context context;
    CommandHandler* handler = nullptr;  // set only when the typed fast path applies
    CommandHandler* target = nullptr;   // the registered handler, for RunErased
    CommandBus& bus;
    const Context& caller;
    ActiveScope active;
  };
  friend struct TypedDispatch;

  // Gives a command its ID, and the command being handled (if any) as its causation.
  static void StampCommand(const Context& ctx, CommandBase& base);

  std::shared_ptr<const State> Snapshot() const;
  void UseAll(std::vector<Middleware> added);
  template <class F>
  void Update(F&& change) {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<State>(*state_);
    change(*next);
    state_ = std::move(next);
  }

  mutable std::mutex mutex_;
  std::condition_variable drained_;
  bool closed_ = false;                // guarded by mutex_
  std::atomic<bool> closing_ = false;  // closed_, readable without the mutex
  std::atomic<std::size_t> in_flight_ = 0;
  std::shared_ptr<const State> state_;
  std::list<AsyncWorker> workers_;
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/cqrs/command_bus-inl.hpp"
#endif
