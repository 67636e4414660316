// mink/outbox/processor.hpp — the background worker that delivers outbox messages.
//
//   mink::OutboxProcessor processor(outbox, {.publishers = {webhook, kafka},
//                                            .wake_feed = adapter});   // push wake-up
//   processor.Start(ctx);
//   ...
//   processor.Stop(ctx.WithTimeout(30s));   // finishes the in-flight batch
//
// One loop per processor: claim up to batch_size due messages (FetchPending), group them by
// destination prefix, hand each group to the publisher of that prefix, and record each
// message's own outcome — MarkCompleted for the delivered ones, MarkFailed with the error and
// a retry time for the others. A message whose destination is malformed or whose prefix has no
// publisher fails with kInvalidDestination / kPublisherNotFound; a publisher that throws or
// returns the wrong number of outcomes fails its group with kOutboxPublishFailed. last_error
// is "<ErrorCodeName>: <message>". Nothing a message does stops the loop.
//
// Backoff: a failed message is retried at now + d/2 + random(0, d/2), d = retry_backoff *
// 2^(attempts-1) capped at max_backoff (scheduled_at moves forward), until it has had
// min(max_retries, its max_attempts) attempts; then it becomes a dead letter
// (GetDeadLetterMessages, RequeueDeadLetters on the store).
//
// Wake-up: after a batch the loop sleeps until Wake(), a new event on `wake_feed` (the same
// change notification the event subscriptions use: in-process directly, other processes
// through the adapter's LISTEN/NOTIFY wake sender), or poll_interval — the fallback. A full
// batch is followed by the next at once. Maintenance every retry_backoff: ReclaimStale
// (processing_timeout), RetryFailed, MoveToDeadLetter, the pending-count metric; Cleanup every
// cleanup_interval.
//
// Guarantees: at-least-once. Several processors (threads or processes) may share one store:
// a claim hands each message to one of them, so while all are healthy each message is
// published once; a processor that dies (or stalls past processing_timeout) mid-batch has its
// claimed messages reclaimed and published again — duplicates come only from such a batch, or
// from a publisher that delivered but could not say so. Ordering: none across messages by
// default; with ordered_per_aggregate, the messages of one aggregate to one destination are
// published one at a time in scheduling order (a dead letter is skipped). docs/outbox.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "mink/context.hpp"
#include "mink/detail/config.hpp"
#include "mink/es/adapter.hpp"
#include "mink/outbox/metrics.hpp"
#include "mink/outbox/publisher.hpp"
#include "mink/outbox/store.hpp"

namespace spdlog {
class logger;
}

namespace mink {

struct OutboxProcessorOptions {
  std::size_t batch_size = 100;
  std::chrono::milliseconds poll_interval{1000};
  int max_retries = 5;
  std::chrono::milliseconds retry_backoff{5000};  // first retry delay; maintenance interval
  std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
  std::chrono::milliseconds cleanup_interval{std::chrono::hours(1)};
  std::chrono::milliseconds cleanup_age{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds processing_timeout{std::chrono::minutes(5)};
  std::vector<std::shared_ptr<Publisher>> publishers;
  std::shared_ptr<OutboxMetrics> metrics;
  std::shared_ptr<spdlog::logger> logger;  // default: discards everything
  // Publish the messages of one aggregate to one destination one at a time, in order.
  bool ordered_per_aggregate = false;
  // An adapter with SubscriptionAdapter whose appends wake the processor (push wake-up).
  std::shared_ptr<EventStoreAdapter> wake_feed;
  // The time backoff is computed from; empty = the system clock (tests: the store's clock).
  OutboxClock clock;
  // A number in [0, 1) per retry, for the jitter; empty = a thread-local PRNG.
  std::function<double()> jitter;
};

class MINK_API OutboxProcessor {
 public:
  // Non-positive numbers and durations are replaced by the defaults (as go-mink ignores them).
  // Throws Error(kInvalidArgument) for a missing store or publisher, or two publishers of
  // one prefix.
  OutboxProcessor(std::shared_ptr<OutboxStore> store, OutboxProcessorOptions options = {});
  ~OutboxProcessor();
  OutboxProcessor(const OutboxProcessor&) = delete;
  OutboxProcessor& operator=(const OutboxProcessor&) = delete;

  // Starts the loop on its own thread. Throws Error(kOutboxProcessorRunning) when running.
  // `ctx` cancels the loop as Stop would (without waiting).
  void Start(const Context& ctx);
  // Stops the loop after its in-flight batch; when `ctx` ends first, the batch's publish is
  // cancelled (its messages stay claimed and are reclaimed after processing_timeout).
  // Returns once the thread has ended. Idempotent.
  void Stop(const Context& ctx = {});
  bool IsRunning() const noexcept;
  // Wakes the loop now (for example after OutboxStore::Schedule).
  void Wake();

  // One round, without the thread: claim a batch, publish it, record outcomes. Returns how
  // many messages were claimed. (Tests, and services that drive their own loop.)
  std::size_t ProcessBatch(const Context& ctx);
  // One maintenance round: reclaim stale claims, retry failed, dead-letter exhausted.
  void RunMaintenance(const Context& ctx);

  const OutboxProcessorOptions& Options() const noexcept { return options_; }

 private:
  struct State;
  std::shared_ptr<OutboxStore> store_;
  OutboxProcessorOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/outbox/processor-inl.hpp"
#endif
