// mink/postgres/idempotency_store.hpp — an IdempotencyStore on PostgreSQL.
//
//   mink::postgres::IdempotencyStore store({.url = url});   // schema "mink", table
//   store.Initialize(ctx);                                   // "mink_idempotency"; idempotent
//   bus.Use(mink::IdempotencyMiddleware(mink::DefaultIdempotencyConfig(store_ptr)));
//
// Table (go-mink's mink_idempotency plus what reservations need):
//   key VARCHAR(255) PRIMARY KEY, command_type, aggregate_id, version, response JSONB NOT NULL,
//   error, success, status (0 = processing reservation, 1 = completed), created_at,
//   processed_at, expires_at TIMESTAMPTZ NOT NULL, and an index on expires_at.
//
// StoreIfAbsent is one statement — INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE the
// existing row expired — so of any number of concurrent callers, in any number of processes,
// exactly one wins a key. Expiry is judged by the server's clock (NOW()); keep clients and
// server in sync (NTP), since record timestamps come from the client.
// The response text must be JSON (it is stored as JSONB, so its whitespace is normalised);
// an empty response is stored as JSON null.
//
// Errors: an invalid schema or table name -> Error(kInvalidSchemaName) and a malformed URL ->
// Error(kInvalidArgument), from the constructor before any SQL; an unreachable server ->
// kConnectionFailed (the broken connection is discarded; the next call reconnects); other SQL
// failures -> kStorageFailed; a closed store -> kAdapterClosed. Thread safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <pqxx/pqxx>  // exec_params, work, result

#include "mink/idempotency/store.hpp"
#include "mink/postgres/adapter.hpp"
#include "mink/postgres/connection_pool.hpp"
#include "mink/postgres/schema.hpp"

namespace mink::postgres {

struct IdempotencyStoreOptions {
  std::string url;
  std::string schema = "mink";
  std::string table = "mink_idempotency";
  std::size_t max_connections = 4;
  std::chrono::seconds connect_timeout{5};
  std::chrono::milliseconds acquire_timeout{10000};
  std::string application_name = "mink-idempotency";
};

class IdempotencyStore final : public mink::IdempotencyStore {
 public:
  explicit IdempotencyStore(IdempotencyStoreOptions options)
      : options_(std::move(options)),
        table_((ValidateSchemaName(options_.schema), ValidateSchemaName(options_.table),
                QuoteIdentifier(options_.schema) + "." + QuoteIdentifier(options_.table))),
        pool_(ConnectionPool::Options{
            .conninfo =
                BuildConnInfo(options_.url, options_.connect_timeout, options_.application_name),
            .max_size = options_.max_connections,
            .acquire_timeout = options_.acquire_timeout,
        }) {}
  ~IdempotencyStore() override { Close(); }

  // Creates the schema, table and index when missing. Safe to call repeatedly and from several
  // processes at once (serialised by an advisory lock).
  void Initialize(const Context& ctx) {
    const std::string index = QuoteIdentifier("idx_" + options_.table + "_expires_at");
    Run(ctx, [&](pqxx::work& tx) {
      tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kPositionLockClass) + ", " +
              std::to_string(PositionLockKey(options_.schema + "." + options_.table)) + ")");
      tx.exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(options_.schema));
      tx.exec("CREATE TABLE IF NOT EXISTS " + table_ +
              " ("
              "key VARCHAR(255) PRIMARY KEY, "
              "command_type VARCHAR(255) NOT NULL DEFAULT '', "
              "aggregate_id VARCHAR(255), "
              "version BIGINT NOT NULL DEFAULT 0, "
              "response JSONB NOT NULL DEFAULT 'null'::jsonb, "
              "error TEXT, "
              "success BOOLEAN NOT NULL DEFAULT false, "
              "status SMALLINT NOT NULL DEFAULT 1, "
              "created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), "
              "processed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), "
              "expires_at TIMESTAMPTZ NOT NULL)");
      tx.exec("CREATE INDEX IF NOT EXISTS " + index + " ON " + table_ + " (expires_at)");
      return 0;
    });
  }

  void Store(const Context& ctx, const IdempotencyRecord& record) override {
    ValidateIdempotencyKey(record.key);
    Run(ctx, [&](pqxx::work& tx) {
      Insert(tx, record, "");
      return 0;
    });
  }

  bool StoreIfAbsent(const Context& ctx, const IdempotencyRecord& record) override {
    ValidateIdempotencyKey(record.key);
    return Run(ctx, [&](pqxx::work& tx) {
      return !Insert(tx, record, " WHERE " + table_ + ".expires_at <= NOW() RETURNING 1").empty();
    });
  }

  std::optional<IdempotencyRecord> Get(const Context& ctx, std::string_view key) override {
    ValidateIdempotencyKey(key);
    return Run(ctx, [&](pqxx::work& tx) -> std::optional<IdempotencyRecord> {
      pqxx::result r = tx.exec_params(
          "SELECT key, command_type, COALESCE(aggregate_id, ''), version, "
          "CASE WHEN response = 'null'::jsonb THEN '' ELSE response::text END, "
          "COALESCE(error, ''), success, status, "
          "(EXTRACT(EPOCH FROM processed_at) * 1000000)::bigint, "
          "(EXTRACT(EPOCH FROM expires_at) * 1000000)::bigint FROM " +
              table_ + " WHERE key = $1 AND expires_at > NOW()",
          std::string(key));
      if (r.empty()) return std::nullopt;
      const pqxx::row row = r[0];
      IdempotencyRecord rec;
      rec.key = row[0].as<std::string>();
      rec.command_type = row[1].as<std::string>();
      rec.aggregate_id = row[2].as<std::string>();
      rec.version = row[3].as<int64_t>();
      rec.response = row[4].as<std::string>();
      rec.error = row[5].as<std::string>();
      rec.success = row[6].as<bool>();
      rec.status =
          row[7].as<int>() == 0 ? IdempotencyStatus::kProcessing : IdempotencyStatus::kCompleted;
      rec.processed_at = FromMicros(row[8].as<int64_t>());
      rec.expires_at = FromMicros(row[9].as<int64_t>());
      return rec;
    });
  }

  void Delete(const Context& ctx, std::string_view key) override {
    ValidateIdempotencyKey(key);
    Run(ctx, [&](pqxx::work& tx) {
      tx.exec_params("DELETE FROM " + table_ + " WHERE key = $1", std::string(key));
      return 0;
    });
  }

  int64_t Cleanup(const Context& ctx, std::chrono::system_clock::duration older_than) override {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(older_than).count();
    return Run(ctx, [&](pqxx::work& tx) {
      std::string sql = "DELETE FROM " + table_ + " WHERE expires_at <= NOW()";
      if (micros > 0) {
        sql +=
            " OR processed_at < NOW() - " + std::to_string(micros) + " * INTERVAL '1 microsecond'";
      }
      return static_cast<int64_t>(tx.exec(sql).affected_rows());
    });
  }

  void Close() override { pool_.Close(); }

  const std::string& QualifiedTable() const noexcept { return table_; }

 private:
  static constexpr const char* kAssignAll =
      "command_type = EXCLUDED.command_type, aggregate_id = EXCLUDED.aggregate_id, "
      "version = EXCLUDED.version, response = EXCLUDED.response, error = EXCLUDED.error, "
      "success = EXCLUDED.success, status = EXCLUDED.status, "
      "processed_at = EXCLUDED.processed_at, expires_at = EXCLUDED.expires_at";

  static int64_t Micros(Timestamp t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  }
  static Timestamp FromMicros(int64_t micros) {
    return Timestamp(
        std::chrono::duration_cast<Timestamp::duration>(std::chrono::microseconds(micros)));
  }
  // INSERT ... ON CONFLICT (key) DO UPDATE SET <every column> <suffix>, with bound parameters.
  pqxx::result Insert(pqxx::work& tx, const IdempotencyRecord& r, const std::string& suffix) {
    const std::optional<std::string> aggregate_id =
        r.aggregate_id.empty() ? std::nullopt : std::optional<std::string>(r.aggregate_id);
    const std::optional<std::string> error =
        r.error.empty() ? std::nullopt : std::optional<std::string>(r.error);
    const std::string response = r.response.empty() ? std::string("null") : r.response;
    return tx.exec_params(
        "INSERT INTO " + table_ +
            " (key, command_type, aggregate_id, version, response, error, success, status, "
            "processed_at, expires_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, "
            "TIMESTAMPTZ 'epoch' + $9 * INTERVAL '1 microsecond', "
            "TIMESTAMPTZ 'epoch' + $10 * INTERVAL '1 microsecond') "
            "ON CONFLICT (key) DO UPDATE SET " +
            kAssignAll + suffix,
        r.key, r.command_type.substr(0, kMaxIdempotencyKeyLength), aggregate_id, r.version,
        response, error, r.success, r.status == IdempotencyStatus::kProcessing ? 0 : 1,
        Micros(r.processed_at), Micros(r.expires_at));
  }

  // Runs `body` in a transaction on a pooled connection, mapping failures to mink errors.
  template <class F>
  std::invoke_result_t<F&, pqxx::work&> Run(const Context& ctx, F&& body) {
    ctx.ThrowIfDone();
    ConnectionPool::Lease lease = pool_.Acquire(ctx);
    try {
      pqxx::work tx(*lease);
      auto result = body(tx);
      tx.commit();
      return result;
    } catch (const pqxx::broken_connection& e) {
      lease.MarkBroken();
      throw Error(errc::kConnectionFailed,
                  std::string("idempotency store lost its connection: ") + e.what());
    } catch (const pqxx::sql_error& e) {
      throw Error(errc::kStorageFailed, std::string("idempotency store: ") + e.what());
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(errc::kStorageFailed, std::string("idempotency store: ") + e.what());
    }
  }

  IdempotencyStoreOptions options_;
  std::string table_;
  ConnectionPool pool_;
};

}  // namespace mink::postgres
