// mink/cqrs/command_bus-inl.hpp — definitions for command_bus.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/cqrs/command_bus.hpp"
#endif

#include "mink/detail/uuid_pool.hpp"

namespace mink {

// Routes handler->CommandType() to `handler`, replacing any handler registered for it.
MINK_INLINE void CommandBus::Register(std::shared_ptr<CommandHandler> handler) {
  if (!handler) throw Error(errc::kInvalidArgument, "cannot register a null handler");
  std::string type = handler->CommandType();
  if (type.empty()) throw Error(errc::kInvalidArgument, "handler has an empty command type");
  Update([&](State& s) { s.handlers.insert_or_assign(std::move(type), std::move(handler)); });
}
MINK_INLINE void CommandBus::RegisterFunc(std::string command_type, CommandHandlerFn fn) {
  Register(NewCommandHandlerFunc(std::move(command_type), std::move(fn)));
}

MINK_INLINE void CommandBus::UseAll(std::vector<Middleware> added) {
  for (const Middleware& m : added) {
    if (!m) throw Error(errc::kInvalidArgument, "cannot use an empty middleware");
  }
  Update([&](State& s) {
    for (Middleware& m : added) s.middleware.push_back(std::move(m));
  });
}

MINK_INLINE bool CommandBus::HasHandler(std::string_view command_type) const {
  auto s = Snapshot();
  return s->handlers.find(command_type) != s->handlers.end();
}
MINK_INLINE std::size_t CommandBus::HandlerCount() const { return Snapshot()->handlers.size(); }
MINK_INLINE std::size_t CommandBus::MiddlewareCount() const {
  return Snapshot()->middleware.size();
}

MINK_INLINE CommandBus::Core::Core(CommandBusOptions opts)
    : state(std::make_shared<const State>()), options(std::move(opts)) {
  if (options.async_workers == 0) options.async_workers = 4;
  if (options.async_queue_depth == 0) options.async_queue_depth = 1024;
  if (!options.thread_factory) {
    options.thread_factory = [](std::function<void()> body) {
      return std::thread(std::move(body));
    };
  }
}

MINK_INLINE CommandBus::CommandBus(CommandBusOptions options)
    : core_(std::make_shared<Core>(std::move(options))) {}

MINK_INLINE CommandBus::~CommandBus() {
  // From inside one of its own dispatches the bus cannot wait for that dispatch (it is the
  // caller); it refuses new work and lets what has started finish on the Core it leaves behind.
  Shutdown(/*wait=*/!DispatchingOnThisThread());
}

MINK_INLINE CommandResult CommandBus::Dispatch(const Context& ctx, AnyCommand command) {
  if (!command) throw Error(errc::kInvalidArgument, "cannot dispatch an empty command");
  ctx.ThrowIfDone();
  InFlight in_flight(core_);
  return Run(ctx, std::move(command), in_flight);
}

MINK_INLINE std::future<CommandResult> CommandBus::DispatchAsync(const Context& ctx,
                                                                 AnyCommand command) {
  std::promise<CommandResult> refused;
  std::future<CommandResult> future = refused.get_future();
  std::unique_ptr<AsyncTask> task;
  try {
    if (!command) throw Error(errc::kInvalidArgument, "cannot dispatch an empty command");
    task.reset(new AsyncTask{InFlight(core_), ctx, std::move(command), std::move(refused)});
  } catch (...) {
    refused.set_exception(std::current_exception());
    return future;
  }
  bool start_worker = false;
  {
    std::lock_guard lock(core_->mutex);
    if (core_->queue.size() < core_->options.async_queue_depth) {
      core_->queue.push_back(std::move(task));
      if (core_->idle > 0) core_->work.notify_one();
      if (core_->queue.size() > core_->idle &&
          core_->threads.size() + core_->starting < core_->options.async_workers) {
        ++core_->starting;
        start_worker = true;
      }
    }
  }
  if (task) {  // refused: fail it outside the lock (its InFlight takes the lock to leave)
    task->promise.set_exception(std::make_exception_ptr(
        Error(errc::kBusOverloaded, "command bus async queue is full (" +
                                        std::to_string(core_->options.async_queue_depth) +
                                        " dispatches waiting)")));
    return future;
  }
  if (start_worker) StartWorker(core_);
  return future;
}

// Starts one worker, outside the lock: a thread that cannot start fails only the tasks no
// other worker will run (with kBusOverloaded), and their destruction happens after unlocking.
MINK_INLINE void CommandBus::StartWorker(const std::shared_ptr<Core>& core) {
  std::thread thread;
  std::exception_ptr failure;
  try {
    thread = core->options.thread_factory([core] { WorkerLoop(core); });
    if (!thread.joinable()) throw Error(errc::kBusOverloaded, "the thread factory gave no thread");
  } catch (...) {
    failure = std::current_exception();
  }
  std::deque<std::unique_ptr<AsyncTask>> orphans;
  {
    std::lock_guard lock(core->mutex);
    --core->starting;
    if (!failure && core->stopping) {
      thread.detach();  // the bus stopped meanwhile: it exits as soon as the queue is empty
    } else if (!failure) {
      core->threads.push_back(std::move(thread));
    } else if (core->threads.empty() && core->starting == 0) {
      orphans.swap(core->queue);  // nobody is left to run them
    }
    core->drained.notify_all();  // Close waits for starts in progress
  }
  if (orphans.empty()) return;
  std::string why = "cannot start a command bus worker";
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    why += std::string(": ") + e.what();
  } catch (...) {
  }
  for (auto& task : orphans) {
    task->promise.set_exception(std::make_exception_ptr(Error(errc::kBusOverloaded, why)));
    task.reset();
  }
}

MINK_INLINE void CommandBus::WorkerLoop(const std::shared_ptr<Core>& core) {
  for (;;) {
    std::unique_ptr<AsyncTask> task;
    {
      std::unique_lock lock(core->mutex);
      ++core->idle;
      core->work.wait(lock, [&] { return !core->queue.empty() || core->stopping; });
      --core->idle;
      if (core->queue.empty()) return;  // stopping, nothing left to run
      task = std::move(core->queue.front());
      core->queue.pop_front();
    }
    try {
      task->ctx.ThrowIfDone();
      task->promise.set_value(Run(task->ctx, std::move(task->command), task->in_flight));
    } catch (...) {
      task->promise.set_exception(std::current_exception());
    }
    task.reset();  // leaves the in-flight count, outside the lock
  }
}

MINK_INLINE std::vector<DispatchResult> CommandBus::DispatchAll(const Context& ctx,
                                                                std::vector<AnyCommand> commands) {
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

MINK_INLINE bool CommandBus::DispatchingOnThisThread() const {
  for (const Core* core : ActiveOnThisThread()) {
    if (core == core_.get()) return true;
  }
  return false;
}

MINK_INLINE void CommandBus::Close() {
  if (DispatchingOnThisThread()) {
    throw Error(errc::kInvalidArgument,
                "CommandBus::Close called from inside one of its own dispatches");
  }
  Shutdown(/*wait=*/true);
}

MINK_INLINE void CommandBus::Shutdown(bool wait) {
  std::vector<std::thread> threads;
  {
    std::unique_lock lock(core_->mutex);
    core_->closed = true;
    core_->closing.store(true, std::memory_order_release);
    // A dispatch leaving while this starts may not see `closing` and so not notify: re-check.
    // Queued async dispatches are in flight too, so the workers drain the queue first.
    while (wait &&
           (core_->in_flight.load(std::memory_order_acquire) != 0 || core_->starting != 0)) {
      core_->drained.wait_for(lock, std::chrono::milliseconds(1));
    }
    core_->stopping = true;
    threads.swap(core_->threads);
    core_->work.notify_all();
  }
  for (std::thread& thread : threads) {
    if (thread.get_id() == std::this_thread::get_id()) {
      thread.detach();  // the bus is being closed from its own worker: it exits on its own
    } else {
      thread.join();  // it runs what is queued, then exits
    }
  }
}
MINK_INLINE bool CommandBus::IsClosed() const {
  std::lock_guard lock(core_->mutex);
  return core_->closed;
}

MINK_INLINE void CommandBus::StampCommand(const Context& ctx, CommandBase& base) {
  if (base.GetCommandID().empty()) base.SetCommandID(detail::PooledUUID());
  if (base.GetCausationID().empty()) {
    if (const auto* parent = ctx.Value<std::string>(kCurrentCommandIDKey)) {
      base.SetCausationID(*parent);
    }
  }
}

MINK_INLINE CommandResult CommandBus::Run(const Context& ctx, AnyCommand command,
                                          const InFlight& in_flight) {
  const State& state = in_flight.state();
  auto it = state.handlers.find(command.CommandType());
  if (it == state.handlers.end()) {
    throw HandlerNotFoundError(std::string(command.CommandType()));
  }
  CommandBase& base = command.MutableBase();
  StampCommand(ctx, base);
  const Context dispatch_ctx =
      ctx.WithValue(std::string(kCurrentCommandIDKey), base.GetCommandID());
  ActiveScope active(in_flight.core());
  return Next(state.middleware.data(), state.middleware.size(), it->second.get())(dispatch_ctx,
                                                                                  command);
}

MINK_INLINE CommandBus::TypedDispatch::TypedDispatch(CommandBus& bus, const Context& ctx,
                                                     std::string_view type,
                                                     const std::type_info& cpp_type,
                                                     CommandBase& base)
    : in_flight((ctx.ThrowIfDone(), bus.core_)), caller(ctx), active(bus.core_.get()) {
  const State& state = in_flight.state();
  auto it = state.handlers.find(type);
  if (it == state.handlers.end()) throw HandlerNotFoundError(std::string(type));
  StampCommand(ctx, base);
  context = ctx.WithValue(std::string(kCurrentCommandIDKey), base.GetCommandID());
  target = it->second.get();
  const std::type_info* typed = target->TypedCommand();
  if (state.middleware.empty() && typed != nullptr && *typed == cpp_type) {
    handler = target;
  }
}

MINK_INLINE CommandResult CommandBus::TypedDispatch::RunErased(AnyCommand command) {
  const State& state = in_flight.state();
  return Next(state.middleware.data(), state.middleware.size(), target)(context, command);
}

MINK_INLINE std::shared_ptr<const CommandBus::State> CommandBus::Snapshot() const {
  std::lock_guard lock(core_->mutex);
  return core_->state;
}

}  // namespace mink
