// mink/postgres/outbox_store.hpp — an OutboxStore on PostgreSQL.
//
//   auto outbox = std::make_shared<mink::postgres::OutboxStore>(
//       mink::postgres::OutboxStoreOptions{.url = url});   // schema "mink", table "mink_outbox"
//   outbox->Initialize(ctx);                               // idempotent
//
// Table: the seed's mink_outbox (id UUID PRIMARY KEY, aggregate_id, event_type, destination,
// payload JSONB, headers JSONB, status INT, attempts, max_attempts, last_error, scheduled_at,
// last_attempt_at, processed_at, created_at) plus `seq BIGINT` (an identity: the scheduling
// order, for ties and per-aggregate ordering). Indexes: the seed's partial indexes
// (scheduled_at) WHERE status = 0 and (created_at) WHERE status = 4, plus (last_attempt_at)
// WHERE status = 1 for reclaiming, (scheduled_at) WHERE status = 3 for retries, and
// (aggregate_id, destination, seq) WHERE status IN (0, 1, 3) for ordered delivery.
//
// FetchPending is one statement, UPDATE ... WHERE id IN (SELECT ... ORDER BY scheduled_at, seq
// LIMIT n FOR UPDATE SKIP LOCKED) RETURNING ..., so any number of processors in any number of
// processes claim disjoint messages without waiting for each other. A row whose headers are
// not a JSON object of strings is never handed out: the claim dead-letters it with
// kCorruptOutboxMessage as last_error. Times are the server's NOW() unless options.clock is set.
//
// ScheduleInTx takes the mink::postgres::Transaction of an Adapter::AppendWithHook and inserts
// with its pqxx::work (one multi-row INSERT): the messages commit with the events.
//
// Errors: an invalid schema or table name -> Error(kInvalidSchemaName) and a malformed URL ->
// Error(kInvalidArgument), from the constructor before any SQL; connection failures ->
// kConnectionFailed; other SQL failures -> kStorageFailed; closed -> kAdapterClosed.
// This header does not include libpqxx; the store is compiled into mink::postgres.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "mink/outbox/store.hpp"

namespace mink::postgres {

struct OutboxStoreOptions {
  std::string url;
  std::string schema = "mink";
  std::string table = "mink_outbox";
  std::size_t max_connections = 4;
  std::chrono::seconds connect_timeout{5};
  std::chrono::milliseconds acquire_timeout{10000};
  std::string application_name = "mink-outbox";
  OutboxClock clock;  // empty: the server's NOW()
};

class OutboxStore final : public mink::OutboxStore {
 public:
  // Validates the options; connects lazily (Initialize or the first call).
  explicit OutboxStore(OutboxStoreOptions options);
  ~OutboxStore() override;
  OutboxStore(const OutboxStore&) = delete;
  OutboxStore& operator=(const OutboxStore&) = delete;

  // Creates the schema, table and indexes when missing (serialised by an advisory lock).
  void Initialize(const Context& ctx) override;

  void Schedule(const Context& ctx, std::vector<OutboxMessage>& messages) override;
  void ScheduleInTx(const Context& ctx, mink::Transaction& tx,
                    std::vector<OutboxMessage>& messages) override;
  std::vector<OutboxMessage> FetchPending(const Context& ctx, std::size_t limit,
                                          const FetchOptions& options = {}) override;
  void MarkCompleted(const Context& ctx, std::span<const std::string> ids) override;
  void MarkFailed(const Context& ctx, const std::string& id, std::string_view error,
                  std::optional<Timestamp> retry_at = std::nullopt) override;
  int64_t RetryFailed(const Context& ctx, int max_attempts) override;
  int64_t MoveToDeadLetter(const Context& ctx, int max_attempts) override;
  std::vector<OutboxMessage> GetDeadLetterMessages(const Context& ctx, std::size_t limit) override;
  int64_t RequeueDeadLetters(const Context& ctx, std::span<const std::string> ids) override;
  int64_t ReclaimStale(const Context& ctx, std::chrono::system_clock::duration timeout) override;
  int64_t Cleanup(const Context& ctx, std::chrono::system_clock::duration older_than) override;
  std::optional<OutboxMessage> Get(const Context& ctx, const std::string& id) override;
  int64_t Count(const Context& ctx, OutboxStatus status) override;
  void Close() override;

  // "<schema>"."<table>", quoted.
  const std::string& QualifiedTable() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mink::postgres
