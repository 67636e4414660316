// mink/memory/adapter.hpp — the in-memory event store adapter.
//
// For tests, prototypes and single-process services that do not need durability. Implements
// EventStoreAdapter, SubscriptionAdapter and TransactionalAdapter with the same semantics as
// the PostgreSQL adapter (tests/conformance runs one suite against both).
//
// Thread safety: every method may be called from any thread. Appends serialize on one writer
// lock; loads share a reader lock. Subscriptions read the log by position, so a slow subscriber
// only falls behind — it never loses events and never blocks writers.
//
// A TransactionHook runs under the writer lock: it must not call back into this adapter.
// Event IDs are derived from global positions, so the IDs a hook saw for an append it then
// rolled back are given to the events of the next append.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mink/detail/pull_subscription.hpp"
#include "mink/detail/uuid_pool.hpp"
#include "mink/es/adapter.hpp"
#include "mink/es/stream_id.hpp"

namespace mink::memory {

// The transaction handed to a TransactionHook: the events are staged, not yet visible.
class Transaction final : public mink::Transaction {};

class Adapter final : public EventStoreAdapter,
                      public SubscriptionAdapter,
                      public TransactionalAdapter,
                      public std::enable_shared_from_this<Adapter> {
 public:
  Adapter() = default;
  Adapter(const Adapter&) = delete;
  Adapter& operator=(const Adapter&) = delete;

  AppendResult Append(const Context& ctx, const std::string& stream_id,
                      std::vector<EventRecord> records, int64_t expected_version) override {
    return AppendImpl(ctx, stream_id, std::move(records), expected_version, nullptr);
  }

  AppendResult AppendWithHook(const Context& ctx, const std::string& stream_id,
                              std::vector<EventRecord> records, int64_t expected_version,
                              const TransactionHook& hook) override {
    return AppendImpl(ctx, stream_id, std::move(records), expected_version, &hook);
  }

  std::vector<StoredEvent> Load(const Context& ctx, const std::string& stream_id,
                                int64_t from_version) override {
    ctx.ThrowIfDone();
    std::shared_lock lock(mutex_);
    ThrowIfClosed();
    std::vector<StoredEvent> out;
    auto it = streams_.find(stream_id);
    if (it == streams_.end()) return out;
    const auto& positions = it->second.positions;
    const std::size_t start = from_version < 0 ? 0 : static_cast<std::size_t>(from_version);
    if (start >= positions.size()) return out;
    out.reserve(positions.size() - start);
    for (std::size_t i = start; i < positions.size(); ++i) CopyTo(out, positions[i]);
    return out;
  }

  StreamInfo GetStreamInfo(const Context& ctx, const std::string& stream_id) override {
    ctx.ThrowIfDone();
    std::shared_lock lock(mutex_);
    ThrowIfClosed();
    auto it = streams_.find(stream_id);
    if (it == streams_.end()) throw StreamNotFoundError(stream_id);
    const Stream& s = it->second;
    return StreamInfo{stream_id,
                      std::string(ExtractCategory(stream_id)),
                      static_cast<int64_t>(s.positions.size()),
                      static_cast<int64_t>(s.positions.size()),
                      At(s.positions.front()).timestamp,
                      At(s.positions.back()).timestamp};
  }

  uint64_t GetLastPosition(const Context& ctx) override {
    ctx.ThrowIfDone();
    std::shared_lock lock(mutex_);
    ThrowIfClosed();
    return log_.Size();
  }

  void Close() override {
    {
      std::unique_lock lock(mutex_);
      closed_ = true;
    }
    notifier_->Notify();
  }

  // ---- SubscriptionAdapter ----

  std::vector<StoredEvent> LoadFromPosition(const Context& ctx, uint64_t from_position,
                                            std::size_t limit) override {
    ctx.ThrowIfDone();
    if (limit == 0) limit = kDefaultLoadLimit;
    std::shared_lock lock(mutex_);
    ThrowIfClosed();
    std::vector<StoredEvent> out;
    for (uint64_t p = from_position + 1; p <= log_.Size() && out.size() < limit; ++p) {
      CopyTo(out, p);
    }
    return out;
  }

  std::unique_ptr<Subscription> SubscribeAll(const Context& ctx, uint64_t from_position,
                                             const SubscriptionOptions& options) override {
    return SubscribeFiltered(ctx, from_position, options, [](const StoredEvent&) { return true; });
  }

  std::unique_ptr<Subscription> SubscribeCategory(const Context& ctx, const std::string& category,
                                                  uint64_t from_position,
                                                  const SubscriptionOptions& options) override {
    return SubscribeFiltered(ctx, from_position, options, [category](const StoredEvent& e) {
      return ExtractCategory(e.stream_id) == category;
    });
  }

  std::unique_ptr<Subscription> SubscribeStream(const Context& ctx, const std::string& stream_id,
                                                int64_t from_version,
                                                const SubscriptionOptions& options) override {
    ctx.ThrowIfDone();
    if (from_version < 0) from_version = 0;
    auto fetch = [guard = Guard(), self = this, stream_id](const Context& c, uint64_t cursor,
                                                           std::size_t limit) {
      detail::PullSubscription::Batch batch{{}, cursor};
      auto keep = guard.Lock();
      std::shared_lock lock(self->mutex_);
      self->ThrowIfClosed();
      c.ThrowIfDone();
      auto it = self->streams_.find(stream_id);
      if (it == self->streams_.end()) return batch;
      const auto& positions = it->second.positions;
      for (std::size_t v = cursor; v < positions.size() && batch.events.size() < limit; ++v) {
        self->CopyTo(batch.events, positions[v]);
        batch.next_cursor = v + 1;
      }
      return batch;
    };
    return std::make_unique<detail::PullSubscription>(
        notifier_, static_cast<uint64_t>(from_version), std::move(fetch), options);
  }

 private:
  struct Stream {
    std::vector<uint64_t> positions;  // positions[v-1] = global position of version v
  };

  // Append-only storage in fixed-size blocks: no element is ever moved once stored, and a
  // push allocates only at block boundaries.
  class EventLog {
   public:
    uint64_t Size() const noexcept { return size_; }
    const StoredEvent& At(uint64_t position) const {  // 1-based
      const uint64_t i = position - 1;
      return blocks_[i / kBlockSize][i % kBlockSize];
    }
    // Constructs the event in place from its fields (no temporary StoredEvent). Strong
    // guarantee: when an allocation fails, the log is unchanged.
    template <class... Fields>
    void EmplaceBack(Fields&&... fields) {
      if (size_ % kBlockSize == 0) {
        std::vector<StoredEvent> block;
        block.reserve(kBlockSize);
        block.emplace_back(std::forward<Fields>(fields)...);
        blocks_.push_back(std::move(block));
      } else {
        blocks_.back().emplace_back(std::forward<Fields>(fields)...);  // within the capacity
      }
      ++size_;
    }
    void Truncate(uint64_t size) {
      for (; size_ > size; --size_) {
        blocks_.back().pop_back();
        if (blocks_.back().empty()) blocks_.pop_back();
      }
    }

   private:
    // 256 events (~84 KB) keep a block under glibc's mmap threshold (128 KB): a block of 1024
    // (~335 KB) was mmap'ed, so every new adapter page-faulted its first block afresh.
    static constexpr uint64_t kBlockSize = 256;
    std::vector<std::vector<StoredEvent>> blocks_;
    uint64_t size_ = 0;
  };

  // Keeps a make_shared-owned adapter alive while a subscription fetches, and turns a fetch
  // after the owner released it into kAdapterClosed instead of a dangling access.
  class LifetimeGuard {
   public:
    explicit LifetimeGuard(std::weak_ptr<Adapter> weak) : weak_(std::move(weak)) {
      owned_ = !weak_.expired();
    }
    std::shared_ptr<Adapter> Lock() const {
      auto strong = weak_.lock();
      if (owned_ && !strong) throw Error(errc::kAdapterClosed, "memory adapter destroyed");
      return strong;
    }

   private:
    std::weak_ptr<Adapter> weak_;
    bool owned_ = false;
  };
  LifetimeGuard Guard() { return LifetimeGuard(weak_from_this()); }

  const StoredEvent& At(uint64_t position) const { return log_.At(position); }

  void ThrowIfClosed() const {
    if (closed_) throw Error(errc::kAdapterClosed, "memory adapter is closed");
  }

  AppendResult AppendImpl(const Context& ctx, const std::string& stream_id,
                          std::vector<EventRecord> records, int64_t expected_version,
                          const TransactionHook* hook) {
    ValidateAppend(ctx, stream_id, records, expected_version);
    const Timestamp now = std::chrono::system_clock::now();

    AppendResult result;
    {
      std::unique_lock lock(mutex_);
      ThrowIfClosed();
      // One hash lookup: a new stream's entry is created now and removed again if the append
      // fails (nobody else can see it meanwhile: the writer lock is held).
      auto [it, created] = streams_.try_emplace(stream_id);
      const auto current = static_cast<int64_t>(it->second.positions.size());
      auto forget_new_stream = [&, it = it, created = created] {
        if (created) streams_.erase(it);
      };
      try {
        CheckVersion(stream_id, expected_version, current, !created);
      } catch (...) {
        forget_new_stream();
        throw;
      }

      const uint64_t first = log_.Size() + 1;
      auto& positions = it->second.positions;
      const std::size_t old_count = positions.size();
      int64_t version = current;
      try {
        for (EventRecord& r : records) {
          log_.EmplaceBack(std::string(), stream_id, std::move(r.type), std::move(r.data),
                           std::move(r.metadata), ++version, log_.Size() + 1, now);
        }
        if (hook != nullptr) {
          std::vector<StoredEvent> staged;
          staged.reserve(records.size());
          for (uint64_t p = first; p <= log_.Size(); ++p) CopyTo(staged, p);
          Transaction tx;
          (*hook)(tx, staged);
        }
        for (uint64_t p = first; p <= log_.Size(); ++p) positions.push_back(p);
      } catch (...) {
        // Nothing is visible yet (the writer lock is held): undo every trace of the append.
        log_.Truncate(first - 1);
        positions.resize(old_count);
        forget_new_stream();
        throw;
      }
      result = AppendResult{version, first, log_.Size()};
    }
    notifier_->Notify();
    return result;
  }

  template <class Pred>
  std::unique_ptr<Subscription> SubscribeFiltered(const Context& ctx, uint64_t from_position,
                                                  const SubscriptionOptions& options, Pred pred) {
    ctx.ThrowIfDone();
    auto fetch = [guard = Guard(), self = this, pred](const Context& c, uint64_t cursor,
                                                      std::size_t limit) {
      detail::PullSubscription::Batch batch{{}, cursor};
      auto keep = guard.Lock();
      std::shared_lock lock(self->mutex_);
      self->ThrowIfClosed();
      c.ThrowIfDone();
      const uint64_t last = self->log_.Size();
      // Scan at most a few pages of non-matching events per call so the lock is held briefly.
      const uint64_t scan_end = std::min<uint64_t>(last, cursor + limit * 8);
      uint64_t p = cursor;
      while (p < scan_end && batch.events.size() < limit) {
        ++p;
        const StoredEvent& e = self->At(p);
        if (pred(e)) self->CopyTo(batch.events, p);
      }
      batch.next_cursor = p;
      return batch;
    };
    return std::make_unique<detail::PullSubscription>(notifier_, from_position, std::move(fetch),
                                                      options);
  }

  // Appends a copy of the event at `position` to `out`, as callers receive it (copied in
  // place: no intermediate StoredEvent). Event IDs are not stored: they are derived from the
  // position and a random per-adapter seed, which makes them unique, stable across reads, and
  // free on the append path. They look like version 4 UUIDs.
  void CopyTo(std::vector<StoredEvent>& out, uint64_t position) const {
    out.push_back(log_.At(position));
    std::array<uint8_t, 16> b{};
    const uint64_t lo = id_seed_lo_ ^ (position * 0x9E3779B97F4A7C15ull);
    for (int i = 0; i < 8; ++i) {
      b[i] = static_cast<uint8_t>(id_seed_hi_ >> (8 * i));
      b[8 + i] = static_cast<uint8_t>(lo >> (8 * i));
    }
    out.back().id = mink::detail::FormatUUID(b);
  }

  static uint64_t RandomSeed() {
    std::array<uint8_t, 8> b{};
    mink::detail::RandomBytes(b.data(), b.size());
    uint64_t v = 0;
    for (uint8_t x : b) v = (v << 8) | x;
    return v;
  }

  mutable std::shared_mutex mutex_;
  EventLog log_;
  std::unordered_map<std::string, Stream> streams_;
  bool closed_ = false;
  const uint64_t id_seed_hi_ = RandomSeed();
  const uint64_t id_seed_lo_ = RandomSeed();
  std::shared_ptr<detail::ChangeNotifier> notifier_ = std::make_shared<detail::ChangeNotifier>();
};

}  // namespace mink::memory
