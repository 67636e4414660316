// The PostgreSQL IdempotencyStore (mink/postgres/idempotency_store.hpp).
#include "mink/postgres/idempotency_store.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include <pqxx/result>
#include <pqxx/transaction>

#include "connection_pool.hpp"
#include "coordination.hpp"
#include "mink/postgres/conninfo.hpp"
#include "mink/postgres/identifier.hpp"
#include "pooled_call.hpp"
#include "timestamps.hpp"

// Record fields that may be empty are bound as std::optional (NULL); libpqxx 6.4 supports that
// only with PQXX_HAVE_OPTIONAL, which mink::postgres sets for its users and itself.
#if !defined(PQXX_HAVE_OPTIONAL) && defined(PQXX_VERSION_MAJOR) && PQXX_VERSION_MAJOR < 7
#error \
    "mink::postgres needs PQXX_HAVE_OPTIONAL with libpqxx 6 (see adapters/postgres/CMakeLists.txt)"
#endif

namespace mink::postgres {

using internal::CallPooled;
using internal::ConnectionPool;
using internal::FromMicros;
using internal::Retry;
using internal::ToMicros;

namespace {

constexpr const char* kColumns =
    "(key, command_type, aggregate_id, version, response, error, success, status, "
    "processed_at, expires_at, owner)";
constexpr const char* kValues =
    "($1, $2, $3, $4, $5::jsonb, $6, $7, $8, "
    "TIMESTAMPTZ 'epoch' + $9 * INTERVAL '1 microsecond', "
    "TIMESTAMPTZ 'epoch' + $10 * INTERVAL '1 microsecond', $11)";

// Rows deleted per statement by a cleanup, so it never holds many row locks for long.
constexpr int kCleanupBatch = 1000;

std::optional<std::string> NullIfEmpty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

struct IdempotencyStore::Impl {
  explicit Impl(IdempotencyStoreOptions o)
      : options(std::move(o)),
        table((ValidateSchemaName(options.schema), ValidateSchemaName(options.table),
               QuoteIdentifier(options.schema) + "." + QuoteIdentifier(options.table))),
        pool(ConnectionPool::Options{
            .conninfo =
                BuildConnInfo(options.url, options.connect_timeout, options.application_name),
            .max_size = options.max_connections,
            .acquire_timeout = options.acquire_timeout,
        }) {}

  // Runs `body` in a transaction on a pooled connection; failures are translated by the
  // adapter's one MapFailure (pooled_call.hpp).
  template <class F>
  auto Run(const Context& ctx, const std::string& operation, Retry retry, F&& body) {
    return CallPooled(pool, ctx, "idempotency store: " + operation, retry,
                      [&](ConnectionPool::Lease& lease) {
                        pqxx::work tx(*lease);
                        auto result = body(tx);
                        tx.commit();
                        return result;
                      });
  }

  // `sql` with $1..$11 bound to the record's columns (kColumns order).
  pqxx::result Exec(pqxx::work& tx, const std::string& sql, const IdempotencyRecord& r) {
    const std::string response = r.response.empty() ? std::string("null") : r.response;
    return tx.exec_params(sql, r.key, r.command_type.substr(0, kMaxIdempotencyKeyLength),
                          NullIfEmpty(r.aggregate_id), r.version, response, NullIfEmpty(r.error),
                          r.success, r.status == IdempotencyStatus::kProcessing ? 0 : 1,
                          ToMicros(r.processed_at), ToMicros(r.expires_at), NullIfEmpty(r.owner));
  }

  // INSERT ... ON CONFLICT (key) DO UPDATE SET <every column> <suffix>.
  std::string Upsert(const std::string& suffix) const {
    return "INSERT INTO " + table + " " + kColumns + " VALUES " + kValues +
           " ON CONFLICT (key) DO UPDATE SET " + kColumns + " = ROW" + kValues + suffix;
  }

  // The time expiry is judged by: the injected clock, else the server's.
  std::string NowSql() const {
    if (!options.clock) return "NOW()";
    return "(TIMESTAMPTZ 'epoch' + " + std::to_string(ToMicros(options.clock())) +
           " * INTERVAL '1 microsecond')";
  }

  // Deletes what is due in batches of kCleanupBatch rows (one short transaction each).
  int64_t CleanupBatched(const Context& ctx, std::chrono::system_clock::duration older_than) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(older_than).count();
    const std::string now = NowSql();
    std::string due = "expires_at <= " + now;
    if (micros > 0) {
      due += " OR processed_at < " + now + " - " + std::to_string(micros) +
             " * INTERVAL '1 microsecond'";
    }
    const std::string sql = "DELETE FROM " + table + " WHERE key IN (SELECT key FROM " + table +
                            " WHERE " + due + " LIMIT " + std::to_string(kCleanupBatch) +
                            " FOR UPDATE SKIP LOCKED) AND (" + due + ")";
    int64_t removed = 0;
    for (;;) {
      const auto n = Run(ctx, "cleanup", Retry::kNever, [&](pqxx::work& tx) {
        return static_cast<int64_t>(tx.exec(sql).affected_rows());
      });
      removed += n;
      if (n < kCleanupBatch || ctx.Done()) return removed;
    }
  }

  void CleanLoop(const std::stop_token& stop) {
    std::mutex m;
    std::condition_variable_any cv;
    for (;;) {
      {
        std::unique_lock lock(m);
        cv.wait_for(lock, stop, options.cleanup_interval, [] { return false; });
      }
      if (stop.stop_requested()) return;
      try {
        CleanupBatched(Context::FromStopToken(stop), options.max_age);
      } catch (const std::exception&) {
        // The next round tries again; a store that cannot clean up cannot do anything else
        // either, and its callers see those errors.
      }
    }
  }

  IdempotencyStoreOptions options;
  std::string table;
  ConnectionPool pool;
  std::mutex cleaner_mutex;
  std::jthread cleaner;  // the background cleanup, when options.cleanup_interval > 0
};

IdempotencyStore::IdempotencyStore(IdempotencyStoreOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  if (impl_->options.cleanup_interval > std::chrono::milliseconds::zero()) {
    impl_->cleaner =
        std::jthread([impl = impl_.get()](std::stop_token stop) { impl->CleanLoop(stop); });
  }
}

IdempotencyStore::~IdempotencyStore() { Close(); }

void IdempotencyStore::Initialize(const Context& ctx) {
  const IdempotencyStoreOptions& o = impl_->options;
  const std::string& table = impl_->table;
  const std::string index = QuoteIdentifier("idx_" + o.table + "_expires_at");
  impl_->Run(ctx, "initialize", Retry::kOnce, [&](pqxx::work& tx) {
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(internal::kPositionLockClass) + ", " +
            std::to_string(internal::PositionLockKey(o.schema + "." + o.table)) + ")");
    tx.exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(o.schema));
    tx.exec("CREATE TABLE IF NOT EXISTS " + table +
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
            "expires_at TIMESTAMPTZ NOT NULL, "
            "owner VARCHAR(255))");
    // Tables created before reservations had owners gain the column.
    tx.exec("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS owner VARCHAR(255)");
    tx.exec("CREATE INDEX IF NOT EXISTS " + index + " ON " + table + " (expires_at)");
    return 0;
  });
}

void IdempotencyStore::Store(const Context& ctx, const IdempotencyRecord& record) {
  ValidateIdempotencyKey(record.key);
  impl_->Run(ctx, "store", Retry::kNever, [&](pqxx::work& tx) {
    impl_->Exec(tx, impl_->Upsert(""), record);
    return 0;
  });
}

bool IdempotencyStore::StoreIfAbsent(const Context& ctx, const IdempotencyRecord& record) {
  ValidateIdempotencyKey(record.key);
  const std::string sql = impl_->Upsert(" WHERE " + impl_->table +
                                        ".expires_at <= " + impl_->NowSql() + " RETURNING 1");
  return impl_->Run(ctx, "reserve", Retry::kNever,
                    [&](pqxx::work& tx) { return !impl_->Exec(tx, sql, record).empty(); });
}

bool IdempotencyStore::Complete(const Context& ctx, const IdempotencyRecord& record) {
  ValidateIdempotencyKey(record.key);
  ValidateIdempotencyOwner(record.owner);
  const std::string sql = "UPDATE " + impl_->table + " SET " + kColumns + " = ROW" + kValues +
                          " WHERE key = $1 AND owner = $11 RETURNING 1";
  return impl_->Run(ctx, "complete", Retry::kNever,
                    [&](pqxx::work& tx) { return !impl_->Exec(tx, sql, record).empty(); });
}

bool IdempotencyStore::Release(const Context& ctx, std::string_view key, std::string_view owner) {
  ValidateIdempotencyKey(key);
  ValidateIdempotencyOwner(owner);
  return impl_->Run(ctx, "release", Retry::kNever, [&](pqxx::work& tx) {
    return tx.exec_params("DELETE FROM " + impl_->table + " WHERE key = $1 AND owner = $2",
                          std::string(key), std::string(owner))
               .affected_rows() > 0;
  });
}

std::optional<IdempotencyRecord> IdempotencyStore::Get(const Context& ctx, std::string_view key) {
  ValidateIdempotencyKey(key);
  return impl_->Run(
      ctx, "get", Retry::kOnce, [&](pqxx::work& tx) -> std::optional<IdempotencyRecord> {
        pqxx::result r = tx.exec_params(
            "SELECT key, command_type, COALESCE(aggregate_id, ''), version, "
            "CASE WHEN response = 'null'::jsonb THEN '' ELSE response::text END, "
            "COALESCE(error, ''), success, status, "
            "(EXTRACT(EPOCH FROM processed_at) * 1000000)::bigint, "
            "(EXTRACT(EPOCH FROM expires_at) * 1000000)::bigint, COALESCE(owner, '') FROM " +
                impl_->table + " WHERE key = $1 AND expires_at > " + impl_->NowSql(),
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
        rec.owner = row[10].as<std::string>();
        return rec;
      });
}

void IdempotencyStore::Delete(const Context& ctx, std::string_view key) {
  ValidateIdempotencyKey(key);
  impl_->Run(ctx, "delete", Retry::kNever, [&](pqxx::work& tx) {
    tx.exec_params("DELETE FROM " + impl_->table + " WHERE key = $1", std::string(key));
    return 0;
  });
}

int64_t IdempotencyStore::Cleanup(const Context& ctx,
                                  std::chrono::system_clock::duration older_than) {
  return impl_->CleanupBatched(ctx, older_than);
}

void IdempotencyStore::Close() {
  std::jthread cleaner;
  {
    std::lock_guard lock(impl_->cleaner_mutex);
    cleaner = std::move(impl_->cleaner);
  }
  if (cleaner.joinable()) {
    cleaner.request_stop();
    cleaner.join();
  }
  impl_->pool.Close();
}

const std::string& IdempotencyStore::QualifiedTable() const noexcept { return impl_->table; }

}  // namespace mink::postgres
