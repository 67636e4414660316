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
#include <unordered_map>
#include <utility>
#include <vector>

#include "mink/context.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/cqrs/command.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/errors.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/detail/uuid_pool.hpp"
#include "mink/middleware/pipeline.hpp"

namespace mink {

// The Context value under which the bus keeps the ID of the command being handled.
inline constexpr std::string_view kCurrentCommandIDKey = "mink.command_id";

// The ID of the command whose handling `ctx` belongs to, or "" outside a dispatch.
inline std::string CommandIDFromContext(const Context& ctx) {
  const std::string* id = ctx.Value<std::string>(std::string(kCurrentCommandIDKey));
  return id ? *id : std::string();
}

// One outcome of DispatchAll: `error` is what Dispatch threw (then `result` is an error result
// holding the same exception), otherwise `result` is what it returned.
struct DispatchResult {
  CommandResult result;
  std::exception_ptr error;
  bool IsSuccess() const noexcept { return !error && result.IsSuccess(); }
};

class CommandBus {
 public:
  CommandBus() : state_(std::make_shared<const State>()) {}
  CommandBus(const CommandBus&) = delete;
  CommandBus& operator=(const CommandBus&) = delete;
  ~CommandBus() { Close(); }

  // ---- registration ----

  // Routes handler->CommandType() to `handler`, replacing any handler registered for it.
  void Register(std::shared_ptr<CommandHandler> handler) {
    if (!handler) throw Error(errc::kInvalidArgument, "cannot register a null handler");
    std::string type = handler->CommandType();
    if (type.empty()) throw Error(errc::kInvalidArgument, "handler has an empty command type");
    Update([&](State& s) { s.handlers.insert_or_assign(std::move(type), std::move(handler)); });
  }
  void RegisterFunc(std::string command_type, CommandHandlerFn fn) {
    Register(NewCommandHandlerFunc(std::move(command_type), std::move(fn)));
  }

  // Appends middleware; the first ever registered runs outermost.
  template <class... Ms>
  void Use(Ms&&... middleware) {
    std::vector<Middleware> added{Middleware(std::forward<Ms>(middleware))...};
    for (const Middleware& m : added) {
      if (!m) throw Error(errc::kInvalidArgument, "cannot use an empty middleware");
    }
    Update([&](State& s) {
      for (Middleware& m : added) s.middleware.push_back(std::move(m));
    });
  }

  bool HasHandler(std::string_view command_type) const {
    auto s = Snapshot();
    return s->handlers.find(command_type) != s->handlers.end();
  }
  std::size_t HandlerCount() const { return Snapshot()->handlers.size(); }
  std::size_t MiddlewareCount() const { return Snapshot()->middleware.size(); }

  // ---- dispatch ----

  template <Command C>
  CommandResult Dispatch(const Context& ctx, C command) {
    return Dispatch(ctx, AnyCommand(std::move(command)));
  }

  CommandResult Dispatch(const Context& ctx, AnyCommand command) {
    if (!command) throw Error(errc::kInvalidArgument, "cannot dispatch an empty command");
    ctx.ThrowIfDone();
    InFlight in_flight(*this);
    return Run(ctx, std::move(command), in_flight.state());
  }

  // Dispatches on a new thread. Every outcome, exceptions included, arrives through the
  // future. The dispatch counts as in flight from this call on, so Close() (and the
  // destructor) wait for it and join its thread: no dispatch thread outlives the bus.
  template <Command C>
  std::future<CommandResult> DispatchAsync(const Context& ctx, C command) {
    return DispatchAsync(ctx, AnyCommand(std::move(command)));
  }

  std::future<CommandResult> DispatchAsync(const Context& ctx, AnyCommand command) {
    std::promise<CommandResult> promise;
    std::future<CommandResult> future = promise.get_future();
    std::unique_ptr<InFlight> in_flight;
    try {
      if (!command) throw Error(errc::kInvalidArgument, "cannot dispatch an empty command");
      in_flight = std::make_unique<InFlight>(*this);
    } catch (...) {
      promise.set_exception(std::current_exception());
      return future;
    }
    std::list<AsyncWorker> finished;
    {
      std::lock_guard lock(mutex_);
      ReapFinishedWorkers(finished);
      auto worker = workers_.emplace(workers_.end());
      // Started under the lock so the thread cannot mark itself done before it is stored.
      worker->thread =
          std::thread([this, worker, ctx, command = std::move(command),
                       promise = std::move(promise), in_flight = std::move(in_flight)]() mutable {
            try {
              ctx.ThrowIfDone();
              promise.set_value(Run(ctx, std::move(command), in_flight->state()));
            } catch (...) {
              promise.set_exception(std::current_exception());
            }
            {
              std::lock_guard lock(mutex_);
              worker->done = true;
            }
            in_flight.reset();
          });
    }
    JoinAll(finished);
    return future;
  }

  // Dispatches the commands one after another; a failure does not stop the rest. When the
  // context is done after a dispatch, the commands not yet dispatched are not run and their
  // entries hold mink::Error(kCancelled / kDeadlineExceeded). One entry per command, in order.
  std::vector<DispatchResult> DispatchAll(const Context& ctx, std::vector<AnyCommand> commands) {
    std::vector<DispatchResult> results;
    results.reserve(commands.size());
    for (AnyCommand& command : commands) {
      DispatchResult entry;
      try {
        entry.result = Dispatch(ctx, std::move(command));
      } catch (...) {
        entry.error = std::current_exception();
        entry.result = NewErrorResult(entry.error);
      }
      results.push_back(std::move(entry));
    }
    return results;
  }

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
  void Close() {
    for (const CommandBus* bus : ActiveOnThisThread()) {
      if (bus == this) {
        throw Error(errc::kInvalidArgument,
                    "CommandBus::Close called from inside one of its own dispatches");
      }
    }
    std::list<AsyncWorker> workers;
    {
      std::unique_lock lock(mutex_);
      closed_ = true;
      drained_.wait(lock, [&] { return in_flight_ == 0; });
      workers.splice(workers.end(), workers_);
    }
    JoinAll(workers);  // their threads have finished their dispatch and are exiting
  }
  bool IsClosed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct State {
    std::unordered_map<std::string, std::shared_ptr<CommandHandler>, StringHash, std::equal_to<>>
        handlers;
    std::vector<Middleware> middleware;
  };

  // The thread of one DispatchAsync. Finished threads are joined by the next DispatchAsync or
  // by Close, so no thread outlives the bus.
  struct AsyncWorker {
    std::thread thread;
    bool done = false;  // guarded by mutex_
  };
  void ReapFinishedWorkers(std::list<AsyncWorker>& out) {  // requires mutex_
    for (auto it = workers_.begin(); it != workers_.end();) {
      auto next = std::next(it);
      if (it->done) out.splice(out.end(), workers_, it);
      it = next;
    }
  }
  static void JoinAll(std::list<AsyncWorker>& workers) {
    for (AsyncWorker& w : workers) {
      if (w.thread.joinable()) w.thread.join();
    }
  }

  // Registers one in-flight dispatch for its lifetime and pins the State it started with.
  class InFlight {
   public:
    explicit InFlight(CommandBus& bus) : bus_(bus) {
      std::lock_guard lock(bus_.mutex_);
      if (bus_.closed_) throw Error(errc::kCommandBusClosed, "command bus is closed");
      ++bus_.in_flight_;
      state_ = bus_.state_;
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    ~InFlight() {
      state_.reset();
      std::lock_guard lock(bus_.mutex_);
      if (--bus_.in_flight_ == 0) bus_.drained_.notify_all();  // under the lock: see Close
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

  CommandResult Run(const Context& ctx, AnyCommand command, const State& state) {
    auto it = state.handlers.find(command.CommandType());
    if (it == state.handlers.end()) {
      throw HandlerNotFoundError(std::string(command.CommandType()));
    }
    CommandBase& base = command.MutableBase();
    if (base.GetCommandID().empty()) base.SetCommandID(detail::PooledUUID());
    if (base.GetCausationID().empty()) {
      if (const auto* parent = ctx.Value<std::string>(std::string(kCurrentCommandIDKey))) {
        base.SetCausationID(*parent);
      }
    }
    const Context dispatch_ctx =
        ctx.WithValue(std::string(kCurrentCommandIDKey), base.GetCommandID());
    ActiveScope active(this);
    return Next(state.middleware.data(), state.middleware.size(), it->second.get())(dispatch_ctx,
                                                                                    command);
  }

  std::shared_ptr<const State> Snapshot() const {
    std::lock_guard lock(mutex_);
    return state_;
  }
  template <class F>
  void Update(F&& change) {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<State>(*state_);
    change(*next);
    state_ = std::move(next);
  }

  mutable std::mutex mutex_;
  std::condition_variable drained_;
  bool closed_ = false;
  std::size_t in_flight_ = 0;
  std::shared_ptr<const State> state_;
  std::list<AsyncWorker> workers_;
};

}  // namespace mink
