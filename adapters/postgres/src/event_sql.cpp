// The event store's prepared statements and row decoding (event_sql.hpp).
#include "event_sql.hpp"

#include <chrono>
#include <utility>

#include <nlohmann/json.hpp>

#include "mink/es/errors.hpp"
#include "mink/es/metadata.hpp"
#include "timestamps.hpp"

namespace mink::postgres::internal {
namespace {

// Columns every event query returns, in this order (ToStored reads them by index). The
// timestamp is NULL when it is not a finite instant whose microseconds fit a BIGINT (the cast
// would otherwise fail the whole statement); ToStored then reports that one row.
constexpr const char* kEventColumns =
    "global_position, event_id::text, stream_id, version, event_type, data::text, "
    "metadata::text, CASE WHEN isfinite(\"timestamp\") AND \"timestamp\" < '100000-01-01' THEN "
    "(extract(epoch FROM \"timestamp\") * 1000000)::bigint END";

// The rows of a window that the feed may hand out: those before the window's first row whose
// transaction is not older than every running one. Positions follow xid order (migration 1),
// so the safe rows are a prefix; cutting at the first unsafe row (instead of filtering every
// row) keeps a caught-up poll to one window even while a long transaction holds xmin back
// over a long committed tail.
std::string SafePrefix(const std::string& window) {
  return "global_position < COALESCE((SELECT MIN(global_position) FROM " + window +
         " WHERE tx_id >= pg_snapshot_xmin(pg_current_snapshot())), 9223372036854775807)";
}

// Decodes the columns that can hold what a StoredEvent cannot (throws on a bad row).
void DecodeRest(const pqxx::row& row, StoredEvent& e) {
  e.id = row[1].as<std::string>();
  e.data = row[5].as<std::string>();
  if (row[7].is_null()) throw Error(errc::kInvalidArgument, "timestamp is not a finite instant");
  const int64_t us = row[7].as<int64_t>();
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  constexpr int64_t kMax = duration_cast<microseconds>(Timestamp::duration::max()).count();
  constexpr int64_t kMin = duration_cast<microseconds>(Timestamp::duration::min()).count();
  if (us >= kMax || us <= kMin) {
    throw Error(errc::kInvalidArgument, "timestamp is outside the range a Timestamp can hold");
  }
  e.timestamp = FromMicros(us);
  if (!row[6].is_null()) {
    const char* md = row[6].c_str();
    if (std::string_view(md) != "{}") {
      auto j = nlohmann::json::parse(md, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !(j.is_object() || j.is_null())) {
        throw SerializationError(e.type, "deserialize", "metadata is not a JSON object");
      }
      try {
        e.metadata = j.get<Metadata>();
      } catch (const nlohmann::json::exception&) {
        throw SerializationError(e.type, "deserialize", "metadata has a field of the wrong type");
      }
    }
  }
}

}  // namespace

void PrepareEventStatements(pqxx::connection& c, const std::string& s) {
  const std::string cols = kEventColumns;
  c.prepare("mink_append",
            "SELECT out_status, out_version, out_position, out_event_id::text, out_ts_us FROM " +
                s + ".append_events_v2($1, $2, $3::text[], $4::jsonb[], $5::jsonb[], $6, $7)");
  c.prepare("mink_load", "SELECT " + cols + " FROM " + s +
                             ".events WHERE stream_id = $1 AND version > $2 ORDER BY version "
                             "LIMIT $3");
  c.prepare("mink_info",
            "SELECT category, version, (extract(epoch FROM created_at) * 1000000)::bigint, "
            "(extract(epoch FROM updated_at) * 1000000)::bigint FROM " +
                s + ".streams WHERE stream_id = $1");
  // The safe watermark: the highest position whose row is safe. Every lower position is
  // committed and safe, or rolled back (safe rows are a prefix, see SafePrefix).
  c.prepare("mink_last", "SELECT COALESCE(MAX(global_position), 0) FROM " + s +
                             ".events WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())");
  c.prepare("mink_last_written", "SELECT COALESCE(MAX(global_position), 0) FROM " + s + ".events");
  c.prepare("mink_from", "WITH w AS (SELECT * FROM " + s +
                             ".events WHERE global_position > $1 ORDER BY global_position "
                             "LIMIT $2) SELECT " +
                             cols + " FROM w WHERE " + SafePrefix("w") +
                             " ORDER BY global_position");
  // A category reads a range of positions, not a window of rows: (cursor, hi] where hi is
  // just below the range's first unsafe row, or the range's end (the range starts at the first
  // position after the cursor, so a long run of rolled-back positions cannot stall it). Every
  // visible row at or below hi is safe (safe rows are a prefix), so the match scan needs no per-row
  // safety test and stops at the first unsafe row however long the unsafe tail; both scans are
  // primary-key ranges. The first column is the highest visible position at or below hi (where the
  // cursor may go when the matches do not fill the batch), never hi itself: a position not yet
  // visible below hi must not be passed.
  c.prepare("mink_category",
            "WITH f AS (SELECT MIN(global_position) + $3 AS cap FROM " + s +
                ".events WHERE global_position > $1), "
                "b AS (SELECT COALESCE((SELECT MIN(global_position) FROM " +
                s +
                ".events, f WHERE global_position > $1 AND global_position < f.cap AND tx_id >= "
                "pg_snapshot_xmin(pg_current_snapshot())) - 1, (SELECT cap - 1 FROM f)) AS hi), "
                "hit AS (SELECT e.* FROM " +
                s +
                ".events e, b WHERE e.global_position > $1 AND e.global_position <= b.hi AND "
                "e.stream_id LIKE $2 ORDER BY e.global_position LIMIT $4) "
                "SELECT (SELECT MAX(global_position) FROM " +
                s + ".events, b WHERE global_position > $1 AND global_position <= b.hi), " + cols +
                " FROM (SELECT 1) one LEFT JOIN hit ON true ORDER BY global_position");
}

DecodedRows ToStoredUntilBad(const pqxx::result& r, int first_column) {
  DecodedRows out;
  out.events.reserve(r.size());
  for (const auto& full : r) {
    const pqxx::row row = full.slice(first_column, full.size());
    if (row[0].is_null()) continue;  // mink_category's "no match in the window" row
    StoredEvent e;
    e.global_position = row[0].as<uint64_t>();
    e.stream_id = row[2].as<std::string>();
    e.version = row[3].as<int64_t>();
    e.type = row[4].as<std::string>();
    try {
      DecodeRest(row, e);
    } catch (const std::exception& x) {
      out.bad.emplace(e.global_position, e.stream_id, e.version, e.type, x.what(),
                      std::current_exception());
      break;
    }
    out.events.push_back(std::move(e));
  }
  return out;
}

std::vector<StoredEvent> ToStoredAll(const pqxx::result& r) {
  DecodedRows rows = ToStoredUntilBad(r);
  if (rows.bad) throw *rows.bad;
  return std::move(rows.events);
}

std::string BuildScanQuery(const std::string& quoted_schema, const EventScanFilter& filter,
                           std::vector<std::string>& params) {
  auto param = [&](std::string value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  };
  auto micros = [](Timestamp t) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
  };
  std::string sql = std::string("SELECT ") + kEventColumns + " FROM " + quoted_schema +
                    ".events WHERE global_position > $1::bigint AND global_position <= $2::bigint";
  // The same JSON paths Metadata's to_json writes (tenantId, userId, custom.<key>).
  if (filter.tenant_id) sql += " AND metadata->>'tenantId' = " + param(*filter.tenant_id);
  if (filter.user_id) sql += " AND metadata->>'userId' = " + param(*filter.user_id);
  if (filter.stream_prefix) {
    sql += " AND stream_id LIKE " + param(EscapeLike(*filter.stream_prefix) + "%");
  }
  if (!filter.event_types.empty()) {
    sql += " AND event_type IN (";
    for (std::size_t i = 0; i < filter.event_types.size(); ++i) {
      sql += (i ? ", " : "") + param(filter.event_types[i]);
    }
    sql += ")";
  }
  for (const auto& [key, value] : filter.custom) {
    const std::string k = param(key);
    sql += " AND metadata->'custom'->>" + k + " = " + param(value);
  }
  if (filter.from_time) {
    sql += " AND \"timestamp\" >= 'epoch'::timestamptz + " + param(micros(*filter.from_time)) +
           "::bigint * interval '1 microsecond'";
  }
  if (filter.to_time) {
    sql += " AND \"timestamp\" <= 'epoch'::timestamptz + " + param(micros(*filter.to_time)) +
           "::bigint * interval '1 microsecond'";
  }
  sql += " ORDER BY global_position LIMIT $3::bigint";
  return sql;
}

std::string EscapeLike(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace mink::postgres::internal
