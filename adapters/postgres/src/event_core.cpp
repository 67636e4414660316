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
#include "redact.hpp"
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
  return SerializationError(
      records.front().type, "serialize",
      "PostgreSQL rejected the event data: " + ServerMessage(e.what(), e.sqlstate()));
}

// The first row of append_events_v2's reply: status 0 = appended (version, first position),
// 1/2 = the expected version did not match an existing / missing stream. A batch's positions
// are consecutive (allocated inside the position lock).
AppendResult Interpret(const pqxx::result& r, const std::string& stream_id, int64_t expected,
                       std::size_t count) {
  if (r.empty()) throw Error(errc::kStorageFailed, "append_events_v2 returned no row");
  const int status = r[0][0].as<int>();
  const int64_t version = r[0][1].as<int64_t>();
  if (status != 0) {
    CheckVersion(stream_id, expected, version, status == 1);
    throw Error(errc::kStorageFailed, "append_events_v2 refused an append CheckVersion allows");
  }
  const auto first = r[0][2].as<uint64_t>();
  return AppendResult{version, first, first + count - 1};
}

}  // namespace

Core::Core(Options options)
    : options_(std::move(options)),
      quoted_schema_((ValidateSchemaName(options_.schema), QuoteIdentifier(options_.schema))),
      pool_(ConnectionPool::Options{
          BuildConnInfo(options_.url, options_.connect_timeout, options_.application_name),
          options_.max_connections, options_.acquire_timeout,
          [this](pqxx::connection& c) { PrepareEventStatements(c, quoted_schema_); }}) {
  if (options_.notify == NotifyMode::kAfterCommit) {
    wake_ = std::make_unique<WakeSender>(pool_, options_.schema, options_.poll_interval);
  }
}

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
  bool sent_autocommit = false;  // the statement went out in autocommit mode
  bool unique_violation = false;
  try {
    return AppendOnce(ctx, stream_id, std::move(records), expected_version, hook, sent_autocommit,
                      unique_violation);
  } catch (const ConcurrencyError&) {
    if (!unique_violation) throw;
    throw ConcurrencyError(stream_id, expected_version, StoredVersion(ctx, stream_id));
  } catch (const Error& e) {
    // A lost reply to an autocommit append, or to the COMMIT of a hooked one: it may have
    // been written (issue 9 item 8). Before sending, or inside an uncommitted transaction, a
    // lost connection means nothing was written and stays kConnectionFailed.
    if (e.code() == errc::kOutcomeUnknown ||
        (sent_autocommit && e.code() == errc::kConnectionFailed)) {
      throw OutcomeUnknownError(stream_id, expected_version, e.what(), e.Cause());
    }
    throw;
  }
}

// The highest version stored for `stream_id` (0 for none), or -1 when it cannot be read: the
// actual version of a ConcurrencyError raised by a unique violation.
int64_t Core::StoredVersion(const Context& ctx, const std::string& stream_id) {
  try {
    return Run(ctx, "stream version", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
      pqxx::nontransaction n(*lease);
      return n
          .exec_params("SELECT COALESCE(MAX(version), 0) FROM " + quoted_schema_ +
                           ".events WHERE stream_id = $1",
                       stream_id)[0][0]
          .as<int64_t>();
    });
  } catch (const Error&) {
    return -1;
  }
}

AppendResult Core::AppendOnce(const Context& ctx, const std::string& stream_id,
                              std::vector<EventRecord> records, int64_t expected_version,
                              const TransactionHook* hook, bool& sent_autocommit,
                              bool& unique_violation) {
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

  return Run(
      ctx, "append to \"" + stream_id + "\"", Retry::kNever, [&](ConnectionPool::Lease& lease) {
        auto exec = [&](pqxx::transaction_base& tx) {
          try {
            return tx.exec_prepared("mink_append", stream_id, expected_version, types, data, meta,
                                    options_.notify == NotifyMode::kInTransaction,
                                    /*rows=*/hook != nullptr);
          } catch (const pqxx::data_exception& e) {
            lease.Discard();
            throw BadData(records, e);
          } catch (const pqxx::unique_violation&) {
            lease.Discard();
            unique_violation = true;
            throw ConcurrencyError(stream_id, expected_version, -1);  // actual: re-read above
          }
        };
        if (hook == nullptr) {
          AppendResult result = [&] {
            try {
              pqxx::nontransaction tx(*lease);
              sent_autocommit = true;
              return Interpret(exec(tx), stream_id, expected_version, records.size());
            } catch (const pqxx::broken_connection&) {
              // The reply may have been lost after the commit: a spurious wake-up is harmless,
              // a missing one would leave other processes' subscribers to their poll.
              NotifyAfterCommit();
              throw;
            }
          }();
          NotifyAfterCommit();
          return result;
        }
        pqxx::work tx(*lease);
        pqxx::result r = exec(tx);
        AppendResult result = Interpret(r, stream_id, expected_version, records.size());
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
        NotifyAfterCommit();
        return result;
      });
}

// NotifyMode::kAfterCommit: the append has committed; wake this process's subscribers now and
// ask the coalescing sender for a NOTIFY (wake_sender.hpp). Nothing here touches the append's
// connection or can fail the append.
void Core::NotifyAfterCommit() noexcept {
  if (!wake_) return;
  notifier_->Notify();
  wake_->Poke();
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
