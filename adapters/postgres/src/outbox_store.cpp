// The PostgreSQL OutboxStore (mink/postgres/outbox_store.hpp).
#include "mink/postgres/outbox_store.hpp"

#include <algorithm>
#include <optional>
#include <tuple>

#include <nlohmann/json.hpp>
#include <pqxx/result>
#include <pqxx/transaction>

#include "connection_pool.hpp"
#include "coordination.hpp"
#include "mink/outbox/errors.hpp"
#include "mink/postgres/conninfo.hpp"
#include "mink/postgres/identifier.hpp"
#include "mink/postgres/transaction.hpp"
#include "pooled_call.hpp"
#include "timestamps.hpp"

namespace mink::postgres {

using internal::CallPooled;
using internal::ConnectionPool;
using internal::FromMicros;
using internal::Retry;
using internal::ToMicros;

namespace {

std::string Micros(const std::string& column) {
  return "(EXTRACT(EPOCH FROM " + column + ") * 1000000)::bigint";
}

const std::string kSelect =
    "id::text, aggregate_id, event_type, destination, payload::text, headers::text, status, "
    "attempts, max_attempts, COALESCE(last_error, ''), " +
    Micros("scheduled_at") + ", " + Micros("last_attempt_at") + ", " + Micros("processed_at") +
    ", " + Micros("created_at") + ", seq";

// Appends `s` as a quoted element of a PostgreSQL array literal.
void AppendElement(std::string& out, std::string_view s) {
  if (out.size() > 1) out += ',';
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

// "{...}" of the IDs that are UUIDs (others cannot name a row).
std::string UuidArray(std::span<const std::string> ids) {
  std::string out = "{";
  for (const std::string& id : ids) {
    if (IsOutboxMessageID(id)) AppendElement(out, id);
  }
  return out + "}";
}

struct Decoded {
  OutboxMessage message;
  int64_t seq = 0;
  std::string corrupt;  // why the row cannot be handed out; empty when it can
};

Decoded Decode(const pqxx::row& row) {
  Decoded d;
  OutboxMessage& m = d.message;
  m.id = row[0].as<std::string>();
  m.aggregate_id = row[1].as<std::string>();
  m.event_type = row[2].as<std::string>();
  m.destination = row[3].as<std::string>();
  m.payload = row[4].as<std::string>();
  const int status = row[6].as<int>();
  if (status < 0 || status > 4) d.corrupt = "status " + std::to_string(status) + " is unknown";
  m.status = static_cast<OutboxStatus>(std::clamp(status, 0, 4));
  m.attempts = row[7].as<int>();
  m.max_attempts = row[8].as<int>();
  m.last_error = row[9].as<std::string>();
  m.scheduled_at = FromMicros(row[10].as<int64_t>());
  if (!row[11].is_null()) m.last_attempt_at = FromMicros(row[11].as<int64_t>());
  if (!row[12].is_null()) m.processed_at = FromMicros(row[12].as<int64_t>());
  m.created_at = FromMicros(row[13].as<int64_t>());
  d.seq = row[14].as<int64_t>();
  if (!row[5].is_null()) {
    const auto headers = nlohmann::json::parse(row[5].as<std::string>(), nullptr, false);
    if (!headers.is_object()) {
      d.corrupt = "headers are not a JSON object";
    } else {
      for (const auto& [k, v] : headers.items()) {
        if (!v.is_string()) {
          d.corrupt = "header \"" + k + "\" is not a string";
          break;
        }
        m.headers.emplace(k, v.get<std::string>());
      }
    }
  }
  return d;
}

}  // namespace

struct OutboxStore::Impl {
  explicit Impl(OutboxStoreOptions o)
      : options(std::move(o)),
        table((ValidateSchemaName(options.schema), ValidateSchemaName(options.table),
               QuoteIdentifier(options.schema) + "." + QuoteIdentifier(options.table))),
        pool(ConnectionPool::Options{
            .conninfo =
                BuildConnInfo(options.url, options.connect_timeout, options.application_name),
            .max_size = options.max_connections,
            .acquire_timeout = options.acquire_timeout,
        }) {}

  template <class F>
  auto Run(const Context& ctx, const std::string& operation, Retry retry, F&& body) {
    return CallPooled(pool, ctx, "outbox store: " + operation, retry,
                      [&](ConnectionPool::Lease& lease) {
                        pqxx::work tx(*lease);
                        auto result = body(tx);
                        tx.commit();
                        return result;
                      });
  }

  Timestamp ClientNow() const {
    return options.clock ? options.clock() : Timestamp(std::chrono::system_clock::now());
  }

  // The time claims, backoff and timeouts are judged by: the injected clock, else the server's.
  std::string NowSql() const {
    if (!options.clock) return "NOW()";
    return "(TIMESTAMPTZ 'epoch' + " + std::to_string(ToMicros(options.clock())) +
           " * INTERVAL '1 microsecond')";
  }

  static std::string Ago(const std::string& now, std::chrono::system_clock::duration d) {
    return "(" + now + " - " +
           std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) +
           " * INTERVAL '1 microsecond')";
  }

  void Insert(pqxx::work& tx, const std::vector<OutboxMessage>& messages) {
    if (messages.empty()) return;
    std::string ids = "{", aggs = "{", types = "{", dests = "{", payloads = "{", headers = "{",
                maxes = "{", scheduled = "{", created = "{";
    for (const OutboxMessage& m : messages) {
      AppendElement(ids, m.id);
      AppendElement(aggs, m.aggregate_id);
      AppendElement(types, m.event_type);
      AppendElement(dests, m.destination);
      AppendElement(payloads, m.payload);
      AppendElement(headers, nlohmann::json(m.headers).dump());
      AppendElement(maxes, std::to_string(m.max_attempts));
      AppendElement(scheduled, std::to_string(ToMicros(m.scheduled_at)));
      AppendElement(created, std::to_string(ToMicros(m.created_at)));
    }
    for (std::string* s :
         {&ids, &aggs, &types, &dests, &payloads, &headers, &maxes, &scheduled, &created}) {
      *s += '}';
    }
    tx.exec_params(
        "INSERT INTO " + table +
            " (id, aggregate_id, event_type, destination, payload, headers, max_attempts, "
            "scheduled_at, created_at) "
            "SELECT u.id::uuid, u.agg, u.typ, u.dest, u.payload::jsonb, u.headers::jsonb, "
            "u.maxa::int, TIMESTAMPTZ 'epoch' + u.sched::bigint * INTERVAL '1 microsecond', "
            "TIMESTAMPTZ 'epoch' + u.created::bigint * INTERVAL '1 microsecond' "
            "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
            "$7::text[], $8::text[], $9::text[]) WITH ORDINALITY "
            "AS u(id, agg, typ, dest, payload, headers, maxa, sched, created, ord) ORDER BY u.ord",
        ids, aggs, types, dests, payloads, headers, maxes, scheduled, created);
  }

  int64_t Update(const Context& ctx, const std::string& operation, const std::string& sql) {
    return Run(ctx, operation, Retry::kNever,
               [&](pqxx::work& tx) { return static_cast<int64_t>(tx.exec(sql).affected_rows()); });
  }

  OutboxStoreOptions options;
  std::string table;
  ConnectionPool pool;
};

OutboxStore::OutboxStore(OutboxStoreOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

OutboxStore::~OutboxStore() { Close(); }

void OutboxStore::Initialize(const Context& ctx) {
  const OutboxStoreOptions& o = impl_->options;
  const std::string& t = impl_->table;
  auto index = [&](const std::string& suffix) {
    return QuoteIdentifier("idx_" + o.table + suffix);
  };
  impl_->Run(ctx, "initialize", Retry::kOnce, [&](pqxx::work& tx) {
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(internal::kPositionLockClass) + ", " +
            std::to_string(internal::PositionLockKey(o.schema + "." + o.table)) + ")");
    tx.exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(o.schema));
    tx.exec("CREATE TABLE IF NOT EXISTS " + t +
            " ("
            "id UUID PRIMARY KEY DEFAULT gen_random_uuid(), "
            "aggregate_id VARCHAR(255) NOT NULL, "
            "event_type VARCHAR(255) NOT NULL, "
            "destination VARCHAR(255) NOT NULL, "
            "payload JSONB NOT NULL, "
            "headers JSONB DEFAULT '{}', "
            "status INT NOT NULL DEFAULT 0, "
            "attempts INT NOT NULL DEFAULT 0, "
            "max_attempts INT NOT NULL DEFAULT 5, "
            "last_error TEXT, "
            "scheduled_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), "
            "last_attempt_at TIMESTAMPTZ, "
            "processed_at TIMESTAMPTZ, "
            "created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), "
            "seq BIGINT GENERATED ALWAYS AS IDENTITY)");
    tx.exec("CREATE INDEX IF NOT EXISTS " + index("_pending") + " ON " + t +
            " (scheduled_at, seq) WHERE status = 0");
    tx.exec("CREATE INDEX IF NOT EXISTS " + index("_dead_letter") + " ON " + t +
            " (created_at) WHERE status = 4");
    tx.exec("CREATE INDEX IF NOT EXISTS " + index("_processing") + " ON " + t +
            " (last_attempt_at) WHERE status = 1");
    tx.exec("CREATE INDEX IF NOT EXISTS " + index("_failed") + " ON " + t +
            " (scheduled_at) WHERE status = 3");
    tx.exec("CREATE INDEX IF NOT EXISTS " + index("_unfinished") + " ON " + t +
            " (aggregate_id, destination, seq) WHERE status IN (0, 1, 3)");
    return 0;
  });
}

void OutboxStore::Schedule(const Context& ctx, std::vector<OutboxMessage>& messages) {
  ctx.ThrowIfDone();
  PrepareOutboxMessages(messages, impl_->ClientNow());
  if (messages.empty()) return;
  impl_->Run(ctx, "schedule", Retry::kNever, [&](pqxx::work& tx) {
    impl_->Insert(tx, messages);
    return 0;
  });
}

void OutboxStore::ScheduleInTx(const Context& ctx, mink::Transaction& tx,
                               std::vector<OutboxMessage>& messages) {
  ctx.ThrowIfDone();
  auto* pg = dynamic_cast<postgres::Transaction*>(&tx);
  if (pg == nullptr) {
    throw Error(errc::kInvalidArgument,
                "postgres outbox store: the transaction is not a PostgreSQL adapter's");
  }
  PrepareOutboxMessages(messages, impl_->ClientNow());
  impl_->Insert(pg->Work(), messages);
}

std::vector<OutboxMessage> OutboxStore::FetchPending(const Context& ctx, std::size_t limit,
                                                     const FetchOptions& options) {
  if (limit == 0) return {};
  const std::string& t = impl_->table;
  const std::string now = impl_->NowSql();
  std::string due = "m.status = 0 AND m.scheduled_at <= " + now;
  if (options.ordered_per_aggregate) {
    due += " AND NOT EXISTS (SELECT 1 FROM " + t +
           " e WHERE e.aggregate_id = m.aggregate_id AND e.destination = m.destination "
           "AND e.seq < m.seq AND e.status IN (0, 1, 3))";
  }
  const std::string sql = "WITH claimed AS (SELECT m.id AS claim_id FROM " + t + " m WHERE " + due +
                          " ORDER BY m.scheduled_at, m.seq LIMIT " + std::to_string(limit) +
                          " FOR UPDATE SKIP LOCKED) UPDATE " + t +
                          " SET status = 1, attempts = attempts + 1, last_attempt_at = " + now +
                          " FROM claimed WHERE " + t + ".id = claimed.claim_id RETURNING " +
                          kSelect;
  return impl_->Run(ctx, "fetch pending", Retry::kNever, [&](pqxx::work& tx) {
    std::vector<std::tuple<Timestamp, int64_t, OutboxMessage>> rows;
    std::string corrupt_ids = "{", corrupt_errors = "{";
    for (const auto& row : tx.exec(sql)) {
      Decoded d = Decode(row);
      if (!d.corrupt.empty()) {
        AppendElement(corrupt_ids, d.message.id);
        AppendElement(corrupt_errors, OutboxErrorText(Error(errc::kCorruptOutboxMessage,
                                                            "corrupt outbox row " + d.message.id +
                                                                ": " + d.corrupt)));
        continue;
      }
      rows.emplace_back(d.message.scheduled_at, d.seq, std::move(d.message));
    }
    if (corrupt_ids.size() > 1) {
      tx.exec_params("UPDATE " + t +
                         " SET status = 4, last_error = c.err FROM unnest($1::uuid[], $2::text[]) "
                         "AS c(id, err) WHERE " +
                         t + ".id = c.id",
                     corrupt_ids + "}", corrupt_errors + "}");
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
    });
    std::vector<OutboxMessage> out;
    out.reserve(rows.size());
    for (auto& r : rows) out.push_back(std::move(std::get<2>(r)));
    return out;
  });
}

void OutboxStore::MarkCompleted(const Context& ctx, std::span<const std::string> ids) {
  if (ids.empty()) return;
  impl_->Run(ctx, "mark completed", Retry::kNever, [&](pqxx::work& tx) {
    tx.exec_params("UPDATE " + impl_->table + " SET status = 2, processed_at = " + impl_->NowSql() +
                       " WHERE id = ANY($1::uuid[])",
                   UuidArray(ids));
    return 0;
  });
}

void OutboxStore::MarkFailed(const Context& ctx, const std::string& id, std::string_view error,
                             std::optional<Timestamp> retry_at) {
  if (!IsOutboxMessageID(id)) {
    throw Error(errc::kOutboxMessageNotFound, "outbox message \"" + id + "\" not found");
  }
  const std::optional<int64_t> at =
      retry_at ? std::optional<int64_t>(ToMicros(*retry_at)) : std::nullopt;
  const bool found = impl_->Run(ctx, "mark failed", Retry::kNever, [&](pqxx::work& tx) {
    return !tx.exec_params("UPDATE " + impl_->table +
                               " SET status = CASE WHEN status = 2 THEN 2 ELSE 3 END, "
                               "last_error = CASE WHEN status = 2 THEN last_error ELSE $2 END, "
                               "scheduled_at = CASE WHEN status = 2 OR $3::bigint IS NULL "
                               "THEN scheduled_at ELSE TIMESTAMPTZ 'epoch' + $3::bigint * "
                               "INTERVAL '1 microsecond' END WHERE id = $1::uuid RETURNING 1",
                           id, std::string(error), at)
                .empty();
  });
  if (!found) throw Error(errc::kOutboxMessageNotFound, "outbox message \"" + id + "\" not found");
}

namespace {
std::string LimitSql(int max_attempts) {
  return max_attempts > 0 ? "LEAST(" + std::to_string(max_attempts) + ", max_attempts)"
                          : std::string("max_attempts");
}
}  // namespace

int64_t OutboxStore::RetryFailed(const Context& ctx, int max_attempts) {
  return impl_->Update(ctx, "retry failed",
                       "UPDATE " + impl_->table +
                           " SET status = 0 WHERE status = 3 AND attempts < " +
                           LimitSql(max_attempts));
}

int64_t OutboxStore::MoveToDeadLetter(const Context& ctx, int max_attempts) {
  return impl_->Update(
      ctx, "move to dead letter",
      "UPDATE " + impl_->table +
          " SET status = 4 WHERE status = 3 AND attempts >= " + LimitSql(max_attempts));
}

std::vector<OutboxMessage> OutboxStore::GetDeadLetterMessages(const Context& ctx,
                                                              std::size_t limit) {
  return impl_->Run(ctx, "dead letters", Retry::kOnce, [&](pqxx::work& tx) {
    std::vector<OutboxMessage> out;
    for (const auto& row :
         tx.exec("SELECT " + kSelect + " FROM " + impl_->table +
                 " WHERE status = 4 ORDER BY created_at, seq LIMIT " + std::to_string(limit))) {
      out.push_back(Decode(row).message);
    }
    return out;
  });
}

int64_t OutboxStore::RequeueDeadLetters(const Context& ctx, std::span<const std::string> ids) {
  if (ids.empty()) return 0;
  return impl_->Run(ctx, "requeue dead letters", Retry::kNever, [&](pqxx::work& tx) {
    return static_cast<int64_t>(
        tx.exec_params("UPDATE " + impl_->table + " SET status = 0, attempts = 0, scheduled_at = " +
                           impl_->NowSql() + " WHERE status = 4 AND id = ANY($1::uuid[])",
                       UuidArray(ids))
            .affected_rows());
  });
}

int64_t OutboxStore::ReclaimStale(const Context& ctx, std::chrono::system_clock::duration timeout) {
  return impl_->Update(ctx, "reclaim stale",
                       "UPDATE " + impl_->table +
                           " SET status = 0 WHERE status = 1 AND last_attempt_at < " +
                           Impl::Ago(impl_->NowSql(), timeout));
}

int64_t OutboxStore::Cleanup(const Context& ctx, std::chrono::system_clock::duration older_than) {
  return impl_->Update(ctx, "cleanup",
                       "DELETE FROM " + impl_->table + " WHERE status = 2 AND processed_at < " +
                           Impl::Ago(impl_->NowSql(), older_than));
}

std::optional<OutboxMessage> OutboxStore::Get(const Context& ctx, const std::string& id) {
  if (!IsOutboxMessageID(id)) return std::nullopt;
  return impl_->Run(ctx, "get", Retry::kOnce, [&](pqxx::work& tx) -> std::optional<OutboxMessage> {
    const pqxx::result r =
        tx.exec_params("SELECT " + kSelect + " FROM " + impl_->table + " WHERE id = $1::uuid", id);
    if (r.empty()) return std::nullopt;
    return Decode(r[0]).message;
  });
}

int64_t OutboxStore::Count(const Context& ctx, OutboxStatus status) {
  return impl_->Run(ctx, "count", Retry::kOnce, [&](pqxx::work& tx) {
    return tx
        .exec("SELECT COUNT(*) FROM " + impl_->table +
              " WHERE status = " + std::to_string(static_cast<int>(status)))[0][0]
        .as<int64_t>();
  });
}

void OutboxStore::Close() { impl_->pool.Close(); }

const std::string& OutboxStore::QualifiedTable() const noexcept { return impl_->table; }

}  // namespace mink::postgres
