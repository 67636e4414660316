// mink/outbox/store.hpp — where outbox messages wait for an OutboxProcessor.
//
// The seed's OutboxStore, plus what several processors and operators need. Life of a message:
//
//   Schedule / ScheduleInTx      -> pending (from scheduled_at on)
//   FetchPending (claims)        pending -> processing, attempts + 1, last_attempt_at = now
//   MarkCompleted                processing -> completed, processed_at = now
//   MarkFailed(id, err, at)      -> failed, last_error = err, scheduled_at = at (the backoff)
//   RetryFailed(max)             failed with attempts < min(max, max_attempts) -> pending
//   MoveToDeadLetter(max)        failed with attempts >= min(max, max_attempts) -> dead_letter
//   ReclaimStale(timeout)        processing claimed longer than `timeout` ago -> pending
//   RequeueDeadLetters(ids)      dead_letter -> pending, attempts = 0, scheduled now
//   Cleanup(age)                 deletes completed messages processed more than `age` ago
//
// Contract shared by every store (tests/conformance/outbox_store_conformance.cpp):
//   * FetchPending is a claim: of concurrent callers (threads or processes) each pending
//     message is returned to exactly one, and it returns only messages with
//     scheduled_at <= now, oldest scheduled first (ties in scheduling order).
//   * With FetchOptions::ordered_per_aggregate a message is not claimed while an earlier
//     scheduled message of the same aggregate_id and destination is pending, processing or
//     failed (a dead letter no longer holds later messages back).
//   * Schedule fills what the caller left empty: id (a UUID; a given one must be a UUID),
//   max_attempts (0 -> 5),
//     created_at and scheduled_at (now). Every message is checked first (destination
//     "prefix:target", payload JSON text, non-empty aggregate_id and event_type); a bad one
//     throws (kInvalidDestination / kInvalidArgument) and nothing of the batch is written.
//   * MarkCompleted ignores unknown IDs; MarkFailed of an unknown ID throws
//     kOutboxMessageNotFound and leaves a completed message completed (a processor whose
//     claim was reclaimed cannot undo the delivery another processor recorded). Payloads are JSON
//     (stores may normalise their whitespace).
//   * Failures of the backing system are mink::Error (kConnectionFailed / kStorageFailed);
//     a closed store throws kAdapterClosed. All methods are safe to call concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mink/context.hpp"
#include "mink/detail/config.hpp"
#include "mink/es/adapter.hpp"
#include "mink/outbox/message.hpp"

namespace mink {

inline constexpr int kDefaultOutboxMaxAttempts = 5;

// Where stores read the time: empty = std::chrono::system_clock (PostgreSQL: the server's).
// Tests inject a manual clock so backoff and claim timeouts pass on command.
using OutboxClock = std::function<Timestamp()>;

struct FetchOptions {
  // Per-aggregate ordered delivery (see the contract above).
  bool ordered_per_aggregate = false;
};

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // Creates what the store needs (tables, indexes). Idempotent.
  virtual void Initialize(const Context& ctx) = 0;

  // Stores `messages` as pending, filling their defaults in place (see above). All or none.
  virtual void Schedule(const Context& ctx, std::vector<OutboxMessage>& messages) = 0;
  // The same inside an event append's transaction (a TransactionHook's `tx`): the messages
  // commit or roll back with the events. A transaction of another adapter throws
  // kInvalidArgument.
  virtual void ScheduleInTx(const Context& ctx, Transaction& tx,
                            std::vector<OutboxMessage>& messages) = 0;

  // Claims up to `limit` due pending messages (status processing, attempts + 1).
  virtual std::vector<OutboxMessage> FetchPending(const Context& ctx, std::size_t limit,
                                                  const FetchOptions& options = {}) = 0;
  virtual void MarkCompleted(const Context& ctx, std::span<const std::string> ids) = 0;
  // Records a failed attempt. `retry_at`: when the message may be retried (its new
  // scheduled_at, the per-message backoff); nullopt leaves scheduled_at as it is.
  virtual void MarkFailed(const Context& ctx, const std::string& id, std::string_view error,
                          std::optional<Timestamp> retry_at = std::nullopt) = 0;
  // Failed messages with attempts below min(max_attempts, their own) become pending again.
  virtual int64_t RetryFailed(const Context& ctx, int max_attempts) = 0;
  // Failed messages that used up min(max_attempts, their own) become dead letters.
  virtual int64_t MoveToDeadLetter(const Context& ctx, int max_attempts) = 0;
  // Dead letters, oldest first.
  virtual std::vector<OutboxMessage> GetDeadLetterMessages(const Context& ctx,
                                                           std::size_t limit) = 0;
  // Dead letters with these IDs become pending again (attempts 0, due now). Other IDs are
  // ignored. Returns how many were re-queued.
  virtual int64_t RequeueDeadLetters(const Context& ctx, std::span<const std::string> ids) = 0;
  // Processing messages whose claim (last_attempt_at) is older than `timeout` become pending:
  // their processor is presumed dead. Returns how many.
  virtual int64_t ReclaimStale(const Context& ctx, std::chrono::system_clock::duration timeout) = 0;
  // Deletes completed messages processed more than `older_than` ago. Returns how many.
  virtual int64_t Cleanup(const Context& ctx, std::chrono::system_clock::duration older_than) = 0;
  // The message with this ID, in whatever status (operators and tests).
  virtual std::optional<OutboxMessage> Get(const Context& ctx, const std::string& id) = 0;
  // How many messages have status `status`.
  virtual int64_t Count(const Context& ctx, OutboxStatus status) = 0;
  virtual void Close() = 0;
};

// The checks and defaults of Schedule, shared by the stores: throws on the first bad message
// (nothing changed is observable: callers validate the whole batch before writing).
// IDs are UUIDs in the canonical 8-4-4-4-12 hex form (the PostgreSQL column is UUID).
MINK_API void PrepareOutboxMessages(std::vector<OutboxMessage>& messages, Timestamp now);

MINK_API bool IsOutboxMessageID(std::string_view id) noexcept;

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/outbox/store-inl.hpp"
#endif
