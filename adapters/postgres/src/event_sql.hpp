// Private: the event store's SQL text and the decoding of its rows — the two sides of one
// contract (the column list below is what every event query returns, in this order).
//
// PrepareEventStatements prepares, on a new pooled connection, the statements the adapter runs:
//   mink_append   (stream, expected, types[], data[], meta[], notify, rows)
//                 -> status, version, position, event_id, ts_us   (append_events_v2, migration 2):
//                 one row per event when `rows`, else one row with the first position
//   mink_load     (stream, after version, limit)            -> event rows of one stream
//   mink_info     (stream)                                  -> category, version, created, updated
//   mink_last     ()                                        -> the safe watermark (gap-safe)
//   mink_last_written ()                                    -> highest position (not gap-safe)
//   mink_from     (after position, window)                  -> gap-safe event rows
//   mink_category (after position, LIKE pattern, range of positions, limit)
//                 -> the scanned range's highest safe position, then matching event rows
// A row is gap-safe when tx_id < pg_snapshot_xmin(pg_current_snapshot()); the feed reads a
// window of positions and keeps its rows before the first unsafe one (docs/adapters/postgres.md,
// "Gap strategy").
//
// ToStoredUntilBad decodes event rows up to the first that cannot become a StoredEvent
// (metadata that is not a JSON object, a timestamp that is infinite or out of Timestamp's
// range): the rows before it, and that row as a BadStoredEventError. ToStoredAll throws it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/row>

#include "mink/es/errors.hpp"
#include "mink/es/event_scan.hpp"
#include "mink/es/stored_event.hpp"

namespace mink::postgres::internal {

void PrepareEventStatements(pqxx::connection& conn, const std::string& quoted_schema);

struct DecodedRows {
  std::vector<StoredEvent> events;
  std::optional<BadStoredEventError> bad;  // the row after `events` the decoding stopped at
};
// `first_column`: where the event columns start (rows whose first event column is NULL are
// skipped).
DecodedRows ToStoredUntilBad(const pqxx::result& result, int first_column = 0);
std::vector<StoredEvent> ToStoredAll(const pqxx::result& result);

// The SELECT of a filtered scan (EventScanAdapter): event rows with $1 < position <= $2
// matching `filter`, in position order, at most $3; the filter's values are appended to
// `params` after the first three (every parameter is text, cast in SQL).
std::string BuildScanQuery(const std::string& quoted_schema, const EventScanFilter& filter,
                           std::vector<std::string>& params);

// `text` with LIKE's wildcards (% and _) and escape character escaped.
std::string EscapeLike(std::string_view text);

}  // namespace mink::postgres::internal
