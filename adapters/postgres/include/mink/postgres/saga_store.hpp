// mink/postgres/saga_store.hpp — a SagaStore on PostgreSQL.
//
//   auto sagas = std::make_shared<mink::postgres::SagaStore>(
//       mink::postgres::SagaStoreOptions{.url = url});   // schema "mink", table "mink_sagas"
//   sagas->Initialize(ctx);                               // idempotent, safe from many processes
//
// Table (the seed's):
//   id VARCHAR(255) PRIMARY KEY, type VARCHAR(255) NOT NULL, correlation_id VARCHAR(255),
//   status INT NOT NULL DEFAULT 0, current_step INT NOT NULL DEFAULT 0,
//   data JSONB NOT NULL DEFAULT '{}', processed_events JSONB NOT NULL DEFAULT '[]',
//   steps JSONB NOT NULL DEFAULT '[]', failure_reason TEXT, started_at TIMESTAMPTZ NOT NULL,
//   updated_at TIMESTAMPTZ NOT NULL, completed_at TIMESTAMPTZ, version BIGINT NOT NULL
// with indexes on (correlation_id), (type, status), (started_at) and a partial index on (type)
// for the active statuses 0, 1, 4 ("<table>_corr", "<table>_type_status", "<table>_started",
// "<table>_running"), plus "<table>_checkpoints" (name VARCHAR(255) PRIMARY KEY, position
// BIGINT, updated_at) for the manager's checkpoints.
//
// Save is one statement: INSERT ... ON CONFLICT (id) DO NOTHING for version 0, UPDATE ...
// WHERE id = $1 AND version = $2 otherwise; no row back means a ConcurrencyError (with the
// stored version read afterwards for the message). updated_at is the server's NOW().
// SaveWithCheckpoint runs the saga's statement and the checkpoint upsert in one transaction.
// A row whose status is out of range or whose processed_events / steps JSONB has the wrong
// shape is a CorruptSagaStateError naming the saga.
//
// Errors as the other stores of the adapter: an invalid schema or table name (or a table
// name over 51 bytes, which would not leave room for the suffixes above) ->
// Error(kInvalidSchemaName) from the constructor; an unreachable server or lost connection ->
// kConnectionFailed; other SQL failures -> kStorageFailed; a closed store -> kAdapterClosed.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "mink/saga/store.hpp"

namespace mink::postgres {

// The longest table name the store accepts (63 minus the longest suffix, "_type_status").
inline constexpr std::size_t kMaxSagaTableLength = 51;

struct SagaStoreOptions {
  std::string url;
  std::string schema = "mink";
  std::string table = "mink_sagas";
  std::size_t max_connections = 4;
  std::chrono::seconds connect_timeout{5};
  std::chrono::milliseconds acquire_timeout{10000};
  std::string application_name = "mink-sagas";
};

class SagaStore final : public mink::SagaStore {
 public:
  // Validates the options; connects lazily (Initialize or the first call).
  explicit SagaStore(SagaStoreOptions options);
  ~SagaStore() override;
  SagaStore(const SagaStore&) = delete;
  SagaStore& operator=(const SagaStore&) = delete;

  // Creates the schema, tables and indexes when missing. Safe to call repeatedly and from
  // several processes at once (serialised by a transaction-scoped advisory lock).
  void Initialize(const Context& ctx);

  void Save(const Context& ctx, SagaState& state) override;
  SagaState Load(const Context& ctx, std::string_view saga_id) override;
  SagaState FindByCorrelationID(const Context& ctx, std::string_view correlation_id,
                                std::string_view saga_type) override;
  std::vector<SagaState> FindByType(const Context& ctx, std::string_view saga_type,
                                    const std::vector<SagaStatus>& statuses,
                                    std::vector<CorruptSagaStateError>* corrupt) override;
  void Delete(const Context& ctx, std::string_view saga_id) override;
  void Close() override;

  std::optional<uint64_t> LoadCheckpoint(const Context& ctx, std::string_view name) override;
  void SaveCheckpoint(const Context& ctx, std::string_view name, uint64_t position) override;
  void SaveWithCheckpoint(const Context& ctx, SagaState& state, std::string_view name,
                          uint64_t position) override;

  using mink::SagaStore::FindByCorrelationID;
  using mink::SagaStore::FindByType;

  // "<schema>"."<table>", quoted.
  const std::string& QualifiedTable() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mink::postgres
