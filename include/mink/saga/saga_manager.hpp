// mink/saga/saga_manager.hpp — SagaManager: runs sagas on the event feed.
//
//   mink::SagaManager manager(saga_store, event_store, bus, {.retry_attempts = 3});
//   manager.RegisterSimple("OrderFulfillment",
//       [](const std::string& id) { return std::make_unique<OrderSaga>(id); }, {"OrderCreated"});
//   auto running = manager.StartAsync(ctx);   // or manager.Start(ctx) on a thread of your own
//   ...
//   manager.Stop();                           // drains the in-flight saga step
//
// Start follows the event store's SubscribeAll feed (push: the memory adapter's notifier, or
// PostgreSQL's LISTEN/NOTIFY wake-up, with poll_interval as a fallback) from the manager's
// checkpoint, and hands each event to ProcessEvent. For every registered saga type that
// handles the event's type:
//   * routing: correlation ID = the correlation's function (default: the stream ID); the
//     latest saga of that type with that correlation ID, else — for a starting event — a new
//     saga "<type>-<correlation>"; other events without a saga are ignored, and so are
//     events for sagas in a terminal status;
//   * one saga is processed by one thread at a time (a per-saga lock), and an event it has
//     processed before ("<event id>:<position>" in SagaState::processed_events) is skipped;
//   * HandleEvent's commands are dispatched through the bus, each up to retry_attempts times
//     with retry_delay * 2^(attempt-1) between; each success advances CurrentStep and records
//     a SagaStep; commands carry deterministic IDs (command_ids.hpp), correlation = the saga's
//     correlation ID, causation = the event's ID;
//   * a failure (HandleEvent threw, a command failed for good) compensates: status
//     compensating, Compensate's commands are ALL dispatched even when one fails, then
//     compensated (or compensation_failed); a Compensate that throws leaves the saga failed;
//   * a step once begun runs to its save, so Stop drains it; cancellation (Stop, the Context)
//     only cuts a retry wait short, which abandons the step unsaved (the event is delivered
//     again on the next start, and deterministic command IDs make the re-dispatch a replay
//     under the idempotency middleware); it never compensates;
//   * the saga is saved with optimistic concurrency; a conflict re-runs the step (reloading
//     the saga) up to retry_attempts times.
// The checkpoint (SagaStore checkpoint `checkpoint_name`) moves past an event only after its
// sagas were saved — in the same SaveWithCheckpoint when one saga type handles the event —
// so a restart never skips an event, and processed_events makes a re-delivered one a no-op.
//
// Bad input: an unknown saga type in the store or a corrupt saga row -> the error is logged
// and that saga is left alone (other sagas go on); a factory that throws or returns null ->
// logged, the event is not applied to that saga type; a HandleEvent that throws anything ->
// compensation with the exception's message; a command with no handler -> a failed step
// (compensation); a Compensate that throws -> status failed.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "mink/context.hpp"
#include "mink/cqrs/command_bus.hpp"
#include "mink/detail/config.hpp"
#include "mink/es/event_store.hpp"
#include "mink/saga/command_ids.hpp"
#include "mink/saga/leader_election.hpp"
#include "mink/saga/metrics.hpp"
#include "mink/saga/saga.hpp"
#include "mink/saga/store.hpp"

namespace spdlog {
class logger;
}

namespace mink {

// One re-drive, reported to SagaManagerOptions::retry_observer.
struct SagaRetryEvent {
  std::string saga_id;
  std::string saga_type;
  SagaStatus from_status = SagaStatus::kFailed;
  SagaStatus result_status = SagaStatus::kFailed;
  Timestamp at{};
  std::exception_ptr error;
};

enum class RetryOutcome { kSucceeded, kFailedAgain, kConflicted, kSkipped };
constexpr std::string_view ToString(RetryOutcome o) noexcept {
  switch (o) {
    case RetryOutcome::kSucceeded:
      return "succeeded";
    case RetryOutcome::kFailedAgain:
      return "failed_again";
    case RetryOutcome::kConflicted:
      return "conflicted";
    case RetryOutcome::kSkipped:
      return "skipped";
  }
  return "unknown";
}

struct SagaRetryResult {
  std::string saga_id;
  RetryOutcome outcome = RetryOutcome::kSkipped;
  std::exception_ptr error;
};

struct RetryReport {
  std::vector<SagaRetryResult> results;
  std::size_t Count(RetryOutcome o) const {
    std::size_t n = 0;
    for (const auto& r : results) n += r.outcome == o ? 1 : 0;
    return n;
  }
};

// go-mink's defaults.
struct SagaManagerOptions {
  int retry_attempts = 3;                        // per command; values < 1 mean 1
  std::chrono::milliseconds retry_delay{1000};   // doubled after each failed attempt
  std::chrono::milliseconds timeout{0};          // stalled running sagas; 0 = no sweep
  std::chrono::milliseconds sweep_interval{0};   // 0 = max(poll_interval, 1 s)
  std::chrono::milliseconds poll_interval{100};  // the subscription's fallback wake-up
  std::size_t buffer_size = 256;                 // events per subscription fetch
  std::shared_ptr<spdlog::logger> logger;        // default: discards everything
  bool retry_capture = false;                    // keep the trigger event for RetrySaga
  std::function<void(const SagaRetryEvent&)> retry_observer;
  std::shared_ptr<SagaMetrics> metrics;               // optional
  std::string checkpoint_name = "mink-saga-manager";  // one per independent manager
  std::function<Timestamp()> clock;                   // default: the system clock
  // Several instances: with an election the manager follows the feed only while it holds the
  // lease on "saga:<type>" for every registered type and on "saga-checkpoint:<checkpoint
  // name>" (register the types before Start); otherwise it stands by, retrying every
  // leader_retry_interval, and takes over when the leader's lease ends. It checks its own
  // lease as often and stops leading as soon as it is lost (after the step in flight); a
  // store failure (kConnectionFailed, kStorageFailed, kOutcomeUnknown) also sends it back to
  // standing by. Null: no election (one manager).
  std::shared_ptr<LeaderElection> leader_election;
  std::chrono::milliseconds leader_retry_interval{1000};
};

class MINK_API SagaManager {
 public:
  SagaManager(std::shared_ptr<SagaStore> store, std::shared_ptr<EventStore> events,
              std::shared_ptr<CommandBus> bus, SagaManagerOptions options = {});
  ~SagaManager();
  SagaManager(const SagaManager&) = delete;
  SagaManager& operator=(const SagaManager&) = delete;

  // Registers a saga type. Calls factory("") once to read HandledEvents(); throws
  // kInvalidArgument for an empty type, a null factory or one that throws / returns null /
  // names another type.
  void Register(std::string saga_type, SagaFactory factory, SagaCorrelation correlation);
  // Correlation by stream ID.
  void RegisterSimple(std::string saga_type, SagaFactory factory,
                      std::vector<std::string> starting_events);

  // Follows the feed until Stop() or `ctx` ends. Throws Error(kSagaManagerRunning) when
  // already running, kSubscriptionNotSupported when the event store cannot subscribe.
  void Start(const Context& ctx);
  // Start on a thread of the manager's; the future reports how the loop ended. Returns once
  // the subscription is open (so events appended afterwards are seen) — with a leader
  // election, once the manager is running (leading or standing by; see IsLeader).
  std::future<void> StartAsync(const Context& ctx);
  // Stops the loop and waits for it: the saga step in flight finishes its save or is
  // abandoned unsaved (a retry delay is cut short). Idempotent.
  void Stop();
  bool IsRunning() const noexcept { return running_.load(); }
  // Whether the manager is following the feed now (always, while running, without an
  // election; with one, while it leads).
  bool IsLeader() const noexcept { return leader_.load(); }
  // The position of the last event the loop finished.
  uint64_t Position() const noexcept { return position_.load(); }

  // Routes one event to its sagas (what the loop does for each event; no checkpoint).
  void ProcessEvent(const Context& ctx, const StoredEvent& event);
  // Starts (or continues) a saga of `saga_type` for `trigger` regardless of starting events.
  SagaState StartSaga(const Context& ctx, std::string_view saga_type, const StoredEvent& trigger);

  SagaState GetSaga(const Context& ctx, std::string_view saga_id);
  SagaState FindSagaByCorrelationID(const Context& ctx, std::string_view correlation_id);
  std::vector<SagaState> FindSagasByType(const Context& ctx, std::string_view saga_type,
                                         const std::vector<SagaStatus>& statuses = {});

  // Compensates a non-terminal saga now (reason: `reason`). Terminal sagas are left alone
  // (SagaNotRetryableError).
  void Compensate(const Context& ctx, std::string_view saga_id, std::string reason);
  // Drives a stalled (non-terminal) saga again: a compensating one re-runs its compensation,
  // a running one its captured trigger event (needs retry_capture).
  void Resume(const Context& ctx, std::string_view saga_id);
  // go-mink's operator re-drive of a failed / compensated / compensation_failed saga from its
  // captured trigger event (needs retry_capture). Returns the resulting state.
  SagaState RetrySaga(const Context& ctx, std::string_view saga_id);
  // Re-drives a running saga whose last update is older than `timeout`.
  SagaState ResumeStalled(const Context& ctx, std::string_view saga_id);
  // RetrySaga for every saga of the type in `statuses` (default: the retryable ones).
  RetryReport RetrySagasByType(const Context& ctx, std::string_view saga_type,
                               std::vector<SagaStatus> statuses = {});
  // One pass of the timeout sweep (the loop runs it every sweep_interval): compensates
  // running sagas not updated for `timeout`. Returns how many.
  int SweepTimeouts(const Context& ctx);

 private:
  struct Registration {
    std::string saga_type;
    SagaFactory factory;
    SagaCorrelation correlation;
    std::vector<std::string> handled;
  };
  void Run(const Context& ctx, const std::function<void()>& on_open);
  // Stand by / lead with options_.leader_election until `run` ends.
  void Lead(const Context& run);
  std::vector<std::string> LeaderNames() const;
  // Follows the feed from the checkpoint until `run` ends or the feed fails. `lease_lost`
  // (with an election) tells it not to write the checkpoint once the leadership is gone.
  void Follow(const Context& run, const std::function<void()>& on_open,
              const std::atomic<bool>* lease_lost = nullptr);
  void ProcessEventInternal(const Context& ctx, const StoredEvent& event,
                            std::optional<uint64_t> checkpoint);
  // Applies `event` to the saga of `reg` (routing, lock, dedupe, step, save with conflict
  // retries). Returns true when a saga was saved.
  bool ProcessForType(const Context& ctx, const Registration& reg, const StoredEvent& event,
                      bool force_start, std::optional<uint64_t> checkpoint,
                      SagaState* result = nullptr);
  std::unique_ptr<Saga> Hydrate(const SagaState& state) const;
  const Registration* Find(std::string_view saga_type) const;
  // HandleEvent + dispatch + compensation on `saga`; throws only cancellation.
  void RunStep(const Context& ctx, Saga& saga, SagaState& state, const StoredEvent& event);
  void RunCompensation(const Context& ctx, Saga& saga, SagaState& state, int failed_step,
                       const std::exception_ptr& failure, std::string_view trigger_id);
  // Dispatches with retries; returns null on success, the last failure otherwise. Throws
  // cancellation.
  std::exception_ptr DispatchWithRetry(const Context& ctx, const Saga& saga, AnyCommand command,
                                       const std::string& command_id,
                                       const std::string& causation_id);
  SagaState ToState(const Saga& saga, const SagaState& previous) const;
  // Tells options.metrics about a saved status change (completed, failed, compensated...).
  void ReportTransition(const std::string& saga_type, SagaStatus before, SagaStatus after) const;
  // kRetry: a retryable (failed / compensated / compensation_failed) saga; kStalled: a running
  // saga older than the timeout; kResume: a started or running saga.
  enum class RedriveMode { kRetry, kStalled, kResume };
  SagaState Redrive(const Context& ctx, std::string_view saga_id, RedriveMode mode);
  void SweepLoop(const std::stop_token& stop);
  Timestamp Now() const;
  void Log(int level, const std::string& message) const;
  std::unique_lock<std::mutex> LockSaga(const std::string& saga_id);

  std::shared_ptr<SagaStore> store_;
  std::shared_ptr<EventStore> events_;
  std::shared_ptr<CommandBus> bus_;
  SagaManagerOptions options_;

  mutable std::mutex registry_mutex_;
  std::map<std::string, std::shared_ptr<const Registration>, std::less<>> registry_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<const Registration>>> by_event_;

  // The per-saga lock: one of kLockStripes mutexes chosen by the saga ID's hash (a thread
  // holds at most one, so striping cannot deadlock).
  static constexpr std::size_t kLockStripes = 64;
  std::array<std::mutex, kLockStripes> stripes_;

  std::mutex run_mutex_;  // Start / Stop
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> position_{0};
  std::atomic<bool> leader_{false};
  Subscription* current_sub_ = nullptr;  // guarded by run_mutex_
  std::function<void()> cancel_run_;     // guarded by run_mutex_
  std::thread async_thread_;             // guarded by run_mutex_
  std::mutex done_mutex_;
  std::condition_variable done_cv_;
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/saga/saga_manager-inl.hpp"
#include "mink/saga/saga_retry-inl.hpp"
#endif
