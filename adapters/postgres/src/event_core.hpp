// Private: the event adapter's state and operations, shared (through a shared_ptr) by the
// public Adapter and by the fetch functions of its subscriptions, which may outlive it.
//
// Core owns the pool (statements prepared on every new connection), the ChangeNotifier its
// subscriptions wait on and the LISTEN thread that bumps it. Every operation runs through
// CallPooled, so libpqxx failures are translated by the one MapFailure; reads retry once on a
// lost connection, appends never. event_core.cpp holds the writes and reads,
// subscriptions.cpp the feed (category scans, subscriptions, the listener).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connection_pool.hpp"
#include "event_sql.hpp"
#include "listener.hpp"
#include "mink/detail/pull_subscription.hpp"
#include "mink/postgres/adapter.hpp"
#include "pooled_call.hpp"
#include "wake_sender.hpp"

namespace mink::postgres::internal {

class Core : public std::enable_shared_from_this<Core> {
 public:
  explicit Core(Options options);
  ~Core();

  const Options& options() const { return options_; }
  ConnectionPool& pool() { return pool_; }

  // Stops the listener and closes the pool; later calls throw kAdapterClosed. Idempotent.
  void Close();
  bool Listening();

  void Initialize(const Context& ctx);
  int MigrationVersion(const Context& ctx);

  AppendResult Append(const Context& ctx, const std::string& stream_id,
                      std::vector<EventRecord> records, int64_t expected_version,
                      const TransactionHook* hook);
  // Events of a stream after `from_version`, at most `limit`: the rows before the first one
  // that cannot be decoded, and that row's error (Load throws it instead).
  DecodedRows LoadRows(const Context& ctx, const std::string& stream_id, int64_t from_version,
                       std::size_t limit);
  std::vector<StoredEvent> Load(const Context& ctx, const std::string& stream_id,
                                int64_t from_version, std::size_t limit);
  StreamInfo GetStreamInfo(const Context& ctx, const std::string& stream_id);
  // The safe watermark (mink_last) / the highest position written (mink_last_written).
  uint64_t GetLastPosition(const Context& ctx);
  uint64_t GetLastWrittenPosition(const Context& ctx);
  // The gap-safe feed after `from`: a window of `limit` positions, cut like LoadRows.
  DecodedRows LoadFromPositionRows(const Context& ctx, uint64_t from, std::size_t limit);
  // LoadFromPositionRows' events; its error only when no event precedes the bad row.
  std::vector<StoredEvent> LoadFromPosition(const Context& ctx, uint64_t from, std::size_t limit);

  // event_scan.cpp: the EventScanAdapter capability (filter evaluated in SQL).
  EventScanPage ScanEvents(const Context& ctx, uint64_t from, uint64_t to, std::size_t limit,
                           const EventScanFilter& filter);
  // event_scan.cpp: the optional indexes that make tenant and user scans index range scans.
  void CreateExportIndexes(const Context& ctx);

  // subscriptions.cpp: events of `category` after `cursor`; the cursor advances over the
  // scanned safe window even when nothing in it matches.
  detail::PullSubscription::Batch LoadCategory(const Context& ctx, const std::string& category,
                                               uint64_t cursor, std::size_t limit);
  // subscriptions.cpp: a subscription pulling with `fetch`, woken by the listener (started on
  // first use).
  std::unique_ptr<Subscription> Subscribe(const Context& ctx, uint64_t cursor,
                                          detail::PullSubscription::Fetch fetch,
                                          const SubscriptionOptions& options);

 private:
  // Runs `body(lease)` on a pooled connection (see pooled_call.hpp) unless the adapter is closed.
  template <class F>
  auto Run(const Context& ctx, const std::string& operation, Retry retry, F&& body) {
    ThrowIfClosed();
    return CallPooled(pool_, ctx, operation, retry, std::forward<F>(body));
  }
  void ThrowIfClosed() const;
  // Append without the outcome translation; sets the flags Append translates by.
  AppendResult AppendOnce(const Context& ctx, const std::string& stream_id,
                          std::vector<EventRecord> records, int64_t expected_version,
                          const TransactionHook* hook, bool& sent_autocommit,
                          bool& unique_violation);
  int64_t StoredVersion(const Context& ctx, const std::string& stream_id);
  void NotifyAfterCommit() noexcept;
  void EnsureListener();

  Options options_;
  std::string quoted_schema_;
  ConnectionPool pool_;
  std::shared_ptr<detail::ChangeNotifier> notifier_ = std::make_shared<detail::ChangeNotifier>();
  std::unique_ptr<WakeSender> wake_;  // NotifyMode::kAfterCommit only
  std::mutex listener_mutex_;
  std::unique_ptr<Listener> listener_;
  std::atomic<bool> closed_{false};
};

}  // namespace mink::postgres::internal
