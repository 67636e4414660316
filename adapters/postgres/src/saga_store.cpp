// The PostgreSQL SagaStore (mink/postgres/saga_store.hpp).
#include "mink/postgres/saga_store.hpp"

#include <optional>

#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include "connection_pool.hpp"
#include "coordination.hpp"
#include "mink/postgres/conninfo.hpp"
#include "mink/postgres/identifier.hpp"
#include "pooled_call.hpp"
#include "timestamps.hpp"

namespace mink::postgres {

using internal::CallPooled;
using internal::ConnectionPool;
using internal::FromMicros;
using internal::Retry;
using internal::ToMicros;

namespace {

constexpr const char* kSelect =
    "SELECT id, type, COALESCE(correlation_id, ''), status, current_step, data::text, "
    "processed_events::text, steps::text, COALESCE(failure_reason, ''), "
    "(EXTRACT(EPOCH FROM started_at) * 1000000)::bigint, "
    "(EXTRACT(EPOCH FROM updated_at) * 1000000)::bigint, "
    "(EXTRACT(EPOCH FROM completed_at) * 1000000)::bigint, version FROM ";

std::optional<std::string> NullIfEmpty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

std::string ValidatedTable(const SagaStoreOptions& o) {
  ValidateSchemaName(o.schema);
  ValidateSchemaName(o.table);
  if (o.table.size() > kMaxSagaTableLength) {
    throw Error(errc::kInvalidSchemaName, "saga table name \"" + o.table + "\" is longer than " +
                                              std::to_string(kMaxSagaTableLength) + " bytes");
  }
  return QuoteIdentifier(o.schema) + "." + QuoteIdentifier(o.table);
}

// One row of kSelect as a SagaState; CorruptSagaStateError naming the saga when a column does
// not have the shape a saga needs.
SagaState Decode(const pqxx::row& row) {
  const std::string id = row[0].as<std::string>();
  try {
    SagaState s;
    s.id = id;
    s.type = row[1].as<std::string>();
    s.correlation_id = row[2].as<std::string>();
    auto status = SagaStatusFromInt(row[3].as<int>());
    if (!status) throw Error(errc::kInvalidArgument, "status " + row[3].as<std::string>());
    s.status = *status;
    s.current_step = row[4].as<int>();
    s.data = nlohmann::json::parse(row[5].as<std::string>());
    s.processed_events =
        nlohmann::json::parse(row[6].as<std::string>()).get<std::vector<std::string>>();
    const nlohmann::json steps = nlohmann::json::parse(row[7].as<std::string>());
    if (!steps.is_array()) throw Error(errc::kInvalidArgument, "steps is not an array");
    for (const auto& step : steps) s.steps.push_back(SagaStepFromJson(step));
    s.failure_reason = row[8].as<std::string>();
    s.started_at = FromMicros(row[9].as<int64_t>());
    s.updated_at = FromMicros(row[10].as<int64_t>());
    if (!row[11].is_null()) s.completed_at = FromMicros(row[11].as<int64_t>());
    s.version = row[12].as<int64_t>();
    return s;
  } catch (const std::exception& e) {
    throw CorruptSagaStateError(id, e.what());
  }
}

}  // namespace

struct SagaStore::Impl {
  explicit Impl(SagaStoreOptions o)
      : options(std::move(o)),
        table(ValidatedTable(options)),
        checkpoints(QuoteIdentifier(options.schema) + "." +
                    QuoteIdentifier(options.table + "_checkpoints")),
        pool(ConnectionPool::Options{
            .conninfo =
                BuildConnInfo(options.url, options.connect_timeout, options.application_name),
            .max_size = options.max_connections,
            .acquire_timeout = options.acquire_timeout,
        }) {}

  template <class F>
  auto Run(const Context& ctx, const std::string& operation, Retry retry, F&& body) {
    return CallPooled(pool, ctx, "saga store: " + operation, retry,
                      [&](ConnectionPool::Lease& lease) {
                        pqxx::work tx(*lease);
                        auto result = body(tx);
                        tx.commit();
                        return result;
                      });
  }

  // A single read-only statement in autocommit: one statement sees one snapshot, so a
  // BEGIN/COMMIT around it would only add two round trips (the saga manager reads once per
  // event; bench/saga_bench.cpp).
  template <class F>
  auto Read(const Context& ctx, const std::string& operation, F&& body) {
    return CallPooled(pool, ctx, "saga store: " + operation, Retry::kOnce,
                      [&](ConnectionPool::Lease& lease) {
                        pqxx::nontransaction tx(*lease);
                        return body(tx);
                      });
  }

  // The saga's INSERT (version 0) or versioned UPDATE inside `tx`; throws ConcurrencyError
  // when no row was written, else updates state.version and state.updated_at.
  void SaveIn(pqxx::work& tx, SagaState& state) {
    detail::RequireSagaID(state.id, "saga ID");
    if (state.type.empty()) throw Error(errc::kInvalidArgument, "saga type is empty");
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : state.steps) steps.push_back(SagaStepToJson(step));
    const nlohmann::json processed = state.processed_events;
    const nlohmann::json data = state.data.is_null() ? nlohmann::json::object() : state.data;
    const std::optional<int64_t> completed =
        state.completed_at ? std::optional<int64_t>(ToMicros(*state.completed_at)) : std::nullopt;
    const std::string values =
        "$1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, "
        "TIMESTAMPTZ 'epoch' + $10 * INTERVAL '1 microsecond', NOW(), "
        "TIMESTAMPTZ 'epoch' + $11 * INTERVAL '1 microsecond'";
    const std::string returning =
        " RETURNING version, (EXTRACT(EPOCH FROM updated_at) * 1000000)::bigint";
    std::string sql;
    if (state.version == 0) {
      sql = "INSERT INTO " + table +
            " (id, type, correlation_id, status, current_step, data, processed_events, steps, "
            "failure_reason, started_at, updated_at, completed_at, version) VALUES (" +
            values + ", 1) ON CONFLICT (id) DO NOTHING" + returning;
    } else {
      sql = "UPDATE " + table +
            " SET (type, correlation_id, status, current_step, data, processed_events, steps, "
            "failure_reason, started_at, updated_at, completed_at, version) = ROW(" +
            values.substr(4) + ", version + 1) WHERE id = $1 AND version = $12" + returning;
    }
    pqxx::result r =
        state.version == 0
            ? tx.exec_params(sql, state.id, state.type, NullIfEmpty(state.correlation_id),
                             static_cast<int>(state.status), state.current_step, data.dump(),
                             processed.dump(), steps.dump(), NullIfEmpty(state.failure_reason),
                             ToMicros(state.started_at), completed)
            : tx.exec_params(sql, state.id, state.type, NullIfEmpty(state.correlation_id),
                             static_cast<int>(state.status), state.current_step, data.dump(),
                             processed.dump(), steps.dump(), NullIfEmpty(state.failure_reason),
                             ToMicros(state.started_at), completed, state.version);
    if (r.empty()) {
      pqxx::result v = tx.exec_params("SELECT version FROM " + table + " WHERE id = $1", state.id);
      throw detail::SagaVersionConflict(state, v.empty() ? 0 : v[0][0].as<int64_t>());
    }
    state.version = r[0][0].as<int64_t>();
    state.updated_at = FromMicros(r[0][1].as<int64_t>());
    state.started_at = TruncateToMicros(state.started_at);
    if (state.completed_at) state.completed_at = TruncateToMicros(*state.completed_at);
  }

  void CheckpointIn(pqxx::work& tx, std::string_view name, uint64_t position) {
    detail::RequireSagaID(name, "checkpoint name");
    tx.exec_params("INSERT INTO " + checkpoints +
                       " (name, position, updated_at) VALUES ($1, $2, NOW()) ON CONFLICT (name) "
                       "DO UPDATE SET position = EXCLUDED.position, updated_at = NOW()",
                   std::string(name), static_cast<int64_t>(position));
  }

  SagaStoreOptions options;
  std::string table;
  std::string checkpoints;
  ConnectionPool pool;
};

SagaStore::SagaStore(SagaStoreOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

SagaStore::~SagaStore() { Close(); }

void SagaStore::Initialize(const Context& ctx) {
  const SagaStoreOptions& o = impl_->options;
  const std::string& t = impl_->table;
  auto index = [&](const char* suffix) { return QuoteIdentifier(o.table + suffix); };
  impl_->Run(ctx, "initialize", Retry::kOnce, [&](pqxx::work& tx) {
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(internal::kPositionLockClass) + ", " +
            std::to_string(internal::PositionLockKey(o.schema + "." + o.table)) + ")");
    tx.exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(o.schema));
    tx.exec("CREATE TABLE IF NOT EXISTS " + t +
            " ("
            "id VARCHAR(255) PRIMARY KEY, "
            "type VARCHAR(255) NOT NULL, "
            "correlation_id VARCHAR(255), "
            "status INT NOT NULL DEFAULT 0, "
            "current_step INT NOT NULL DEFAULT 0, "
            "data JSONB NOT NULL DEFAULT '{}', "
            "processed_events JSONB NOT NULL DEFAULT '[]', "
            "steps JSONB NOT NULL DEFAULT '[]', "
            "failure_reason TEXT, "
            "started_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), "
            "updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), "
            "completed_at TIMESTAMPTZ, "
            "version BIGINT NOT NULL DEFAULT 0)");
    tx.exec("CREATE INDEX IF NOT EXISTS " + index("_corr") + " ON " + t + " (correlation_id)");
    tx.exec("CREATE INDEX IF NOT EXISTS " + index("_type_status") + " ON " + t + " (type, status)");
    tx.exec("CREATE INDEX IF NOT EXISTS " + index("_started") + " ON " + t + " (started_at)");
    tx.exec("CREATE INDEX IF NOT EXISTS " + index("_running") + " ON " + t +
            " (type) WHERE status IN (0, 1, 4)");
    tx.exec("CREATE TABLE IF NOT EXISTS " + impl_->checkpoints +
            " (name VARCHAR(255) PRIMARY KEY, position BIGINT NOT NULL, "
            "updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW())");
    return 0;
  });
}

void SagaStore::Save(const Context& ctx, SagaState& state) {
  SagaState copy = state;  // the caller's state changes only on success
  impl_->Run(ctx, "save \"" + state.id + "\"", Retry::kNever, [&](pqxx::work& tx) {
    impl_->SaveIn(tx, copy);
    return 0;
  });
  state = std::move(copy);
}

void SagaStore::SaveWithCheckpoint(const Context& ctx, SagaState& state, std::string_view name,
                                   uint64_t position) {
  SagaState copy = state;
  impl_->Run(ctx, "save \"" + state.id + "\" with checkpoint", Retry::kNever, [&](pqxx::work& tx) {
    impl_->SaveIn(tx, copy);
    impl_->CheckpointIn(tx, name, position);
    return 0;
  });
  state = std::move(copy);
}

SagaState SagaStore::Load(const Context& ctx, std::string_view saga_id) {
  detail::RequireSagaID(saga_id, "saga ID");
  return impl_->Read(ctx, "load", [&](pqxx::transaction_base& tx) {
    pqxx::result r =
        tx.exec_params(kSelect + impl_->table + " WHERE id = $1", std::string(saga_id));
    if (r.empty()) throw SagaNotFoundError(std::string(saga_id));
    return Decode(r[0]);
  });
}

SagaState SagaStore::FindByCorrelationID(const Context& ctx, std::string_view correlation_id,
                                         std::string_view saga_type) {
  detail::RequireSagaID(correlation_id, "correlation ID");
  return impl_->Read(ctx, "find by correlation", [&](pqxx::transaction_base& tx) {
    pqxx::result r = tx.exec_params(kSelect + impl_->table +
                                        " WHERE correlation_id = $1 AND ($2 = '' OR type = $2) "
                                        "ORDER BY started_at DESC, id LIMIT 1",
                                    std::string(correlation_id), std::string(saga_type));
    if (r.empty()) throw SagaNotFoundError::ByCorrelation(std::string(correlation_id));
    return Decode(r[0]);
  });
}

std::vector<SagaState> SagaStore::FindByType(const Context& ctx, std::string_view saga_type,
                                             const std::vector<SagaStatus>& statuses,
                                             std::vector<CorruptSagaStateError>* corrupt) {
  std::string filter;
  for (SagaStatus s : statuses) {
    filter += (filter.empty() ? "" : ", ") + std::to_string(static_cast<int>(s));
  }
  const std::string sql = kSelect + impl_->table + " WHERE type = $1" +
                          (filter.empty() ? "" : " AND status IN (" + filter + ")") +
                          " ORDER BY started_at DESC, id";
  pqxx::result rows = impl_->Read(ctx, "find by type", [&](pqxx::transaction_base& tx) {
    return tx.exec_params(sql, std::string(saga_type));
  });
  std::vector<SagaState> out;
  std::optional<CorruptSagaStateError> first;
  for (const pqxx::row& row : rows) {
    try {
      out.push_back(Decode(row));
    } catch (const CorruptSagaStateError& bad) {
      if (corrupt != nullptr) {
        corrupt->push_back(bad);
      } else if (!first) {
        first.emplace(bad);
      }
    }
  }
  if (first) throw *first;
  return out;
}

void SagaStore::Delete(const Context& ctx, std::string_view saga_id) {
  detail::RequireSagaID(saga_id, "saga ID");
  impl_->Run(ctx, "delete", Retry::kNever, [&](pqxx::work& tx) {
    if (tx.exec_params("DELETE FROM " + impl_->table + " WHERE id = $1", std::string(saga_id))
            .affected_rows() == 0) {
      throw SagaNotFoundError(std::string(saga_id));
    }
    return 0;
  });
}

std::optional<uint64_t> SagaStore::LoadCheckpoint(const Context& ctx, std::string_view name) {
  return impl_->Read(
      ctx, "load checkpoint", [&](pqxx::transaction_base& tx) -> std::optional<uint64_t> {
        pqxx::result r = tx.exec_params(
            "SELECT position FROM " + impl_->checkpoints + " WHERE name = $1", std::string(name));
        if (r.empty()) return std::nullopt;
        return static_cast<uint64_t>(r[0][0].as<int64_t>());
      });
}

void SagaStore::SaveCheckpoint(const Context& ctx, std::string_view name, uint64_t position) {
  impl_->Run(ctx, "save checkpoint", Retry::kNever, [&](pqxx::work& tx) {
    impl_->CheckpointIn(tx, name, position);
    return 0;
  });
}

void SagaStore::Close() { impl_->pool.Close(); }

const std::string& SagaStore::QualifiedTable() const noexcept { return impl_->table; }

}  // namespace mink::postgres
