// mink/postgres/idempotency_store.hpp — an IdempotencyStore on PostgreSQL.
//
//   auto store = std::make_shared<mink::postgres::IdempotencyStore>(
//       mink::postgres::IdempotencyStoreOptions{.url = url});  // schema "mink", table
//   store->Initialize(ctx);                                     // "mink_idempotency"; idempotent
//   bus.Use(mink::IdempotencyMiddleware(mink::DefaultIdempotencyConfig(store)));
//
// Table (go-mink's mink_idempotency plus what reservations need):
//   key VARCHAR(255) PRIMARY KEY, command_type, aggregate_id, version, response JSONB NOT NULL,
//   error, success, status (0 = processing reservation, 1 = completed), created_at,
//   processed_at, expires_at TIMESTAMPTZ NOT NULL, owner (the reservation's owner token;
//   Complete and Release are an UPDATE / DELETE ... WHERE key = $1 AND owner = $2), and an
//   index on expires_at. Initialize adds the owner column to a table created before it.
//
// StoreIfAbsent is one statement — INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE the
// existing row expired — so of any number of concurrent callers, in any number of processes,
// exactly one wins a key. Expiry is judged by the server's clock (NOW()) unless
// options.clock is set; keep clients and server in sync (NTP), since record timestamps come
// from the client. A background thread deletes expired records (cleanup_interval).
// The response text must be JSON (it is stored as JSONB, so its whitespace is normalised);
// an empty response is stored as JSON null.
//
// Errors (the event adapter's, from the same translation of libpqxx failures): an invalid
// schema or table name -> Error(kInvalidSchemaName) and a malformed URL ->
// Error(kInvalidArgument), from the constructor before any SQL; an unreachable server or a
// connection lost mid-call -> kConnectionFailed (the broken connection is discarded; the next
// call reconnects; Get retries once on a fresh connection); other SQL failures ->
// kStorageFailed; a closed store -> kAdapterClosed. The libpqxx exception is the error's
// Cause(), so IdempotencyMiddleware's IdempotencyError answers ErrorIs(e, kConnectionFailed)
// for a lost connection. Thread safe.
//
// This header does not include libpqxx; the store is compiled into mink::postgres.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mink/idempotency/store.hpp"

namespace mink::postgres {

struct IdempotencyStoreOptions {
  std::string url;
  std::string schema = "mink";
  std::string table = "mink_idempotency";
  std::size_t max_connections = 4;
  std::chrono::seconds connect_timeout{5};
  std::chrono::milliseconds acquire_timeout{10000};
  std::string application_name = "mink-idempotency";
  // A background thread deletes expired records this often, in batches of 1000 rows
  // (0 = never; call Cleanup yourself). Every process running a store may do it: batches skip
  // rows another cleaner has locked.
  std::chrono::milliseconds cleanup_interval{std::chrono::minutes(10)};
  // Records processed longer ago than this are removed by that cleanup even if they have not
  // expired (0 = keep until expiry).
  std::chrono::system_clock::duration max_age{0};
  // The time expiry is judged by; empty = the server's NOW().
  IdempotencyClock clock;
};

class IdempotencyStore final : public mink::IdempotencyStore {
 public:
  // Validates the options; connects lazily (Initialize or the first call).
  explicit IdempotencyStore(IdempotencyStoreOptions options);
  ~IdempotencyStore() override;
  IdempotencyStore(const IdempotencyStore&) = delete;
  IdempotencyStore& operator=(const IdempotencyStore&) = delete;

  // Creates the schema, table and index when missing. Safe to call repeatedly and from several
  // processes at once (serialised by an advisory lock).
  void Initialize(const Context& ctx);

  void Store(const Context& ctx, const IdempotencyRecord& record) override;
  bool StoreIfAbsent(const Context& ctx, const IdempotencyRecord& record) override;
  bool Complete(const Context& ctx, const IdempotencyRecord& record) override;
  bool Release(const Context& ctx, std::string_view key, std::string_view owner) override;
  std::optional<IdempotencyRecord> Get(const Context& ctx, std::string_view key) override;
  void Delete(const Context& ctx, std::string_view key) override;
  int64_t Cleanup(const Context& ctx, std::chrono::system_clock::duration older_than) override;
  void Close() override;

  // "<schema>"."<table>", quoted.
  const std::string& QualifiedTable() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mink::postgres
