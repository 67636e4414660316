// mink/postgres/adapter.hpp — the PostgreSQL event store adapter.
//
// Implements EventStoreAdapter, SubscriptionAdapter and TransactionalAdapter with exactly the
// memory adapter's semantics (tests/conformance runs one suite against both).
//
//   auto adapter = std::make_shared<mink::postgres::Adapter>(mink::postgres::Options{
//       .url = "postgresql://app:secret@127.0.0.1:5432/app", .schema = "mink"});
//   adapter->Initialize(ctx);          // creates/upgrades the schema; idempotent
//   mink::EventStore store(adapter);
//
// Guarantees:
//   * Append is one transaction and, without a hook, one round trip (a server-side function
//     checks the expected version with mink::CheckVersion's rules, inserts all events with one
//     statement and sends NOTIFY). A concurrent writer that wins the race makes the loser throw
//     ConcurrencyError; nothing of a failed append is written.
//   * The global feed (LoadFromPosition, SubscribeAll, SubscribeCategory) never returns a
//     position while a lower one may still commit, and never stalls on a rolled-back append
//     (xid8 watermark with ordered position allocation — see docs/adapters/postgres.md).
//     Every write to the tables must go through this adapter for that guarantee to hold.
//   * Subscribers are woken by LISTEN/NOTIFY (one listener thread per adapter, started by the
//     first subscription) and fall back to polling every SubscriptionOptions::poll_interval.
//
// Errors: an invalid schema name -> Error(kInvalidSchemaName) and a malformed URL ->
// Error(kInvalidArgument), both from the constructor before any connection or SQL; a lost or
// unreachable server -> Error(kConnectionFailed) (the pool discards the connection and
// reconnects on the next call), except a lost reply to a sent append -> OutcomeUnknownError
// (kOutcomeUnknown: it may have committed); the Context's deadline or cancellation, also while
// a statement runs (a cancel request is sent) -> kDeadlineExceeded / kCancelled, nothing
// written; other SQL failures -> Error(kStorageFailed); event data that is
// not JSON, or a stored row whose metadata does not decode -> SerializationError; an applied
// migration edited since -> MigrationChecksumError (Initialize); a closed adapter ->
// Error(kAdapterClosed). Errors translated from libpqxx keep its exception as Cause(); no
// message carries a password or event data.
//
// Thread safety: every method may be called from any thread. Connections come from a bounded,
// private pool (Options::max_connections). A TransactionHook runs on the append's connection
// while its transaction is open: it receives a mink::postgres::Transaction
// (mink/postgres/transaction.hpp, the header that exposes libpqxx) and must use its Work() for
// its SQL and must not call back into the adapter (that could wait for a connection the append
// itself holds).
//
// This header does not include libpqxx.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mink/es/adapter.hpp"
#include "mink/es/event_scan.hpp"
#include "mink/postgres/conninfo.hpp"
#include "mink/postgres/errors.hpp"
#include "mink/postgres/pool_stats.hpp"

namespace mink::postgres {

// How an append wakes LISTENing subscribers.
enum class NotifyMode {
  // pg_notify inside the append transaction: the wake-up is delivered exactly at commit, never
  // for a rolled-back append. PostgreSQL serialises the commits of notifying transactions on a
  // database-wide lock held through the commit's WAL flush, so concurrent appends lose group
  // commit (8 writers: about a third of the throughput of kAfterCommit).
  kInTransaction,
  // The default. After the commit, the append wakes this process's subscribers directly and
  // asks a per-adapter background sender for a NOTIFY; the sender, on its own connection,
  // coalesces every request that arrives while a NOTIFY is in flight into the next one. Commits
  // stay concurrent and the append pays no extra round trip. If the process dies between a
  // commit and its NOTIFY, or the sender's connection is down, other processes' subscribers
  // wake on their poll interval instead.
  kAfterCommit,
  // No NOTIFY: subscribers poll (SubscriptionOptions::poll_interval).
  kOff,
};

struct Options {
  // libpq URI ("postgresql://user:pw@host:port/db?...") or keyword/value string.
  std::string url;
  // Schema holding the tables; validated as an SQL identifier.
  std::string schema = "mink";
  // Pool size (go-mink's WithMaxConnections).
  std::size_t max_connections = 10;
  // libpq connect_timeout for each new connection (rounded up to whole seconds, minimum 2).
  std::chrono::seconds connect_timeout{5};
  // How long an operation waits for a free pooled connection.
  std::chrono::milliseconds acquire_timeout{10000};
  // Reconnect interval of the LISTEN thread; subscriptions poll on their own poll_interval.
  std::chrono::milliseconds poll_interval{100};
  // How appends wake subscribers (see NotifyMode).
  NotifyMode notify = NotifyMode::kAfterCommit;
  // application_name of every connection (visible in pg_stat_activity).
  std::string application_name = "mink";
};

namespace internal {
class Core;
}

class Adapter final : public EventStoreAdapter,
                      public SubscriptionAdapter,
                      public TransactionalAdapter,
                      public EventScanAdapter {
 public:
  // Validates the options; connects lazily (Initialize or the first call).
  explicit Adapter(Options options);
  ~Adapter() override;
  Adapter(const Adapter&) = delete;
  Adapter& operator=(const Adapter&) = delete;

  // Creates the schema and applies pending migrations (recorded with their checksums in
  // <schema>.schema_migrations; see mink/postgres/migrations.hpp). Safe to call repeatedly and
  // from several processes at once. An applied migration whose text changed in this build is
  // refused with MigrationChecksumError and nothing is changed.
  void Initialize(const Context& ctx) override;
  // Stops the listener, closes the pool; later calls throw kAdapterClosed. Idempotent.
  void Close() override;

  AppendResult Append(const Context& ctx, const std::string& stream_id,
                      std::vector<EventRecord> records, int64_t expected_version) override;
  AppendResult AppendWithHook(const Context& ctx, const std::string& stream_id,
                              std::vector<EventRecord> records, int64_t expected_version,
                              const TransactionHook& hook) override;
  std::vector<StoredEvent> Load(const Context& ctx, const std::string& stream_id,
                                int64_t from_version) override;
  StreamInfo GetStreamInfo(const Context& ctx, const std::string& stream_id) override;
  // The safe watermark: the highest position P such that every event at or below P is
  // committed and visible, or rolled back. Subscribing from it ("from now") skips nothing.
  uint64_t GetLastPosition(const Context& ctx) override;
  // The highest position written by a committed append (MAX(global_position)). A transaction
  // still open may yet commit below it, so it is not a safe place to start a feed from.
  uint64_t GetLastWrittenPosition(const Context& ctx);

  std::vector<StoredEvent> LoadFromPosition(const Context& ctx, uint64_t from_position,
                                            std::size_t limit) override;
  std::unique_ptr<Subscription> SubscribeAll(const Context& ctx, uint64_t from_position,
                                             const SubscriptionOptions& options = {}) override;
  std::unique_ptr<Subscription> SubscribeStream(const Context& ctx, const std::string& stream_id,
                                                int64_t from_version,
                                                const SubscriptionOptions& options = {}) override;
  std::unique_ptr<Subscription> SubscribeCategory(const Context& ctx, const std::string& category,
                                                  uint64_t from_position,
                                                  const SubscriptionOptions& options = {}) override;

  // The filter runs in SQL (tenant, user, stream prefix, event types, custom metadata, time);
  // `to_position` should be GetLastPosition's safe watermark. Reads with the adapter's pool.
  EventScanPage ScanEvents(const Context& ctx, uint64_t from_position, uint64_t to_position,
                           std::size_t limit, const EventScanFilter& filter) override;
  // Optional: expression indexes on (tenantId, position) and (userId, position) so scans for
  // one tenant or user read only their rows. They cost every append an index insert each;
  // create them where exports by tenant/user are frequent (docs/gdpr-export.md has figures).
  // Idempotent.
  void CreateExportIndexes(const Context& ctx);

  // The highest migration applied to the schema (0 when not initialized).
  int MigrationVersion(const Context& ctx);
  const std::string& Schema() const noexcept;
  postgres::PoolStats PoolStats() const;
  // True while the LISTEN thread holds a live connection.
  bool Listening() const;

 private:
  std::shared_ptr<internal::Core> core_;
};

}  // namespace mink::postgres
