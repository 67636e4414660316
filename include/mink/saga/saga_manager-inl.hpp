// mink/saga/saga_manager-inl.hpp — definitions for saga_manager.hpp: registration, the loop,
// routing and one saga step (see mink/detail/config.hpp). Re-drives: saga_retry-inl.hpp.
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/saga/saga_manager.hpp"
#endif

#include <algorithm>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

namespace mink {

namespace detail {

// The reserved data key where retry_capture keeps the trigger event (stripped before SetData).
inline constexpr const char* kSagaLastEventKey = "__mink_last_event";

MINK_INLINE bool IsCancellation(const std::exception_ptr& e) {
  return ErrorIs(e, errc::kCancelled) || ErrorIs(e, errc::kDeadlineExceeded);
}

MINK_INLINE nlohmann::json StoredEventToJson(const StoredEvent& e) {
  return {{"id", e.id},
          {"stream_id", e.stream_id},
          {"type", e.type},
          {"data", e.data},
          {"metadata", e.metadata},
          {"version", e.version},
          {"global_position", e.global_position},
          {"timestamp", FormatSagaTime(e.timestamp)}};
}

MINK_INLINE StoredEvent StoredEventFromJson(const nlohmann::json& j) {
  StoredEvent e;
  e.id = j.at("id").get<std::string>();
  e.stream_id = j.at("stream_id").get<std::string>();
  e.type = j.at("type").get<std::string>();
  e.data = j.at("data").get<std::string>();
  e.metadata = j.at("metadata").get<Metadata>();
  e.version = j.at("version").get<int64_t>();
  e.global_position = j.at("global_position").get<uint64_t>();
  e.timestamp = ParseSagaTime(j.at("timestamp").get<std::string>());
  return e;
}

MINK_INLINE std::string ProcessedKey(const StoredEvent& e) {
  return e.id + ":" + std::to_string(e.global_position);
}

}  // namespace detail

MINK_INLINE SagaManager::SagaManager(std::shared_ptr<SagaStore> store,
                                     std::shared_ptr<EventStore> events,
                                     std::shared_ptr<CommandBus> bus, SagaManagerOptions options)
    : store_(std::move(store)),
      events_(std::move(events)),
      bus_(std::move(bus)),
      options_(std::move(options)) {
  if (!store_) throw Error(errc::kInvalidArgument, "saga store is required");
  if (!events_) throw Error(errc::kInvalidArgument, "event store is required");
  if (!bus_) throw Error(errc::kInvalidArgument, "command bus is required");
  options_.retry_attempts = std::max(1, options_.retry_attempts);
  if (!options_.logger) {
    options_.logger = std::make_shared<spdlog::logger>(
        "mink.saga", std::make_shared<spdlog::sinks::null_sink_mt>());
  }
  if (options_.sweep_interval <= std::chrono::milliseconds::zero()) {
    options_.sweep_interval = std::max(options_.poll_interval, std::chrono::milliseconds(1000));
  }
}

MINK_INLINE SagaManager::~SagaManager() { Stop(); }

MINK_INLINE void SagaManager::Register(std::string saga_type, SagaFactory factory,
                                       SagaCorrelation correlation) {
  if (saga_type.empty()) throw Error(errc::kInvalidArgument, "saga type is empty");
  if (!factory)
    throw Error(errc::kInvalidArgument, "saga factory for \"" + saga_type + "\" is null");
  std::unique_ptr<Saga> probe;
  try {
    probe = factory("");
  } catch (const std::exception& e) {
    throw Error(errc::kInvalidArgument, "saga factory for \"" + saga_type + "\" threw: " + e.what(),
                std::current_exception());
  }
  if (!probe)
    throw Error(errc::kInvalidArgument, "saga factory for \"" + saga_type + "\" returned null");
  if (probe->SagaType() != saga_type) {
    throw Error(errc::kInvalidArgument, "saga factory registered as \"" + saga_type +
                                            "\" makes sagas of type \"" + probe->SagaType() + "\"");
  }
  auto reg = std::make_shared<Registration>();
  reg->saga_type = saga_type;
  reg->factory = std::move(factory);
  reg->correlation = std::move(correlation);
  reg->correlation.saga_type = saga_type;
  reg->handled = probe->HandledEvents();
  for (const auto& s : reg->correlation.starting_events) {
    if (std::find(reg->handled.begin(), reg->handled.end(), s) == reg->handled.end()) {
      reg->handled.push_back(s);
    }
  }
  std::lock_guard lock(registry_mutex_);
  if (auto it = registry_.find(saga_type); it != registry_.end()) {
    for (auto& [type, regs] : by_event_) {
      std::erase(regs, it->second);
    }
  }
  registry_.insert_or_assign(saga_type, reg);
  for (const auto& type : reg->handled) by_event_[type].push_back(reg);
}

MINK_INLINE void SagaManager::RegisterSimple(std::string saga_type, SagaFactory factory,
                                             std::vector<std::string> starting_events) {
  SagaCorrelation c;
  c.saga_type = saga_type;
  c.starting_events = std::move(starting_events);
  Register(std::move(saga_type), std::move(factory), std::move(c));
}

MINK_INLINE const SagaManager::Registration* SagaManager::Find(std::string_view saga_type) const {
  std::lock_guard lock(registry_mutex_);
  auto it = registry_.find(saga_type);
  return it == registry_.end() ? nullptr : it->second.get();
}

MINK_INLINE Timestamp SagaManager::Now() const {
  return TruncateToMicros(options_.clock ? options_.clock() : std::chrono::system_clock::now());
}

MINK_INLINE void SagaManager::Log(int level, const std::string& message) const {
  options_.logger->log(static_cast<spdlog::level::level_enum>(level), "{}", message);
}

MINK_INLINE std::unique_lock<std::mutex> SagaManager::LockSaga(const std::string& saga_id) {
  return std::unique_lock(stripes_[std::hash<std::string>{}(saga_id) % kLockStripes]);
}

// ---- the loop ----

MINK_INLINE void SagaManager::Start(const Context& ctx) { Run(ctx, nullptr); }

MINK_INLINE void SagaManager::Run(const Context& ctx, const std::function<void()>& on_open) {
  Context run;
  {
    std::lock_guard lock(run_mutex_);
    if (running_.load()) throw Error(errc::kSagaManagerRunning, "saga manager already running");
    auto [child, cancel] = ctx.WithCancel();
    run = child;
    cancel_run_ = [cancel = std::move(cancel)] { cancel(); };
    running_.store(true);
  }
  std::exception_ptr failure;
  try {
    if (options_.leader_election) {
      if (on_open) on_open();  // standing by counts as running
      Lead(run);
    } else {
      Follow(run, on_open);
    }
  } catch (...) {
    if (!detail::IsCancellation(std::current_exception())) failure = std::current_exception();
  }
  {
    std::lock_guard lock(run_mutex_);
    cancel_run_ = nullptr;
    running_.store(false);
  }
  { std::lock_guard lock(done_mutex_); }
  done_cv_.notify_all();
  if (failure) std::rethrow_exception(failure);
}

MINK_INLINE std::vector<std::string> SagaManager::LeaderNames() const {
  std::vector<std::string> names{"saga-checkpoint:" + options_.checkpoint_name};
  std::lock_guard lock(registry_mutex_);
  for (const auto& [type, reg] : registry_) names.push_back("saga:" + type);
  return names;
}

MINK_INLINE void SagaManager::Lead(const Context& run) {
  const std::vector<std::string> names = LeaderNames();
  while (!run.Done()) {
    std::unique_ptr<LeaderLease> lease;
    try {
      lease = options_.leader_election->TryAcquire(run, names);
    } catch (...) {
      if (detail::IsCancellation(std::current_exception())) return;
      Log(spdlog::level::warn,
          "saga leader election failed: " + ErrorMessage(std::current_exception()));
    }
    if (!lease) {
      if (!run.SleepFor(options_.leader_retry_interval)) return;
      continue;
    }
    Log(spdlog::level::info, "saga manager \"" + options_.checkpoint_name + "\" is leading");
    auto [lead, lose] = run.WithCancel();
    std::atomic<bool> lost{false};
    // Checks the lease every leader_retry_interval; on a loss ends the leadership at once
    // (the step in flight still finishes: its command IDs make a standby's re-dispatch a
    // replay, and its save is guarded by the saga's version).
    std::jthread watch([&, lose = lose](const std::stop_token& stop) {
      const Context wait = Context::FromStopToken(stop);
      while (wait.SleepFor(options_.leader_retry_interval)) {
        bool held = false;
        try {
          held = lease->StillHeld(wait);
        } catch (...) {  // a lease that cannot tell is lost
        }
        if (held || wait.Done()) continue;
        lost.store(true);
        lose();
        std::lock_guard lock(run_mutex_);
        if (current_sub_ != nullptr) current_sub_->Close();
        return;
      }
    });
    std::exception_ptr failure;
    try {
      Follow(lead, nullptr, &lost);
    } catch (...) {
      failure = std::current_exception();
    }
    watch.request_stop();
    watch.join();
    lease.reset();
    // A store or server failure (a database fail-over, say) hands the leadership on too: this
    // replica stands by again instead of ending. Anything else ends the manager.
    const bool transient = failure && (ErrorIs(failure, errc::kConnectionFailed) ||
                                       ErrorIs(failure, errc::kStorageFailed) ||
                                       ErrorIs(failure, errc::kOutcomeUnknown));
    if ((lost.load() || transient) && !run.Done()) {
      Log(spdlog::level::warn, "saga manager \"" + options_.checkpoint_name + "\" " +
                                   (lost.load() ? std::string("lost its leadership")
                                                : "failed: " + ErrorMessage(failure)) +
                                   "; standing by");
      // Back off one interval first, so a standby that saw the names free takes over.
      if (!run.SleepFor(options_.leader_retry_interval)) return;
      continue;
    }
    if (failure) std::rethrow_exception(failure);
    return;
  }
}

MINK_INLINE void SagaManager::Follow(const Context& run, const std::function<void()>& on_open,
                                     const std::atomic<bool>* lease_lost) {
  const uint64_t from = store_->LoadCheckpoint(run, options_.checkpoint_name).value_or(0);
  position_.store(from);
  SubscriptionOptions sub_options;
  sub_options.buffer_size = options_.buffer_size;
  sub_options.poll_interval = options_.poll_interval;
  sub_options.on_error = [this](const Error& e) {
    Log(spdlog::level::warn, std::string("saga feed: ") + e.what());
  };
  std::unique_ptr<Subscription> sub = events_->SubscribeAll(run, from, sub_options);
  {
    // Stop (and a lost leadership) close the subscription to wake a waiting Next.
    std::lock_guard lock(run_mutex_);
    current_sub_ = sub.get();
    if (run.Done()) sub->Close();
  }
  leader_.store(true);
  std::exception_ptr failure;
  std::jthread sweeper;
  uint64_t unsaved = 0;  // events passed without a checkpoint write
  try {
    if (on_open) on_open();
    if (options_.timeout > std::chrono::milliseconds::zero()) {
      sweeper = std::jthread([this](std::stop_token stop) { SweepLoop(stop); });
    }
    for (;;) {
      std::optional<StoredEvent> event = sub->Next(run);
      if (!event) break;
      bool interested = false;
      {
        std::lock_guard lock(registry_mutex_);
        interested = by_event_.contains(event->type);
      }
      if (interested) {
        ProcessEventInternal(run, *event, event->global_position);
        unsaved = 0;
      } else if (++unsaved >= 256) {
        store_->SaveCheckpoint(run, options_.checkpoint_name, event->global_position);
        unsaved = 0;
      }
      position_.store(event->global_position);
    }
    if (auto err = sub->Err()) failure = err;
  } catch (...) {
    if (!detail::IsCancellation(std::current_exception())) failure = std::current_exception();
  }
  // Events no saga wanted since the last checkpoint write: record them — unless the lease was
  // lost, when a new leader may have moved the checkpoint on already.
  if (unsaved > 0 && !(lease_lost != nullptr && lease_lost->load())) {
    try {
      store_->SaveCheckpoint(Context{}, options_.checkpoint_name, position_.load());
    } catch (...) {
      Log(spdlog::level::warn,
          "saving the saga checkpoint failed: " + ErrorMessage(std::current_exception()));
    }
  }
  if (sweeper.joinable()) {
    sweeper.request_stop();
    sweeper.join();
  }
  {
    std::lock_guard lock(run_mutex_);
    current_sub_ = nullptr;
  }
  sub->Close();
  leader_.store(false);
  if (failure) std::rethrow_exception(failure);
}

MINK_INLINE std::future<void> SagaManager::StartAsync(const Context& ctx) {
  std::lock_guard lock(run_mutex_);
  if (running_.load()) throw Error(errc::kSagaManagerRunning, "saga manager already running");
  if (async_thread_.joinable()) async_thread_.join();
  auto done = std::make_shared<std::promise<void>>();
  auto opened = std::make_shared<std::promise<void>>();
  std::future<void> result = done->get_future();
  std::future<void> ready = opened->get_future();
  async_thread_ = std::thread([this, ctx, done, opened] {
    bool signalled = false;
    try {
      Run(ctx, [&] {
        signalled = true;
        opened->set_value();
      });
      done->set_value();
    } catch (...) {
      if (!signalled) opened->set_exception(std::current_exception());
      done->set_exception(std::current_exception());
    }
  });
  // Start takes run_mutex_ itself: wait for the subscription without holding it.
  run_mutex_.unlock();
  try {
    ready.get();
  } catch (...) {
    run_mutex_.lock();
    throw;
  }
  run_mutex_.lock();
  return result;
}

MINK_INLINE void SagaManager::Stop() {
  std::thread async;
  {
    std::lock_guard lock(run_mutex_);
    if (cancel_run_) cancel_run_();
    if (current_sub_ != nullptr) current_sub_->Close();
    async = std::move(async_thread_);
  }
  if (async.joinable() && async.get_id() != std::this_thread::get_id()) async.join();
  std::unique_lock lock(done_mutex_);
  done_cv_.wait(lock, [this] { return !running_.load(); });
}

// ---- routing ----

MINK_INLINE void SagaManager::ProcessEvent(const Context& ctx, const StoredEvent& event) {
  ProcessEventInternal(ctx, event, std::nullopt);
}

MINK_INLINE void SagaManager::ProcessEventInternal(const Context& ctx, const StoredEvent& event,
                                                   std::optional<uint64_t> checkpoint) {
  std::vector<std::shared_ptr<const Registration>> regs;
  {
    std::lock_guard lock(registry_mutex_);
    if (auto it = by_event_.find(event.type); it != by_event_.end()) regs = it->second;
  }
  // With one saga type the checkpoint rides on its save; with several, each saga is saved on
  // its own and the checkpoint follows (a crash in between re-delivers the event, and the
  // sagas already saved skip it by processed_events).
  bool checkpointed = false;
  for (const auto& reg : regs) {
    const bool carry = checkpoint && regs.size() == 1;
    try {
      if (ProcessForType(ctx, *reg, event, false, carry ? checkpoint : std::nullopt) && carry) {
        checkpointed = true;
      }
    } catch (const std::exception& e) {
      // The store is unreachable or the context ended: stop here, nothing is skipped (the
      // checkpoint has not moved). Bad input of one saga (corrupt row, unknown type, a broken
      // factory) is reported and leaves that saga alone.
      const std::exception_ptr err = std::current_exception();
      if (detail::IsCancellation(err) || ErrorIs(err, errc::kConnectionFailed) ||
          ErrorIs(err, errc::kStorageFailed) || ErrorIs(err, errc::kOutcomeUnknown) ||
          ErrorIs(err, errc::kAdapterClosed)) {
        throw;
      }
      Log(spdlog::level::err, "saga type \"" + reg->saga_type + "\": event " +
                                  detail::ProcessedKey(event) + " not applied: " + e.what());
    }
  }
  if (checkpoint && !checkpointed) {
    store_->SaveCheckpoint(ctx, options_.checkpoint_name, *checkpoint);
  }
}

MINK_INLINE SagaState SagaManager::StartSaga(const Context& ctx, std::string_view saga_type,
                                             const StoredEvent& trigger) {
  const Registration* reg = Find(saga_type);
  if (reg == nullptr) throw SagaTypeNotRegisteredError(std::string(saga_type));
  SagaState result;
  ProcessForType(ctx, *reg, trigger, true, std::nullopt, &result);
  return result;
}

MINK_INLINE std::unique_ptr<Saga> SagaManager::Hydrate(const SagaState& state) const {
  const Registration* reg = Find(state.type);
  if (reg == nullptr) throw SagaTypeNotRegisteredError(state.type, state.id);
  std::unique_ptr<Saga> saga = reg->factory(state.id);
  if (!saga)
    throw Error(errc::kInvalidArgument, "saga factory for \"" + state.type + "\" returned null");
  SagaState copy = state;
  if (copy.data.is_object()) copy.data.erase(detail::kSagaLastEventKey);
  try {
    SagaFromState(*saga, copy);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw CorruptSagaStateError(state.id, std::string("SetData: ") + e.what());
  }
  return saga;
}

MINK_INLINE bool SagaManager::ProcessForType(const Context& ctx, const Registration& reg,
                                             const StoredEvent& event, bool force_start,
                                             std::optional<uint64_t> checkpoint,
                                             SagaState* result) {
  std::string correlation = reg.correlation.correlation_id_func
                                ? reg.correlation.correlation_id_func(event)
                                : event.stream_id;
  if (correlation.empty()) return false;
  const bool starting =
      force_start ||
      std::find(reg.correlation.starting_events.begin(), reg.correlation.starting_events.end(),
                event.type) != reg.correlation.starting_events.end();
  const std::string key = detail::ProcessedKey(event);
  // The lock is taken on the ID the manager gives the saga of this type and correlation
  // (which is the saga's ID unless it was stored under another one; its version still guards
  // that case), so one read under the lock is enough.
  const std::string lock_key = reg.saga_type + "-" + correlation;
  for (int attempt = 1;; ++attempt) {
    auto lock = LockSaga(lock_key);
    std::optional<SagaState> found;
    try {
      found = store_->FindByCorrelationID(ctx, correlation, reg.saga_type);
    } catch (const SagaNotFoundError&) {
    }
    const std::string saga_id = found ? found->id : lock_key;
    std::unique_ptr<Saga> saga;
    SagaState state;
    if (!found) {
      if (!starting) return false;
      saga = reg.factory(saga_id);
      if (!saga)
        throw Error(errc::kInvalidArgument,
                    "saga factory for \"" + reg.saga_type + "\" returned null");
      saga->SetCorrelationID(correlation);
      saga->SetStartedAt(Now());
      state = SagaToState(*saga);
    } else {
      state = *found;
      if (IsTerminal(state.status)) {
        if (result) *result = state;
        return false;
      }
      if (std::find(state.processed_events.begin(), state.processed_events.end(), key) !=
          state.processed_events.end()) {
        if (result) *result = state;
        return false;
      }
      saga = Hydrate(state);
    }
    RunStep(ctx, *saga, state, event);
    SagaState next = ToState(*saga, state);
    next.processed_events.push_back(key);
    if (next.processed_events.size() > kMaxProcessedEvents) {
      next.processed_events.erase(
          next.processed_events.begin(),
          next.processed_events.end() - static_cast<std::ptrdiff_t>(kMaxProcessedEvents));
    }
    if (options_.retry_capture)
      next.data[detail::kSagaLastEventKey] = detail::StoredEventToJson(event);
    try {
      // The step ran: its save is not cancellable (Stop drains the step in flight).
      const Context save_ctx = ctx.WithoutCancel();
      if (checkpoint) {
        store_->SaveWithCheckpoint(save_ctx, next, options_.checkpoint_name, *checkpoint);
      } else {
        store_->Save(save_ctx, next);
      }
    } catch (const ConcurrencyError& e) {
      if (attempt < options_.retry_attempts) continue;
      Log(spdlog::level::err, "saga \"" + saga_id + "\": giving up on event " + key + " after " +
                                  std::to_string(attempt) + " save conflicts: " + e.what());
      return false;
    }
    if (!found && options_.metrics) options_.metrics->SagaStarted(reg.saga_type);
    ReportTransition(reg.saga_type, state.status, next.status);
    if (result) *result = next;
    return true;
  }
}

MINK_INLINE void SagaManager::ReportTransition(const std::string& saga_type, SagaStatus before,
                                               SagaStatus after) const {
  if (!options_.metrics || before == after) return;
  switch (after) {
    case SagaStatus::kCompleted:
      options_.metrics->SagaCompleted(saga_type);
      break;
    case SagaStatus::kFailed:
      options_.metrics->SagaFailed(saga_type);
      break;
    case SagaStatus::kCompensated:
    case SagaStatus::kCompensationFailed:
      options_.metrics->SagaCompensated(saga_type, after == SagaStatus::kCompensated);
      break;
    default:
      break;
  }
}

MINK_INLINE SagaState SagaManager::ToState(const Saga& saga, const SagaState& previous) const {
  SagaState next = SagaToState(saga);
  next.processed_events = previous.processed_events;
  next.failure_reason = previous.failure_reason;
  next.version = previous.version;
  next.updated_at = previous.updated_at;
  return next;
}

// ---- one step ----

MINK_INLINE void SagaManager::RunStep(const Context& ctx, Saga& saga, SagaState& state,
                                      const StoredEvent& event) {
  saga.SetStatus(SagaStatus::kRunning);
  std::exception_ptr failure;
  int failed_step = saga.CurrentStep();
  Commands commands;
  try {
    Event decoded = events_->ProcessStoredEvent(ctx, event);
    commands = saga.HandleEvent(ctx, decoded);
  } catch (const SagaFailedError& e) {
    failed_step = e.Step();
    failure = std::make_exception_ptr(
        SagaFailedError(e.Step(), e.Reason(), saga.SagaID(), saga.SagaType()));
  } catch (...) {
    failure = std::current_exception();
    if (detail::IsCancellation(failure)) throw;
  }
  for (std::size_t i = 0; !failure && i < commands.size(); ++i) {
    const std::string type(commands[i].CommandType());
    const auto began = std::chrono::steady_clock::now();
    std::exception_ptr err =
        DispatchWithRetry(ctx, saga, std::move(commands[i]),
                          SagaCommandID(saga.SagaID(), event.id, std::to_string(i)), event.id);
    if (options_.metrics) {
      options_.metrics->StepDuration(saga.SagaType(), type, !err,
                                     std::chrono::steady_clock::now() - began);
    }
    SagaStep step{.name = type,
                  .index = saga.CurrentStep(),
                  .status = err ? SagaStepStatus::kFailed : SagaStepStatus::kCompleted,
                  .command = type,
                  .error = err ? ErrorMessage(err) : std::string(),
                  .completed_at = Now()};
    saga.RecordStep(std::move(step));
    if (err) {
      failed_step = saga.CurrentStep();
      failure = err;
    } else {
      saga.SetCurrentStep(saga.CurrentStep() + 1);
    }
  }
  if (failure) {
    RunCompensation(ctx, saga, state, failed_step, failure, event.id);
    return;
  }
  if (saga.IsComplete()) {
    saga.SetStatus(SagaStatus::kCompleted);
    saga.SetCompletedAt(Now());
  }
}

MINK_INLINE void SagaManager::RunCompensation(const Context& ctx, Saga& saga, SagaState& state,
                                              int failed_step, const std::exception_ptr& failure,
                                              std::string_view trigger_id) {
  saga.SetStatus(SagaStatus::kCompensating);
  state.failure_reason = ErrorMessage(failure);
  Commands commands;
  try {
    commands = saga.Compensate(ctx, failed_step, failure);
  } catch (...) {
    if (detail::IsCancellation(std::current_exception())) throw;
    state.failure_reason += "; compensate failed: " + ErrorMessage(std::current_exception());
    saga.SetStatus(SagaStatus::kFailed);
    saga.SetCompletedAt(Now());
    Log(spdlog::level::err, "saga \"" + saga.SagaID() + "\" failed: " + state.failure_reason);
    return;
  }
  bool all_ok = true;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const std::string type(commands[i].CommandType());
    std::exception_ptr err = DispatchWithRetry(
        ctx, saga, std::move(commands[i]),
        SagaCommandID(saga.SagaID(), trigger_id, "c" + std::to_string(i)), std::string(trigger_id));
    saga.RecordStep(SagaStep{.name = "compensate " + type,
                             .index = static_cast<int>(i),
                             .status = err ? SagaStepStatus::kFailed : SagaStepStatus::kCompensated,
                             .command = type,
                             .error = err ? ErrorMessage(err) : std::string(),
                             .completed_at = Now()});
    if (err) {
      all_ok = false;
      state.failure_reason += "; compensation " + type + " failed: " + ErrorMessage(err);
    }
  }
  saga.SetStatus(all_ok ? SagaStatus::kCompensated : SagaStatus::kCompensationFailed);
  saga.SetCompletedAt(Now());
  Log(spdlog::level::warn, "saga \"" + saga.SagaID() + "\" " +
                               std::string(ToString(saga.Status())) + ": " + state.failure_reason);
}

MINK_INLINE std::exception_ptr SagaManager::DispatchWithRetry(const Context& ctx, const Saga& saga,
                                                              AnyCommand command,
                                                              const std::string& command_id,
                                                              const std::string& causation_id) {
  CommandBase& base = command.MutableBase();
  base.SetCommandID(command_id);
  if (!saga.CorrelationID().empty()) base.SetCorrelationID(saga.CorrelationID());
  if (!causation_id.empty()) base.SetCausationID(causation_id);
  // A dispatch begun is finished (Stop drains the step in flight); only the wait between
  // attempts is cut short by cancellation.
  Context dispatch_ctx = ctx.WithoutCancel();
  if (!saga.CorrelationID().empty())
    dispatch_ctx = dispatch_ctx.WithCorrelationID(saga.CorrelationID());
  if (!causation_id.empty()) dispatch_ctx = dispatch_ctx.WithCausationID(causation_id);
  std::exception_ptr last;
  auto delay = options_.retry_delay;
  int attempts = 0;
  for (int attempt = 1; attempt <= options_.retry_attempts; ++attempt) {
    attempts = attempt;
    try {
      CommandResult r = bus_->Dispatch(dispatch_ctx, command);
      if (r.IsSuccess()) return nullptr;
      last = r.error ? r.error
                     : std::make_exception_ptr(
                           Error(errc::kSagaCommandFailed, "command reported no success"));
    } catch (...) {
      last = std::current_exception();
      if (detail::IsCancellation(last) && ctx.Done()) std::rethrow_exception(last);
      // Retrying cannot help a command nobody handles or that fails validation.
      if (ErrorIs(last, errc::kHandlerNotFound) || ErrorIs(last, errc::kValidationFailed)) break;
    }
    if (attempt < options_.retry_attempts) {
      if (!ctx.SleepFor(delay)) ctx.ThrowIfDone();
      delay *= 2;
    }
  }
  return std::make_exception_ptr(
      SagaCommandError(saga.SagaID(), std::string(command.CommandType()), attempts, last));
}

// ---- queries ----

MINK_INLINE SagaState SagaManager::GetSaga(const Context& ctx, std::string_view saga_id) {
  return store_->Load(ctx, saga_id);
}

MINK_INLINE SagaState SagaManager::FindSagaByCorrelationID(const Context& ctx,
                                                           std::string_view correlation_id) {
  return store_->FindByCorrelationID(ctx, correlation_id);
}

MINK_INLINE std::vector<SagaState> SagaManager::FindSagasByType(
    const Context& ctx, std::string_view saga_type, const std::vector<SagaStatus>& statuses) {
  return store_->FindByType(ctx, saga_type, statuses);
}

}  // namespace mink
