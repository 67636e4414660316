// mink/memory/outbox_store.hpp — an in-process OutboxStore.
//
// For tests and single-process services. Messages live in a map ordered by scheduling sequence
// under one mutex; every operation is one critical section, so FetchPending's claim is atomic
// among threads. ScheduleInTx accepts the memory adapter's transaction: EventStoreWithOutbox
// then schedules under the adapter's writer lock, and a hook that throws (or an append that
// fails) leaves neither events nor messages. Thread safe. The contract is store.hpp's.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mink/memory/adapter.hpp"
#include "mink/outbox/errors.hpp"
#include "mink/outbox/store.hpp"

namespace mink::memory {

struct OutboxStoreOptions {
  OutboxClock clock;  // empty: the system clock
};

class OutboxStore final : public mink::OutboxStore {
 public:
  explicit OutboxStore(OutboxStoreOptions options = {}) : options_(std::move(options)) {}
  OutboxStore(const OutboxStore&) = delete;
  OutboxStore& operator=(const OutboxStore&) = delete;

  void Initialize(const Context& ctx) override { ctx.ThrowIfDone(); }

  void Schedule(const Context& ctx, std::vector<OutboxMessage>& messages) override {
    ctx.ThrowIfDone();
    PrepareOutboxMessages(messages, Now());
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    for (const OutboxMessage& m : messages) {
      if (ids_.contains(m.id)) {
        throw Error(errc::kInvalidArgument, "outbox message id \"" + m.id + "\" already exists");
      }
    }
    for (const OutboxMessage& m : messages) {
      ids_.emplace(m.id, next_seq_);
      messages_.emplace(next_seq_++, m);
    }
  }

  void ScheduleInTx(const Context& ctx, mink::Transaction& tx,
                    std::vector<OutboxMessage>& messages) override {
    if (dynamic_cast<memory::Transaction*>(&tx) == nullptr) {
      throw Error(errc::kInvalidArgument,
                  "memory outbox store: the transaction is not the memory adapter's");
    }
    Schedule(ctx, messages);
  }

  std::vector<OutboxMessage> FetchPending(const Context& ctx, std::size_t limit,
                                          const FetchOptions& options = {}) override {
    ctx.ThrowIfDone();
    const Timestamp now = Now();
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    // Due messages, oldest scheduled first, ties in scheduling order.
    std::vector<std::pair<Timestamp, uint64_t>> due;
    for (const auto& [seq, m] : messages_) {
      if (m.status == OutboxStatus::kPending && m.scheduled_at <= now) {
        due.emplace_back(m.scheduled_at, seq);
      }
    }
    std::sort(due.begin(), due.end());
    std::vector<OutboxMessage> claimed;
    for (const auto& [at, seq] : due) {
      if (claimed.size() >= limit) break;
      OutboxMessage& m = messages_.at(seq);
      if (options.ordered_per_aggregate && HasUnfinishedBefore(seq, m)) continue;
      m.status = OutboxStatus::kProcessing;
      ++m.attempts;
      m.last_attempt_at = now;
      claimed.push_back(m);
    }
    return claimed;
  }

  void MarkCompleted(const Context& ctx, std::span<const std::string> ids) override {
    ctx.ThrowIfDone();
    const Timestamp now = Now();
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    for (const std::string& id : ids) {
      auto it = ids_.find(id);
      if (it == ids_.end()) continue;
      OutboxMessage& m = messages_.at(it->second);
      m.status = OutboxStatus::kCompleted;
      m.processed_at = now;
    }
  }

  void MarkFailed(const Context& ctx, const std::string& id, std::string_view error,
                  std::optional<Timestamp> retry_at = std::nullopt) override {
    ctx.ThrowIfDone();
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = ids_.find(id);
    if (it == ids_.end()) {
      throw Error(errc::kOutboxMessageNotFound, "outbox message \"" + id + "\" not found");
    }
    OutboxMessage& m = messages_.at(it->second);
    if (m.status == OutboxStatus::kCompleted) return;  // delivered meanwhile: keep it
    m.status = OutboxStatus::kFailed;
    m.last_error = std::string(error);
    if (retry_at)
      m.scheduled_at = std::chrono::time_point_cast<std::chrono::microseconds>(*retry_at);
  }

  int64_t RetryFailed(const Context& ctx, int max_attempts) override {
    return Transition(
        ctx,
        [max_attempts](const OutboxMessage& m) {
          return m.status == OutboxStatus::kFailed && m.attempts < Limit(m, max_attempts);
        },
        OutboxStatus::kPending);
  }

  int64_t MoveToDeadLetter(const Context& ctx, int max_attempts) override {
    return Transition(
        ctx,
        [max_attempts](const OutboxMessage& m) {
          return m.status == OutboxStatus::kFailed && m.attempts >= Limit(m, max_attempts);
        },
        OutboxStatus::kDeadLetter);
  }

  std::vector<OutboxMessage> GetDeadLetterMessages(const Context& ctx, std::size_t limit) override {
    ctx.ThrowIfDone();
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    std::vector<OutboxMessage> out;
    for (const auto& [seq, m] : messages_) {
      if (m.status == OutboxStatus::kDeadLetter) out.push_back(m);
    }
    std::stable_sort(out.begin(), out.end(), [](const OutboxMessage& a, const OutboxMessage& b) {
      return a.created_at < b.created_at;
    });
    if (out.size() > limit) out.resize(limit);
    return out;
  }

  int64_t RequeueDeadLetters(const Context& ctx, std::span<const std::string> ids) override {
    ctx.ThrowIfDone();
    const Timestamp now = Now();
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    int64_t n = 0;
    for (const std::string& id : ids) {
      auto it = ids_.find(id);
      if (it == ids_.end()) continue;
      OutboxMessage& m = messages_.at(it->second);
      if (m.status != OutboxStatus::kDeadLetter) continue;
      m.status = OutboxStatus::kPending;
      m.attempts = 0;
      m.scheduled_at = std::chrono::time_point_cast<std::chrono::microseconds>(now);
      ++n;
    }
    return n;
  }

  int64_t ReclaimStale(const Context& ctx, std::chrono::system_clock::duration timeout) override {
    const Timestamp cutoff = Now() - timeout;
    return Transition(
        ctx,
        [cutoff](const OutboxMessage& m) {
          return m.status == OutboxStatus::kProcessing && m.last_attempt_at &&
                 *m.last_attempt_at < cutoff;
        },
        OutboxStatus::kPending);
  }

  int64_t Cleanup(const Context& ctx, std::chrono::system_clock::duration older_than) override {
    ctx.ThrowIfDone();
    const Timestamp cutoff = Now() - older_than;
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    int64_t n = 0;
    for (auto it = messages_.begin(); it != messages_.end();) {
      const OutboxMessage& m = it->second;
      if (m.status == OutboxStatus::kCompleted && m.processed_at && *m.processed_at < cutoff) {
        ids_.erase(m.id);
        it = messages_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

  std::optional<OutboxMessage> Get(const Context& ctx, const std::string& id) override {
    ctx.ThrowIfDone();
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = ids_.find(id);
    if (it == ids_.end()) return std::nullopt;
    return messages_.at(it->second);
  }

  int64_t Count(const Context& ctx, OutboxStatus status) override {
    ctx.ThrowIfDone();
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    return std::count_if(messages_.begin(), messages_.end(),
                         [status](const auto& e) { return e.second.status == status; });
  }

  void Close() override {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

 private:
  static int Limit(const OutboxMessage& m, int max_attempts) {
    const int own = m.max_attempts > 0 ? m.max_attempts : kDefaultOutboxMaxAttempts;
    return max_attempts > 0 ? std::min(max_attempts, own) : own;
  }

  Timestamp Now() const {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        options_.clock ? options_.clock() : Timestamp(std::chrono::system_clock::now()));
  }

  void ThrowIfClosed() const {
    if (closed_) throw Error(errc::kAdapterClosed, "memory outbox store is closed");
  }

  // An earlier-scheduled message of the same aggregate and destination not yet finished.
  bool HasUnfinishedBefore(uint64_t seq, const OutboxMessage& m) const {
    for (auto it = messages_.begin(); it != messages_.end() && it->first < seq; ++it) {
      const OutboxMessage& e = it->second;
      if (e.aggregate_id == m.aggregate_id && e.destination == m.destination &&
          (e.status == OutboxStatus::kPending || e.status == OutboxStatus::kProcessing ||
           e.status == OutboxStatus::kFailed)) {
        return true;
      }
    }
    return false;
  }

  template <class Pred>
  int64_t Transition(const Context& ctx, Pred pred, OutboxStatus to) {
    ctx.ThrowIfDone();
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    int64_t n = 0;
    for (auto& [seq, m] : messages_) {
      if (pred(m)) {
        m.status = to;
        ++n;
      }
    }
    return n;
  }

  OutboxStoreOptions options_;
  std::mutex mutex_;
  std::map<uint64_t, OutboxMessage> messages_;  // by scheduling sequence
  std::unordered_map<std::string, uint64_t> ids_;
  uint64_t next_seq_ = 1;
  bool closed_ = false;
};

}  // namespace mink::memory
