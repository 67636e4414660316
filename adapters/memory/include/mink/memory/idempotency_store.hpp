// mink/memory/idempotency_store.hpp — an in-process IdempotencyStore.
//
// For tests and single-process services. Records live in a hash map under one mutex; a
// background std::jthread removes expired records every cleanup_interval and stops promptly on
// Close() or destruction. Thread safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "mink/idempotency/store.hpp"

namespace mink::memory {

struct IdempotencyStoreOptions {
  std::chrono::milliseconds cleanup_interval{std::chrono::minutes(1)};
  // Records processed longer ago than this are removed by the background cleanup even if they
  // have not expired (0 = keep until expiry).
  std::chrono::system_clock::duration max_age{0};
};

class IdempotencyStore final : public mink::IdempotencyStore {
 public:
  explicit IdempotencyStore(IdempotencyStoreOptions options = {}) : options_(options) {
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
    records_.insert_or_assign(record.key, record);
  }

  bool StoreIfAbsent(const Context& ctx, const IdempotencyRecord& record) override {
    Check(ctx, record.key);
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = records_.find(record.key);
    if (it != records_.end() && !it->second.IsExpired()) return false;
    records_.insert_or_assign(record.key, record);
    return true;
  }

  std::optional<IdempotencyRecord> Get(const Context& ctx, std::string_view key) override {
    Check(ctx, key);
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = records_.find(std::string(key));
    if (it == records_.end() || it->second.IsExpired()) return std::nullopt;
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
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    return CleanupLocked(older_than);
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
  void Clear() {
    std::lock_guard lock(mutex_);
    records_.clear();
  }

 private:
  static void Check(const Context& ctx, std::string_view key) {
    ctx.ThrowIfDone();
    ValidateIdempotencyKey(key);
  }
  void ThrowIfClosed() const {
    if (closed_) throw Error(errc::kAdapterClosed, "idempotency store is closed");
  }

  int64_t CleanupLocked(std::chrono::system_clock::duration older_than) {
    const auto now = std::chrono::system_clock::now();
    const bool by_age = older_than > std::chrono::system_clock::duration::zero();
    int64_t removed = 0;
    for (auto it = records_.begin(); it != records_.end();) {
      const bool old = by_age && it->second.processed_at < now - older_than;
      if (it->second.IsExpired(now) || old) {
        it = records_.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    return removed;
  }

  void CleanLoop(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
      cv_.wait_for(lock, stop, options_.cleanup_interval, [] { return false; });
      if (stop.stop_requested() || closed_) break;
      CleanupLocked(options_.max_age);
    }
  }

  IdempotencyStoreOptions options_;
  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::unordered_map<std::string, IdempotencyRecord> records_;
  bool closed_ = false;
  std::jthread cleaner_;  // last: stopped and joined before the members it uses go away
};

}  // namespace mink::memory
