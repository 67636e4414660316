// Private: the event store's SQL text and the decoding of its rows — the two sides of one
// contract (the column list below is what every event query returns, in this order).
//
// PrepareEventStatements prepares, on a new pooled connection, the statements the adapter runs:
//   mink_append   (stream, expected, types[], data[], meta[], notify, rows)
//                 -> status, version, position, event_id, ts_us   (append_events_v2, migration 2):
//                 one row per event when `rows`, else one row with the first position
//   mink_load     (stream, after version, limit)            -> event rows of one stream
//   mink_info     (stream)                                  -> category, version, created, updated
//   mink_last     ()                                        -> highest position (not gap-safe)
//   mink_from     (after position, limit)                   -> gap-safe event rows
//   mink_category (after position, LIKE pattern, scan limit, limit)
//                 -> the scanned window's highest position, then matching event rows
// The gap-safe predicate is tx_id < pg_snapshot_xmin(pg_current_snapshot()); see
// docs/adapters/postgres.md, "Gap strategy".
//
// ToStored decodes one event row (a stored metadata value that is not a JSON object is a
// SerializationError naming the stream and position).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/row>

#include "mink/es/stored_event.hpp"

namespace mink::postgres::internal {

void PrepareEventStatements(pqxx::connection& conn, const std::string& quoted_schema);

StoredEvent ToStored(const pqxx::row& row);
std::vector<StoredEvent> ToStoredAll(const pqxx::result& result);

// `text` with LIKE's wildcards (% and _) and escape character escaped.
std::string EscapeLike(std::string_view text);

}  // namespace mink::postgres::internal
