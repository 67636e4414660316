// The event adapter's writes and reads (event_core.hpp). Appends are one call of the
// server-side append_events function (migration 1); see docs/adapters/postgres.md.
#include "event_core.hpp"

#include <utility>

#include <nlohmann/json.hpp>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "coordination.hpp"
#include "event_sql.hpp"
#include "migrator.hpp"
#include "mink/es/errors.hpp"
#include "mink/es/stream_id.hpp"
#include "mink/es/version.hpp"
#include "mink/postgres/identifier.hpp"
#include "mink/postgres/migrations.hpp"
#include "mink/postgres/transaction.hpp"
#include "timestamps.hpp"

namespace mink::postgres::internal {
namespace {

// Appends `s` as a quoted element of a PostgreSQL array literal.
void AppendArrayElement(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

SerializationError BadData(const std::vector<EventRecord>& records, const pqxx::sql_error& e) {
  for (const auto& r : records) {
    if (!nlohmann::json::accept(r.data)) {
      return SerializationError(r.type, "serialize", "event data is not valid JSON");
    }
  }
  return SerializationError(records.front().type, "serialize",
                            std::string("PostgreSQL rejected the event data: ") + e.what());
}

// The first row of append_events' reply: status 0 = appended (version, first position), 1/2 =
// the expected version did not match an existing / missing stream.
AppendResult Interpret(const pqxx::result& r, const std::string& stream_id, int64_t expected) {
  if (r.empty()) throw Error(errc::kStorageFailed, "append_events returned no row");
  const int status = r[0][0].as<int>();
  const int64_t version = r[0][1].as<int64_t>();
  if (status != 0) {
    CheckVersion(stream_id, expected, version, status == 1);
    throw Error(errc::kStorageFailed, "append_events refused an append CheckVersion allows");
  }
  return AppendResult{version, r[0][2].as<uint64_t>(), r[r.size() - 1][2].as<uint64_t>()};
}

}  // namespace

Core::Core(Options options)
    : options_(std::move(options)),
      quoted_schema_((ValidateSchemaName(options_.schema), QuoteIdentifier(options_.schema))),
      pool_(ConnectionPool::Options{
          BuildConnInfo(options_.url, options_.connect_timeout, options_.application_name),
          options_.max_connections, options_.acquire_timeout,
          [this](pqxx::connection& c) { PrepareEventStatements(c, quoted_schema_); }}) {}

Core::~Core() { Close(); }

void Core::ThrowIfClosed() const {
  if (closed_) throw Error(errc::kAdapterClosed, "PostgreSQL adapter is closed");
}

void Core::Initialize(const Context& ctx) {
  const auto migrations = Migrations(options_.schema);
  Run(ctx, "initialize", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
    pqxx::work w(*lease);
    Migrate(w, options_.schema, migrations);
    w.commit();
  });
}

int Core::MigrationVersion(const Context& ctx) {
  return Run(ctx, "migration version", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction n(*lease);
    return AppliedMigrationVersion(n, options_.schema);
  });
}

AppendResult Core::Append(const Context& ctx, const std::string& stream_id,
                          std::vector<EventRecord> records, int64_t expected_version,
                          const TransactionHook* hook) {
  ValidateAppend(ctx, stream_id, records, expected_version);
  std::string types = "{", data = "{", meta = "{";
  std::size_t bytes = 0;
  for (const auto& r : records) bytes += r.data.size() + r.type.size() + 8;
  data.reserve(bytes + bytes / 8);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const EventRecord& r = records[i];
    if (r.data.find('\0') != std::string::npos) {
      throw SerializationError(r.type, "serialize", "event data contains a NUL byte");
    }
    if (i > 0) types += ',', data += ',', meta += ',';
    AppendArrayElement(types, r.type);
    AppendArrayElement(data, r.data);
    AppendArrayElement(
        meta, r.metadata.IsEmpty() ? std::string("{}") : nlohmann::json(r.metadata).dump());
  }
  types += '}', data += '}', meta += '}';
  const std::string category(ExtractCategory(stream_id));

  return Run(
      ctx, "append to \"" + stream_id + "\"", Retry::kNever, [&](ConnectionPool::Lease& lease) {
        auto exec = [&](pqxx::transaction_base& tx) {
          try {
            return tx.exec_prepared("mink_append", stream_id, category, expected_version, types,
                                    data, meta, options_.notify == NotifyMode::kInTransaction);
          } catch (const pqxx::data_exception& e) {
            lease.Discard();
            throw BadData(records, e);
          } catch (const pqxx::unique_violation&) {
            lease.Discard();
            throw ConcurrencyError(stream_id, expected_version, -1);
          }
        };
        if (hook == nullptr) {
          AppendResult result = [&] {
            pqxx::nontransaction tx(*lease);
            return Interpret(exec(tx), stream_id, expected_version);
          }();
          NotifyAfterCommit(lease);
          return result;
        }
        pqxx::work tx(*lease);
        pqxx::result r = exec(tx);
        AppendResult result = Interpret(r, stream_id, expected_version);
        std::vector<StoredEvent> stored;
        stored.reserve(records.size());
        for (std::size_t i = 0; i < records.size(); ++i) {
          stored.push_back(StoredEvent{
              r[i][3].as<std::string>(), stream_id, records[i].type, records[i].data,
              records[i].metadata, result.version - static_cast<int64_t>(records.size() - i) + 1,
              r[i][2].as<uint64_t>(), FromMicros(r[i][4].as<int64_t>())});
        }
        Transaction handle(tx);
        (*hook)(handle, stored);
        if (ConnectionLooksDead(*lease)) {
          // The server ended the session while the transaction was open, so it was rolled
          // back; saying so here is exact (COMMIT was never sent) and spares libpqxx 6.4's
          // error path.
          lease.MarkBroken();
          lease->disconnect();  // the pending ROLLBACK has nowhere to go
          throw Error(errc::kConnectionFailed,
                      "append to \"" + stream_id +
                          "\": connection to PostgreSQL lost before COMMIT; nothing was written");
        }
        tx.commit();
        NotifyAfterCommit(lease);
        return result;
      });
}

// NotifyMode::kAfterCommit: wakes subscribers with a separate statement once the append has
// committed. The append already succeeded, so a failure here is not the caller's error:
// subscribers then wake on their poll interval.
void Core::NotifyAfterCommit(ConnectionPool::Lease& lease) noexcept {
  if (options_.notify != NotifyMode::kAfterCommit) return;
  try {
    pqxx::nontransaction n(*lease);
    n.exec("SELECT pg_notify(" + QuoteLiteral(kNotifyChannel) + ", " +
           QuoteLiteral(options_.schema) + ")");
  } catch (...) {
    lease.Discard();
  }
}

DecodedRows Core::LoadRows(const Context& ctx, const std::string& stream_id, int64_t from_version,
                           std::size_t limit) {
  return Run(ctx, "load \"" + stream_id + "\"", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction n(*lease);
    return ToStoredUntilBad(n.exec_prepared(
        "mink_load", stream_id, std::max<int64_t>(from_version, 0), static_cast<int64_t>(limit)));
  });
}

std::vector<StoredEvent> Core::Load(const Context& ctx, const std::string& stream_id,
                                    int64_t from_version, std::size_t limit) {
  DecodedRows rows = LoadRows(ctx, stream_id, from_version, limit);
  if (rows.bad) throw *rows.bad;  // a partial stream would rebuild the wrong state
  return std::move(rows.events);
}

StreamInfo Core::GetStreamInfo(const Context& ctx, const std::string& stream_id) {
  return Run(ctx, "stream info", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction n(*lease);
    auto r = n.exec_prepared("mink_info", stream_id);
    if (r.empty()) throw StreamNotFoundError(stream_id);
    return StreamInfo{stream_id,
                      r[0][0].as<std::string>(),
                      r[0][1].as<int64_t>(),
                      r[0][1].as<int64_t>(),
                      FromMicros(r[0][2].as<int64_t>()),
                      FromMicros(r[0][3].as<int64_t>())};
  });
}

uint64_t Core::GetLastPosition(const Context& ctx) {
  return Run(ctx, "last position", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction n(*lease);
    return n.exec_prepared("mink_last")[0][0].as<uint64_t>();
  });
}

uint64_t Core::GetLastWrittenPosition(const Context& ctx) {
  return Run(ctx, "last written position", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction n(*lease);
    return n.exec_prepared("mink_last_written")[0][0].as<uint64_t>();
  });
}

DecodedRows Core::LoadFromPositionRows(const Context& ctx, uint64_t from, std::size_t limit) {
  if (limit == 0) limit = kDefaultLoadLimit;
  return Run(ctx, "load from position", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction n(*lease);
    return ToStoredUntilBad(
        n.exec_prepared("mink_from", static_cast<int64_t>(from), static_cast<int64_t>(limit)));
  });
}

std::vector<StoredEvent> Core::LoadFromPosition(const Context& ctx, uint64_t from,
                                                std::size_t limit) {
  DecodedRows rows = LoadFromPositionRows(ctx, from, limit);
  if (rows.bad && rows.events.empty()) throw *rows.bad;
  return std::move(rows.events);
}

}  // namespace mink::postgres::internal
