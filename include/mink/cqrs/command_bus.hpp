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
// in-flight ones (DispatchAsync included) have finished, then joins the async workers; calling
// it from inside a handler of the same bus would wait for itself, so that throws
// kInvalidArgument instead. The destructor closes the bus; run from inside one of the bus's
// own dispatches (a handler dropping the last reference to it) it refuses new work and lets
// the dispatches already started finish on their own instead of waiting for itself.
//
// DispatchAsync runs on a bounded executor: at most CommandBusOptions::async_workers threads,
// started on demand (never under the bus lock) and at most async_queue_depth dispatches
// waiting for one. A dispatch that finds the queue full, or that no worker can be started for,
// fails through its future with kBusOverloaded: a burst is refused, never a crash.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
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

// Starts one thread running `body`; throws (e.g. std::system_error) when it cannot.
using ThreadFactory = std::function<std::thread(std::function<void()> body)>;

struct CommandBusOptions {
  // The most threads DispatchAsync runs dispatches on (started on demand); 0 means 4.
  std::size_t async_workers = 4;
  // The most async dispatches waiting for a worker; one more fails with kBusOverloaded.
  // 0 means 1024.
  std::size_t async_queue_depth = 1024;
  // How a worker thread is started; empty: std::thread. (For tests and custom thread setup.)
  ThreadFactory thread_factory;
};

class MINK_API CommandBus {
 public:
  CommandBus() : CommandBus(CommandBusOptions{}) {}
  explicit CommandBus(CommandBusOptions options);
  CommandBus(const CommandBus&) = delete;
  CommandBus& operator=(const CommandBus&) = delete;
  ~CommandBus();

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

  // Dispatches on one of the bus's async workers. Every outcome, exceptions included, arrives
  // through the future; a full queue, or a worker that cannot be started, is
  // mink::Error(kBusOverloaded). An accepted dispatch counts as in flight from this call on, so
  // Close() (and the destructor) run it, wait for it and join the workers.
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

  // Refuses new dispatches, waits for the in-flight ones (queued async dispatches run first),
  // then joins the async workers. Idempotent.
  void Close();
  bool IsClosed() const;

 private:
  struct State {
    std::unordered_map<std::string, std::shared_ptr<CommandHandler>, detail::StringHash,
                       std::equal_to<>>
        handlers;
    std::vector<Middleware> middleware;
  };
  struct AsyncTask;

  // Everything a dispatch or a worker touches, shared with them so that it outlives a bus
  // destroyed from inside one of its own dispatches.
  struct Core {
    explicit Core(CommandBusOptions opts);

    mutable std::mutex mutex;
    std::condition_variable drained;    // in_flight reached 0 / a worker start finished
    std::condition_variable work;       // a task was queued / stopping was set
    bool closed = false;                // guarded by mutex
    std::atomic<bool> closing = false;  // closed, readable without the mutex
    std::atomic<std::size_t> in_flight = 0;
    std::shared_ptr<const State> state;  // guarded by mutex

    // The async executor, all guarded by mutex.
    CommandBusOptions options;
    std::deque<std::unique_ptr<AsyncTask>> queue;
    std::vector<std::thread> threads;
    std::size_t starting = 0;  // worker starts in progress (outside the lock)
    std::size_t idle = 0;      // workers waiting for a task
    bool stopping = false;     // workers exit once the queue is empty
  };

  // Registers one in-flight dispatch for its lifetime and pins the State it started with (and
  // the Core, which a bus destroyed mid-dispatch leaves behind). Entering takes the mutex (the
  // closed check, the count and the snapshot must agree); leaving does not, unless Close has
  // started: then the count drops under the mutex and Close is notified. The State is
  // released after the count drops, so a handler whose destruction destroys the bus does not
  // make Close wait for the dispatch releasing it. A leave that raced with the start of Close
  // and did not notify is caught by Close's periodic re-check.
  class InFlight {
   public:
    explicit InFlight(const std::shared_ptr<Core>& core) : core_(core) {
      std::lock_guard lock(core_->mutex);
      if (core_->closed) throw Error(errc::kCommandBusClosed, "command bus is closed");
      core_->in_flight.fetch_add(1, std::memory_order_relaxed);
      state_ = core_->state;
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    ~InFlight() {
      std::shared_ptr<const State> state = std::move(state_);
      if (core_->closing.load(std::memory_order_acquire)) {
        std::lock_guard lock(core_->mutex);
        if (core_->in_flight.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          core_->drained.notify_all();  // under the lock: see Close
        }
      } else {
        core_->in_flight.fetch_sub(1, std::memory_order_release);
      }
    }
    const State& state() const noexcept { return *state_; }
    const Core* core() const noexcept { return core_.get(); }

   private:
    std::shared_ptr<Core> core_;
    std::shared_ptr<const State> state_;
  };

  // One accepted DispatchAsync, waiting in the queue or running on a worker. The in-flight
  // registration comes first (nothing is moved in if it refuses) and is left last.
  struct AsyncTask {
    InFlight in_flight;
    Context ctx;
    AnyCommand command;
    std::promise<CommandResult> promise;
  };

  // Marks this bus as dispatching on the current thread (for Close's self-wait check).
  class ActiveScope {
   public:
    explicit ActiveScope(const Core* core) { ActiveOnThisThread().push_back(core); }
    ActiveScope(const ActiveScope&) = delete;
    ActiveScope& operator=(const ActiveScope&) = delete;
    ~ActiveScope() { ActiveOnThisThread().pop_back(); }
  };
  static std::vector<const Core*>& ActiveOnThisThread() {
    thread_local std::vector<const Core*> active;
    return active;
  }
  bool DispatchingOnThisThread() const;

  static CommandResult Run(const Context& ctx, AnyCommand command, const InFlight& in_flight);
  // The async executor (command_bus-inl.hpp).
  static void WorkerLoop(const std::shared_ptr<Core>& core);
  static void StartWorker(const std::shared_ptr<Core>& core);
  // Refuses new dispatches; waits for the in-flight ones when `wait`; stops and joins the
  // workers (detaching the calling thread if it is one of them).
  void Shutdown(bool wait);

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
    std::lock_guard lock(core_->mutex);
    auto next = std::make_shared<State>(*core_->state);
    change(*next);
    core_->state = std::move(next);
  }

  std::shared_ptr<Core> core_;
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/cqrs/command_bus-inl.hpp"
#endif
