#include "mink/postgres/adapter.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include "listener.hpp"
#include "mink/detail/pull_subscription.hpp"
#include "mink/es/stream_id.hpp"
#include "mink/postgres/schema.hpp"

namespace mink::postgres {

// ---- connection string ----

std::string BuildConnInfo(const std::string& url, std::chrono::seconds connect_timeout,
                          const std::string& application_name) {
  if (url.empty()) throw Error(errc::kInvalidArgument, "PostgreSQL connection URL is empty");
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    std::string reason = err != nullptr ? err : "out of memory";
    if (err != nullptr) PQfreemem(err);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    throw Error(errc::kInvalidArgument, "malformed PostgreSQL connection URL: " + reason);
  }
  auto quote = [](const char* v) {
    std::string out = "'";
    for (const char* p = v; *p != '\0'; ++p) {
      if (*p == '\'' || *p == '\\') out += '\\';
      out += *p;
    }
    return out + "'";
  };
  std::string conninfo;
  bool has_timeout = false, has_app = false;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string key = o->keyword;
    has_timeout |= key == "connect_timeout";
    has_app |= key == "application_name";
    conninfo += key + "=" + quote(o->val) + " ";
  }
  PQconninfoFree(opts);
  if (!has_timeout) {
    const auto secs = std::max<int64_t>(2, connect_timeout.count());
    conninfo += "connect_timeout=" + std::to_string(secs) + " ";
  }
  if (!has_app && !application_name.empty()) {
    conninfo += "application_name=" + quote(application_name.c_str());
  }
  return conninfo;
}

namespace internal {
namespace {

// Columns every event query returns, in this order.
constexpr const char* kEventColumns =
    "global_position, event_id::text, stream_id, version, event_type, data::text, "
    "metadata::text, (extract(epoch FROM \"timestamp\") * 1000000)::bigint";

Timestamp FromMicros(int64_t us) { return Timestamp{} + std::chrono::microseconds(us); }

StoredEvent ToStored(const pqxx::row& row) {
  StoredEvent e;
  e.global_position = row[0].as<uint64_t>();
  e.id = row[1].as<std::string>();
  e.stream_id = row[2].as<std::string>();
  e.version = row[3].as<int64_t>();
  e.type = row[4].as<std::string>();
  e.data = row[5].as<std::string>();
  e.timestamp = FromMicros(row[7].as<int64_t>());
  if (!row[6].is_null()) {
    const char* md = row[6].c_str();
    if (std::string_view(md) != "{}") {
      auto j = nlohmann::json::parse(md, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !(j.is_object() || j.is_null())) {
        throw SerializationError(e.type, "deserialize",
                                 "metadata of event at position " +
                                     std::to_string(e.global_position) + " of stream \"" +
                                     e.stream_id + "\" is not a JSON object: " + std::string(md));
      }
      e.metadata = j.get<Metadata>();
    }
  }
  return e;
}

std::vector<StoredEvent> ToStoredAll(const pqxx::result& r) {
  std::vector<StoredEvent> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(ToStored(row));
  return out;
}

// Appends `s` as a quoted element of a PostgreSQL array literal.
void AppendArrayElement(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string EscapeLike(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

bool IsConnectionState(const std::string& state) {
  return state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0;
}

}  // namespace

class Core : public std::enable_shared_from_this<Core> {
 public:
  explicit Core(Options options)
      : options_(std::move(options)),
        quoted_schema_((ValidateSchemaName(options_.schema), QuoteIdentifier(options_.schema))),
        pool_(ConnectionPool::Options{
            BuildConnInfo(options_.url, options_.connect_timeout, options_.application_name),
            options_.max_connections, options_.acquire_timeout,
            [this](pqxx::connection& c) { Prepare(c); }}) {}

  ~Core() { Close(); }

  const Options& options() const { return options_; }
  ConnectionPool& pool() { return pool_; }

  void Close() {
    std::unique_ptr<Listener> listener;
    {
      std::lock_guard lock(listener_mutex_);
      closed_ = true;
      listener = std::move(listener_);
    }
    listener.reset();
    pool_.Close();
    notifier_->Notify();
  }

  bool Listening() {
    std::lock_guard lock(listener_mutex_);
    return listener_ && listener_->Connected();
  }

  // Runs f(lease) on a pooled connection and maps libpqxx failures to mink errors. Reads pass
  // retry=true: a connection lost before or during a read is retried once on a fresh one.
  template <class F>
  auto Run(const Context& ctx, const std::string& op, bool retry, F&& f) {
    for (int attempt = 0;; ++attempt) {
      ThrowIfClosed();
      ctx.ThrowIfDone();
      auto lease = pool_.Acquire(ctx);
      try {
        return f(lease);
      } catch (const Error&) {
        throw;
      } catch (const pqxx::in_doubt_error& e) {
        lease.MarkBroken();
        throw Error(errc::kConnectionFailed,
                    op + ": connection lost during COMMIT, outcome unknown: " + e.what());
      } catch (const pqxx::broken_connection& e) {
        lease.MarkBroken();
        if (retry && attempt == 0) continue;
        throw Error(errc::kConnectionFailed,
                    op + ": connection to PostgreSQL lost: " + std::string(e.what()));
      } catch (const pqxx::sql_error& e) {
        // Also releases any session-level lock a failed statement might have left behind.
        lease.Discard();
        if (IsConnectionState(e.sqlstate()) || !lease->is_open()) {
          lease.MarkBroken();
          if (retry && attempt == 0) continue;
          throw Error(errc::kConnectionFailed,
                      op + ": connection to PostgreSQL lost: " + std::string(e.what()));
        }
        throw Error(errc::kStorageFailed,
                    op + " failed: " + std::string(e.what()) + " (SQLSTATE " + e.sqlstate() + ")");
      } catch (const pqxx::failure& e) {
        if (!lease->is_open()) {
          lease.MarkBroken();
          if (retry && attempt == 0) continue;
          throw Error(errc::kConnectionFailed,
                      op + ": connection to PostgreSQL lost: " + std::string(e.what()));
        }
        lease.Discard();
        throw Error(errc::kStorageFailed, op + " failed: " + std::string(e.what()));
      } catch (const pqxx::usage_error& e) {
        lease.Discard();
        throw Error(errc::kStorageFailed, op + " failed: " + std::string(e.what()));
      } catch (const pqxx::conversion_error& e) {
        throw Error(errc::kStorageFailed,
                    op + ": unexpected column value: " + std::string(e.what()));
      }
    }
  }

  void Initialize(const Context& ctx) {
    const auto migrations = Migrations(options_.schema);
    Run(ctx, "initialize", true, [&](ConnectionPool::Lease& lease) {
      pqxx::work w(*lease);
      w.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kPositionLockClass + 1) + ", " +
             std::to_string(PositionLockKey(options_.schema)) + ")");
      w.exec("CREATE SCHEMA IF NOT EXISTS " + quoted_schema_);
      w.exec("CREATE TABLE IF NOT EXISTS " + quoted_schema_ +
             ".schema_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, "
             "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
      const int current = w.exec("SELECT COALESCE(MAX(version), 0) FROM " + quoted_schema_ +
                                 ".schema_migrations")[0][0]
                              .as<int>();
      for (const Migration& m : migrations) {
        if (m.version <= current) continue;
        w.exec(m.sql);
        w.exec("INSERT INTO " + quoted_schema_ + ".schema_migrations (version, name) VALUES (" +
               std::to_string(m.version) + ", " + QuoteLiteral(m.name) + ")");
      }
      w.commit();
    });
  }

  int MigrationVersion(const Context& ctx) {
    return Run(ctx, "migration version", true, [&](ConnectionPool::Lease& lease) {
      pqxx::nontransaction n(*lease);
      const std::string table = quoted_schema_ + ".schema_migrations";
      if (n.exec("SELECT to_regclass(" + QuoteLiteral(table) + ")")[0][0].is_null()) return 0;
      return n.exec("SELECT COALESCE(MAX(version), 0) FROM " + table)[0][0].as<int>();
    });
  }

  AppendResult Append(const Context& ctx, const std::string& stream_id,
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

    return Run(ctx, "append to \"" + stream_id + "\"", false, [&](ConnectionPool::Lease& lease) {
      auto exec = [&](pqxx::transaction_base& tx) {
        try {
          return tx.exec_prepared("mink_append", stream_id, category, expected_version, types, data,
                                  meta, options_.notify == NotifyMode::kInTransaction);
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
        stored.push_back(StoredEvent{r[i][3].as<std::string>(), stream_id, records[i].type,
                                     records[i].data, records[i].metadata,
                                     result.version - static_cast<int64_t>(records.size() - i) + 1,
                                     r[i][2].as<uint64_t>(), FromMicros(r[i][4].as<int64_t>())});
      }
      Transaction handle(tx);
      (*hook)(handle, stored);
      if (ConnectionLooksDead(*lease)) {
        // The server ended the session while the transaction was open, so it was rolled back;
        // saying so here is exact (COMMIT was never sent) and spares libpqxx 6.4's error path.
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
  void NotifyAfterCommit(ConnectionPool::Lease& lease) noexcept {
    if (options_.notify != NotifyMode::kAfterCommit) return;
    try {
      pqxx::nontransaction n(*lease);
      n.exec("SELECT pg_notify(" + QuoteLiteral(kNotifyChannel) + ", " +
             QuoteLiteral(options_.schema) + ")");
    } catch (...) {
      lease.Discard();
    }
  }

  std::vector<StoredEvent> Load(const Context& ctx, const std::string& stream_id,
                                int64_t from_version, std::size_t limit) {
    return Run(ctx, "load \"" + stream_id + "\"", true, [&](ConnectionPool::Lease& lease) {
      pqxx::nontransaction n(*lease);
      return ToStoredAll(n.exec_prepared("mink_load", stream_id, std::max<int64_t>(from_version, 0),
                                         static_cast<int64_t>(limit)));
    });
  }

  StreamInfo GetStreamInfo(const Context& ctx, const std::string& stream_id) {
    return Run(ctx, "stream info", true, [&](ConnectionPool::Lease& lease) {
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

  uint64_t GetLastPosition(const Context& ctx) {
    return Run(ctx, "last position", true, [&](ConnectionPool::Lease& lease) {
      pqxx::nontransaction n(*lease);
      return n.exec_prepared("mink_last")[0][0].as<uint64_t>();
    });
  }

  std::vector<StoredEvent> LoadFromPosition(const Context& ctx, uint64_t from, std::size_t limit) {
    if (limit == 0) limit = kDefaultLoadLimit;
    return Run(ctx, "load from position", true, [&](ConnectionPool::Lease& lease) {
      pqxx::nontransaction n(*lease);
      return ToStoredAll(
          n.exec_prepared("mink_from", static_cast<int64_t>(from), static_cast<int64_t>(limit)));
    });
  }

  // Events of `category` after `cursor`; the cursor advances over the scanned safe window even
  // when nothing in it matches, so a quiet category does not rescan history.
  detail::PullSubscription::Batch LoadCategory(const Context& ctx, const std::string& category,
                                               uint64_t cursor, std::size_t limit) {
    return Run(ctx, "load category", true, [&](ConnectionPool::Lease& lease) {
      pqxx::nontransaction n(*lease);
      auto r = n.exec_prepared("mink_category", static_cast<int64_t>(cursor),
                               EscapeLike(category) + "-%", static_cast<int64_t>(limit * 8),
                               static_cast<int64_t>(limit + 1));
      detail::PullSubscription::Batch batch{{}, cursor};
      if (r.empty() || r[0][0].is_null()) return batch;  // nothing safe after the cursor
      const uint64_t scanned = r[0][0].as<uint64_t>();
      for (const auto& row : r) {
        if (row[1].is_null()) break;  // no match in the window
        if (batch.events.size() == limit) {
          batch.next_cursor = batch.events.back().global_position;
          return batch;
        }
        batch.events.push_back(ToStoredFromOffset(row));
      }
      batch.next_cursor = scanned;
      return batch;
    });
  }

  std::unique_ptr<Subscription> Subscribe(uint64_t cursor, detail::PullSubscription::Fetch fetch,
                                          const SubscriptionOptions& options) {
    EnsureListener();
    return std::make_unique<detail::PullSubscription>(notifier_, cursor, std::move(fetch), options);
  }

  void ThrowIfClosed() const {
    if (closed_) throw Error(errc::kAdapterClosed, "PostgreSQL adapter is closed");
  }

 private:
  static StoredEvent ToStoredFromOffset(const pqxx::row& row) {
    // Row layout of mink_category: scanned max, then kEventColumns.
    return ToStored(row.slice(1, row.size()));
  }

  static SerializationError BadData(const std::vector<EventRecord>& records,
                                    const pqxx::sql_error& e) {
    for (const auto& r : records) {
      if (!nlohmann::json::accept(r.data)) {
        return SerializationError(r.type, "serialize", "event data is not valid JSON");
      }
    }
    return SerializationError(records.front().type, "serialize",
                              std::string("PostgreSQL rejected the event data: ") + e.what());
  }

  static AppendResult Interpret(const pqxx::result& r, const std::string& stream_id,
                                int64_t expected) {
    if (r.empty()) throw Error(errc::kStorageFailed, "append_events returned no row");
    const int status = r[0][0].as<int>();
    const int64_t version = r[0][1].as<int64_t>();
    if (status != 0) {
      CheckVersion(stream_id, expected, version, status == 1);
      throw Error(errc::kStorageFailed, "append_events refused an append CheckVersion allows");
    }
    return AppendResult{version, r[0][2].as<uint64_t>(), r[r.size() - 1][2].as<uint64_t>()};
  }

  void EnsureListener() {
    std::lock_guard lock(listener_mutex_);
    if (closed_) throw Error(errc::kAdapterClosed, "PostgreSQL adapter is closed");
    if (!listener_) {
      listener_ =
          std::make_unique<Listener>(pool_, options_.schema, notifier_, options_.poll_interval);
    }
  }

  void Prepare(pqxx::connection& c) const {
    const std::string& s = quoted_schema_;
    const std::string cols = kEventColumns;
    c.prepare("mink_append",
              "SELECT out_status, out_version, out_position, out_event_id::text, out_ts_us FROM " +
                  s + ".append_events($1, $2, $3, $4::text[], $5::jsonb[], $6::jsonb[], $7)");
    c.prepare("mink_load", "SELECT " + cols + " FROM " + s +
                               ".events WHERE stream_id = $1 AND version > $2 ORDER BY version "
                               "LIMIT $3");
    c.prepare("mink_info",
              "SELECT category, version, (extract(epoch FROM created_at) * 1000000)::bigint, "
              "(extract(epoch FROM updated_at) * 1000000)::bigint FROM " +
                  s + ".streams WHERE stream_id = $1");
    c.prepare("mink_last", "SELECT COALESCE(MAX(global_position), 0) FROM " + s + ".events");
    // The gap-safe feed: only rows whose transaction is older than every running transaction.
    const std::string safe = "tx_id < pg_snapshot_xmin(pg_current_snapshot())";
    c.prepare("mink_from", "SELECT " + cols + " FROM " + s +
                               ".events WHERE global_position > $1 AND " + safe +
                               " ORDER BY global_position LIMIT $2");
    c.prepare("mink_category",
              "WITH safe AS (SELECT * FROM " + s + ".events WHERE global_position > $1 AND " +
                  safe +
                  " ORDER BY global_position LIMIT $3), "
                  "hit AS (SELECT * FROM safe WHERE stream_id LIKE $2 ORDER BY global_position "
                  "LIMIT $4) "
                  "SELECT (SELECT MAX(global_position) FROM safe), " +
                  cols + " FROM (SELECT 1) one LEFT JOIN hit ON true ORDER BY global_position");
  }

  Options options_;
  std::string quoted_schema_;
  ConnectionPool pool_;
  std::shared_ptr<detail::ChangeNotifier> notifier_ = std::make_shared<detail::ChangeNotifier>();
  std::mutex listener_mutex_;
  std::unique_ptr<Listener> listener_;
  std::atomic<bool> closed_{false};
};

}  // namespace internal

// ---- Adapter ----

Adapter::Adapter(Options options) : core_(std::make_shared<internal::Core>(std::move(options))) {}

Adapter::~Adapter() { core_->Close(); }

void Adapter::Initialize(const Context& ctx) { core_->Initialize(ctx); }
void Adapter::Close() { core_->Close(); }

AppendResult Adapter::Append(const Context& ctx, const std::string& stream_id,
                             std::vector<EventRecord> records, int64_t expected_version) {
  return core_->Append(ctx, stream_id, std::move(records), expected_version, nullptr);
}

AppendResult Adapter::AppendWithHook(const Context& ctx, const std::string& stream_id,
                                     std::vector<EventRecord> records, int64_t expected_version,
                                     const TransactionHook& hook) {
  return core_->Append(ctx, stream_id, std::move(records), expected_version, &hook);
}

std::vector<StoredEvent> Adapter::Load(const Context& ctx, const std::string& stream_id,
                                       int64_t from_version) {
  return core_->Load(ctx, stream_id, from_version, std::numeric_limits<int32_t>::max());
}

StreamInfo Adapter::GetStreamInfo(const Context& ctx, const std::string& stream_id) {
  return core_->GetStreamInfo(ctx, stream_id);
}

uint64_t Adapter::GetLastPosition(const Context& ctx) { return core_->GetLastPosition(ctx); }

std::vector<StoredEvent> Adapter::LoadFromPosition(const Context& ctx, uint64_t from_position,
                                                   std::size_t limit) {
  return core_->LoadFromPosition(ctx, from_position, limit);
}

std::unique_ptr<Subscription> Adapter::SubscribeAll(const Context& ctx, uint64_t from_position,
                                                    const SubscriptionOptions& options) {
  ctx.ThrowIfDone();
  auto fetch = [core = core_](const Context& c, uint64_t cursor, std::size_t limit) {
    detail::PullSubscription::Batch batch{core->LoadFromPosition(c, cursor, limit), cursor};
    if (!batch.events.empty()) batch.next_cursor = batch.events.back().global_position;
    return batch;
  };
  return core_->Subscribe(from_position, std::move(fetch), options);
}

std::unique_ptr<Subscription> Adapter::SubscribeStream(const Context& ctx,
                                                       const std::string& stream_id,
                                                       int64_t from_version,
                                                       const SubscriptionOptions& options) {
  ctx.ThrowIfDone();
  auto fetch = [core = core_, stream_id](const Context& c, uint64_t cursor, std::size_t limit) {
    detail::PullSubscription::Batch batch{
        core->Load(c, stream_id, static_cast<int64_t>(cursor), limit), cursor};
    if (!batch.events.empty())
      batch.next_cursor = static_cast<uint64_t>(batch.events.back().version);
    return batch;
  };
  return core_->Subscribe(static_cast<uint64_t>(std::max<int64_t>(from_version, 0)),
                          std::move(fetch), options);
}

std::unique_ptr<Subscription> Adapter::SubscribeCategory(const Context& ctx,
                                                         const std::string& category,
                                                         uint64_t from_position,
                                                         const SubscriptionOptions& options) {
  ctx.ThrowIfDone();
  auto fetch = [core = core_, category](const Context& c, uint64_t cursor, std::size_t limit) {
    return core->LoadCategory(c, category, cursor, limit);
  };
  return core_->Subscribe(from_position, std::move(fetch), options);
}

int Adapter::MigrationVersion(const Context& ctx) { return core_->MigrationVersion(ctx); }
const std::string& Adapter::Schema() const noexcept { return core_->options().schema; }
ConnectionPool::Stats Adapter::PoolStats() const { return core_->pool().GetStats(); }
bool Adapter::Listening() const { return core_->Listening(); }

}  // namespace mink::postgres
