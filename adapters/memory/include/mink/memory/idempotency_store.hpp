// mink/memory/idempotency_store.hpp — an in-process IdempotencyStore.
//
// For tests and single-process services. Records live in a hash map under one mutex, beside
// two min-heaps ordered by expiry and by processing time, so a cleanup visits only what it
// removes (plus stale heap entries of records replaced since) and never walks the live set.
// A background std::jthread removes expired records every cleanup_interval, in batches of
// kCleanupBatch with the mutex released between batches, and stops promptly on Close() or
// destruction. Thread safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mink/idempotency/store.hpp"

namespace mink::memory {

struct IdempotencyStoreOptions {
  std::chrono::milliseconds cleanup_interval{std::chrono::minutes(1)};
  // Records processed longer ago than this are removed by the background cleanup even if they
  // have not expired (0 = keep until expiry).
  std::chrono::system_clock::duration max_age{0};
  // The time expiry is judged by; empty = the system clock.
  IdempotencyClock clock;
};

class IdempotencyStore final : public mink::IdempotencyStore {
 public:
  // Records removed per lock hold by a cleanup, so other callers wait for one batch at most.
  static constexpr std::size_t kCleanupBatch = 1024;

  explicit IdempotencyStore(IdempotencyStoreOptions options = {}) : options_(std::move(options)) {
    if (options_.cleanup_interval > std::chrono::milliseconds::zero()) {
      cleaner_ = std::jthread([this](std::stop_token stop) { CleanLoop(stop); });
    }
  }
  ~IdempotencyStore() override { Close(); }
  IdempotencyStore(const IdempotencyStore&) = delete;
  IdempotencyStore& operator=(const IdempotencyStore&) = delete;

  void Store(const Context& ctx, const IdempotencyRecord& record) override {
    Check(ctx, record.key);
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    PutLocked(record);
  }

  bool StoreIfAbsent(const Context& ctx, const IdempotencyRecord& record) override {
    Check(ctx, record.key);
    const Timestamp now = Now();
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = records_.find(record.key);
    if (it != records_.end() && !it->second.IsExpired(now)) return false;
    PutLocked(record);
    return true;
  }

  bool Complete(const Context& ctx, const IdempotencyRecord& record) override {
    Check(ctx, record.key);
    ValidateIdempotencyOwner(record.owner);
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = records_.find(record.key);
    if (it == records_.end() || it->second.owner != record.owner) return false;
    PutLocked(record);
    return true;
  }

  bool Release(const Context& ctx, std::string_view key, std::string_view owner) override {
    Check(ctx, key);
    ValidateIdempotencyOwner(owner);
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = records_.find(std::string(key));
    if (it == records_.end() || it->second.owner != owner) return false;
    records_.erase(it);
    return true;
  }

  std::optional<IdempotencyRecord> Get(const Context& ctx, std::string_view key) override {
    Check(ctx, key);
    const Timestamp now = Now();
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = records_.find(std::string(key));
    if (it == records_.end() || it->second.IsExpired(now)) return std::nullopt;
    return it->second;
  }

  void Delete(const Context& ctx, std::string_view key) override {
    Check(ctx, key);
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    records_.erase(std::string(key));
  }

  int64_t Cleanup(const Context& ctx, std::chrono::system_clock::duration older_than) override {
    ctx.ThrowIfDone();
    {
      std::lock_guard lock(mutex_);
      ThrowIfClosed();
    }
    return CleanupBatched(older_than, [&] { return ctx.Done(); });
  }

  // Idempotent and safe to call from several threads at once: exactly one caller takes the
  // cleaner thread and joins it.
  void Close() override {
    std::jthread cleaner;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      cleaner = std::move(cleaner_);
    }
    if (cleaner.joinable()) {
      cleaner.request_stop();
      cleaner.join();
    }
  }

  std::size_t Len() {
    std::lock_guard lock(mutex_);
    return records_.size();
  }
  // Entries in the expiry index (live records plus stale entries not yet swept); for tests.
  std::size_t IndexLen() {
    std::lock_guard lock(mutex_);
    return by_expiry_.size() + by_processed_.size();
  }
  void Clear() {
    std::lock_guard lock(mutex_);
    records_.clear();
    by_expiry_ = {};
    by_processed_ = {};
  }

 private:
  // (time, key), smallest time on top.
  using Entry = std::pair<Timestamp, std::string>;
  using MinHeap = std::priority_queue<Entry, std::vector<Entry>, std::greater<>>;

  static void Check(const Context& ctx, std::string_view key) {
    ctx.ThrowIfDone();
    ValidateIdempotencyKey(key);
  }
  void ThrowIfClosed() const {
    if (closed_) throw Error(errc::kAdapterClosed, "idempotency store is closed");
  }
  Timestamp Now() const { return IdempotencyNow(options_.clock); }

  void PutLocked(const IdempotencyRecord& record) {
    records_.insert_or_assign(record.key, record);
    by_expiry_.emplace(record.expires_at, record.key);
    by_processed_.emplace(record.processed_at, record.key);
    // Replaced and deleted records leave stale entries behind; when they outnumber the live
    // ones the indexes are rebuilt, so they stay O(live records) at amortised O(1) per write.
    if (by_expiry_.size() > 2 * records_.size() + kCleanupBatch) RebuildIndexesLocked();
  }

  void RebuildIndexesLocked() {
    std::vector<Entry> expiry, processed;
    expiry.reserve(records_.size());
    processed.reserve(records_.size());
    for (const auto& [key, r] : records_) {
      expiry.emplace_back(r.expires_at, key);
      processed.emplace_back(r.processed_at, key);
    }
    by_expiry_ = MinHeap(std::greater<>(), std::move(expiry));
    by_processed_ = MinHeap(std::greater<>(), std::move(processed));
  }

  // Pops due entries of `heap` (time < limit, or <= when inclusive) and removes the records
  // that are still due by `is_due`; stale entries of replaced records are dropped. Stops after
  // `budget` pops. Returns the records removed.
  template <class IsDue>
  int64_t SweepLocked(MinHeap& heap, Timestamp limit, bool inclusive, std::size_t& budget,
                      IsDue is_due) {
    int64_t removed = 0;
    while (budget > 0 && !heap.empty()) {
      const Entry& top = heap.top();
      if (inclusive ? top.first > limit : top.first >= limit) break;
      auto it = records_.find(top.second);
      if (it != records_.end() && is_due(it->second)) {
        records_.erase(it);
        ++removed;
      }
      heap.pop();
      --budget;
    }
    return removed;
  }

  // Removes expired records and, when older_than > 0, records processed before now -
  // older_than; kCleanupBatch index entries per lock hold, until nothing is due or `stop()`.
  template <class Stop>
  int64_t CleanupBatched(std::chrono::system_clock::duration older_than, Stop stop) {
    const Timestamp now = Now();
    const bool by_age = older_than > std::chrono::system_clock::duration::zero();
    const Timestamp cutoff = by_age ? now - older_than : Timestamp::min();
    int64_t removed = 0;
    for (;;) {
      std::lock_guard lock(mutex_);
      if (closed_) break;
      std::size_t budget = kCleanupBatch;
      removed += SweepLocked(by_expiry_, now, /*inclusive=*/true, budget,
                             [&](const IdempotencyRecord& r) { return r.IsExpired(now); });
      if (by_age) {
        removed += SweepLocked(by_processed_, cutoff, /*inclusive=*/false, budget,
                               [&](const IdempotencyRecord& r) { return r.processed_at < cutoff; });
      }
      if (budget > 0 || stop()) break;  // the batch did not fill up: nothing more is due
    }
    return removed;
  }

  void CleanLoop(const std::stop_token& stop) {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, stop, options_.cleanup_interval, [] { return false; });
        if (stop.stop_requested() || closed_) return;
      }
      CleanupBatched(options_.max_age, [&] { return stop.stop_requested(); });
    }
  }

  IdempotencyStoreOptions options_;
  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::unordered_map<std::string, IdempotencyRecord> records_;
  MinHeap by_expiry_;
  MinHeap by_processed_;
  bool closed_ = false;
  std::jthread cleaner_;  // last: stopped and joined before the members it uses go away
};

}  // namespace mink::memory
