// mink/es/adapter.hpp — what a storage adapter implements.
//
// EventStoreAdapter is the required interface. Optional capabilities are separate interfaces an
// adapter may also implement; callers discover them with AdapterCapability<T>(adapter), the C++
// counterpart of go-mink's interface type assertions:
//   SubscriptionAdapter   — a global feed (LoadFromPosition) and live subscriptions.
//   TransactionalAdapter  — run extra writes in the append's transaction (the outbox uses it).
//
// Contract shared by every adapter (tests/conformance enforces it):
//   * Append is atomic: all records or none. Versions are checked with mink::CheckVersion
//     under the adapter's lock/transaction. Versions are 1-based and gap-free per stream;
//     global positions strictly increase in commit-visible order.
//   * Load of a missing stream returns an empty vector; GetStreamInfo throws
//     StreamNotFoundError.
//   * Returned events are copies owned by the caller.
//   * All methods are safe to call concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mink/context.hpp"
#include "mink/es/stored_event.hpp"
#include "mink/es/subscription.hpp"
#include "mink/es/version.hpp"

namespace mink {

inline constexpr std::size_t kDefaultLoadLimit = 1000;

class EventStoreAdapter {
 public:
  virtual ~EventStoreAdapter() = default;

  virtual AppendResult Append(const Context& ctx, const std::string& stream_id,
                              std::vector<EventRecord> records, int64_t expected_version) = 0;
  // Events with version > from_version, in version order.
  virtual std::vector<StoredEvent> Load(const Context& ctx, const std::string& stream_id,
                                        int64_t from_version) = 0;
  virtual StreamInfo GetStreamInfo(const Context& ctx, const std::string& stream_id) = 0;
  virtual uint64_t GetLastPosition(const Context& ctx) = 0;
  virtual void Initialize(const Context&) {}
  virtual void Close() {}
};

class SubscriptionAdapter {
 public:
  virtual ~SubscriptionAdapter() = default;

  // Events with global_position > from_position, in position order, at most `limit`
  // (0 means kDefaultLoadLimit). Never returns an event while a lower position may still
  // become visible.
  virtual std::vector<StoredEvent> LoadFromPosition(const Context& ctx, uint64_t from_position,
                                                    std::size_t limit) = 0;
  virtual std::unique_ptr<Subscription> SubscribeAll(const Context& ctx, uint64_t from_position,
                                                     const SubscriptionOptions& options = {}) = 0;
  // Events of one stream with version > from_version.
  virtual std::unique_ptr<Subscription> SubscribeStream(
      const Context& ctx, const std::string& stream_id, int64_t from_version,
      const SubscriptionOptions& options = {}) = 0;
  // Events of streams "category-*" with global_position > from_position.
  virtual std::unique_ptr<Subscription> SubscribeCategory(
      const Context& ctx, const std::string& category, uint64_t from_position,
      const SubscriptionOptions& options = {}) = 0;
};

// The transaction an append runs in. Adapters subclass it to expose their handle (for example
// the PostgreSQL adapter's transaction gives access to its pqxx::work).
class Transaction {
 public:
  virtual ~Transaction() = default;
};

// Called inside the append's transaction after the events are written. Throwing aborts the
// whole append: nothing is written.
using TransactionHook =
    std::function<void(Transaction& tx, const std::vector<StoredEvent>& stored)>;

class TransactionalAdapter {
 public:
  virtual ~TransactionalAdapter() = default;
  virtual AppendResult AppendWithHook(const Context& ctx, const std::string& stream_id,
                                      std::vector<EventRecord> records, int64_t expected_version,
                                      const TransactionHook& hook) = 0;
};

// The argument checks every adapter's Append runs before touching storage: a done context,
// an empty stream ID, no records, an expected version below StreamExists.
inline void ValidateAppend(const Context& ctx, const std::string& stream_id,
                           const std::vector<EventRecord>& records, int64_t expected_version) {
  ctx.ThrowIfDone();
  if (stream_id.empty()) throw Error(errc::kEmptyStreamID, "stream ID is empty");
  if (records.empty()) throw Error(errc::kNoEvents, "no events to append");
  ValidateExpectedVersion(expected_version);
}

// The capability `Cap` of `adapter`, or nullptr when the adapter does not offer it.
template <class Cap>
Cap* AdapterCapability(EventStoreAdapter& adapter) noexcept {
  return dynamic_cast<Cap*>(&adapter);
}

}  // namespace mink
