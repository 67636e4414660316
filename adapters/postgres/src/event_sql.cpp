// The event store's prepared statements and row decoding (event_sql.hpp).
#include "event_sql.hpp"

#include <nlohmann/json.hpp>

#include "mink/es/errors.hpp"
#include "mink/es/metadata.hpp"
#include "timestamps.hpp"

namespace mink::postgres::internal {
namespace {

// Columns every event query returns, in this order (ToStored reads them by index).
constexpr const char* kEventColumns =
    "global_position, event_id::text, stream_id, version, event_type, data::text, "
    "metadata::text, (extract(epoch FROM \"timestamp\") * 1000000)::bigint";

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
  c.prepare("mink_last", "SELECT COALESCE(MAX(global_position), 0) FROM " + s + ".events");
  // The gap-safe feed: only rows whose transaction is older than every running transaction.
  const std::string safe = "tx_id < pg_snapshot_xmin(pg_current_snapshot())";
  c.prepare("mink_from", "SELECT " + cols + " FROM " + s +
                             ".events WHERE global_position > $1 AND " + safe +
                             " ORDER BY global_position LIMIT $2");
  c.prepare("mink_category",
            "WITH safe AS (SELECT * FROM " + s + ".events WHERE global_position > $1 AND " + safe +
                " ORDER BY global_position LIMIT $3), "
                "hit AS (SELECT * FROM safe WHERE stream_id LIKE $2 ORDER BY global_position "
                "LIMIT $4) "
                "SELECT (SELECT MAX(global_position) FROM safe), " +
                cols + " FROM (SELECT 1) one LEFT JOIN hit ON true ORDER BY global_position");
}

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

std::string EscapeLike(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace mink::postgres::internal
