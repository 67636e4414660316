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

MINK_INLINE CommandResult CommandBus::Dispatch(const Context& ctx, AnyCommand command) {
  if (!command) throw Error(errc::kInvalidArgument, "cannot dispatch an empty command");
  ctx.ThrowIfDone();
  InFlight in_flight(*this);
  return Run(ctx, std::move(command), in_flight.state());
}

MINK_INLINE std::future<CommandResult> CommandBus::DispatchAsync(const Context& ctx,
                                                                 AnyCommand command) {
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
        std::thread([this, worker, ctx, command = std::move(command), promise = std::move(promise),
                     in_flight = std::move(in_flight)]() mutable {
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

MINK_INLINE void CommandBus::Close() {
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
    closing_.store(true, std::memory_order_release);
    // A dispatch leaving while this starts may not see closing_ and so not notify: re-check.
    while (in_flight_.load(std::memory_order_acquire) != 0) {
      drained_.wait_for(lock, std::chrono::milliseconds(1));
    }
    workers.splice(workers.end(), workers_);
  }
  JoinAll(workers);  // their threads have finished their dispatch and are exiting
}
MINK_INLINE bool CommandBus::IsClosed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

MINK_INLINE void CommandBus::ReapFinishedWorkers(std::list<AsyncWorker>& out) {
  for (auto it = workers_.begin(); it != workers_.end();) {
    auto next = std::next(it);
    if (it->done) out.splice(out.end(), workers_, it);
    it = next;
  }
}
MINK_INLINE void CommandBus::JoinAll(std::list<AsyncWorker>& workers) {
  for (AsyncWorker& w : workers) {
    if (w.thread.joinable()) w.thread.join();
  }
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
                                          const State& state) {
  auto it = state.handlers.find(command.CommandType());
  if (it == state.handlers.end()) {
    throw HandlerNotFoundError(std::string(command.CommandType()));
  }
  CommandBase& base = command.MutableBase();
  StampCommand(ctx, base);
  const Context dispatch_ctx =
      ctx.WithValue(std::string(kCurrentCommandIDKey), base.GetCommandID());
  ActiveScope active(this);
  return Next(state.middleware.data(), state.middleware.size(), it->second.get())(dispatch_ctx,
                                                                                  command);
}

MINK_INLINE CommandBus::TypedDispatch::TypedDispatch(CommandBus& bus, const Context& ctx,
                                                     std::string_view type,
                                                     const std::type_info& cpp_type,
                                                     CommandBase& base)
    : in_flight((ctx.ThrowIfDone(), bus)), bus(bus), caller(ctx), active(&bus) {
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
  std::lock_guard lock(mutex_);
  return state_;
}

}  // namespace mink
