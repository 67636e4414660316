// The adapter's DDL (mink/postgres/migrations.hpp). Migration 1 creates the event store;
// later releases append steps. Never edit the text of a released step: databases that applied
// it would refuse to start (MigrationChecksumError).
#include "mink/postgres/migrations.hpp"

#include <string>
#include <utility>
#include <vector>

#include "coordination.hpp"
#include "mink/detail/sha256.hpp"
#include "mink/postgres/identifier.hpp"

namespace mink::postgres {
namespace {

using internal::kNotifyChannel;
using internal::kPositionLockClass;
using internal::PositionLockKey;

// Replaces every "{s}" with the quoted schema, "{schema_lit}" with it as a literal, and
// "{k1}"/"{k2}" with the position-lock keys and "{channel}" with the NOTIFY channel literal.
std::string Expand(std::string sql, const std::string& schema) {
  const std::pair<std::string, std::string> subs[] = {
      {"{s}", QuoteIdentifier(schema)},
      {"{schema_lit}", QuoteLiteral(schema)},
      {"{k1}", std::to_string(kPositionLockClass)},
      {"{k2}", std::to_string(PositionLockKey(schema))},
      {"{channel}", QuoteLiteral(kNotifyChannel)},
  };
  for (const auto& [from, to] : subs) {
    for (std::size_t at = sql.find(from); at != std::string::npos; at = sql.find(from, at)) {
      sql.replace(at, from.size(), to);
      at += to.size();
    }
  }
  return sql;
}

// Migration 1. Notes on the design (docs/adapters/postgres.md has the long form):
//  * events.tx_id (xid8) is the id of the inserting transaction. A row is "safe" for the global
//    feed once tx_id < pg_snapshot_xmin(pg_current_snapshot()), i.e. every transaction that could
//    still commit a lower position has finished.
//  * append_events allocates a transaction's xid and its positions inside one short critical
//    section (a session advisory lock per schema), so xid order equals position order among
//    appends; that makes the safe set a prefix of the position order and the feed gap-free.
//  * Per-stream serialisation uses a transaction advisory lock, which (unlike SELECT ... FOR
//    UPDATE) does not assign an xid before the critical section.
constexpr const char* kMigration1 = R"SQL(
CREATE TABLE IF NOT EXISTS {s}.streams (
  stream_id   TEXT PRIMARY KEY,
  category    TEXT NOT NULL,
  version     BIGINT NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS idx_streams_category ON {s}.streams (category);
CREATE SEQUENCE IF NOT EXISTS {s}.events_position_seq CACHE 1;
CREATE TABLE IF NOT EXISTS {s}.events (
  global_position BIGINT PRIMARY KEY DEFAULT nextval('{s}.events_position_seq'),
  stream_id   TEXT NOT NULL,
  version     BIGINT NOT NULL,
  event_id    UUID NOT NULL DEFAULT gen_random_uuid(),
  event_type  TEXT NOT NULL,
  data        JSONB NOT NULL,
  metadata    JSONB NOT NULL DEFAULT '{}'::jsonb,
  "timestamp" TIMESTAMPTZ NOT NULL DEFAULT now(),
  tx_id       XID8 NOT NULL DEFAULT pg_current_xact_id(),
  UNIQUE (stream_id, version));
ALTER SEQUENCE {s}.events_position_seq OWNED BY {s}.events.global_position;
CREATE OR REPLACE FUNCTION {s}.append_events(
    p_stream TEXT, p_category TEXT, p_expected BIGINT,
    p_types TEXT[], p_data JSONB[], p_meta JSONB[], p_notify BOOLEAN)
  RETURNS TABLE (out_status INT, out_version BIGINT, out_position BIGINT, out_event_id UUID,
                 out_ts_us BIGINT)
  LANGUAGE plpgsql AS $mink$
DECLARE
  v_current   BIGINT;
  v_exists    BOOLEAN;
  v_n         INT := cardinality(p_types);
  v_positions BIGINT[];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended({schema_lit} || '.' || p_stream, 0));
  SELECT s.version INTO v_current FROM {s}.streams s WHERE s.stream_id = p_stream;
  v_exists := FOUND;
  IF NOT v_exists THEN v_current := 0; END IF;
  IF (p_expected = 0 AND v_exists) OR (p_expected = -2 AND NOT v_exists)
     OR (p_expected > 0 AND v_current <> p_expected) THEN
    RETURN QUERY SELECT CASE WHEN v_exists THEN 1 ELSE 2 END, v_current,
                        NULL::BIGINT, NULL::UUID, NULL::BIGINT;
    RETURN;
  END IF;
  -- Critical section: this transaction's xid and its positions, in one order for all appends.
  PERFORM pg_advisory_lock({k1}, {k2});
  PERFORM pg_current_xact_id();
  SELECT array_agg(nextval('{s}.events_position_seq') ORDER BY g) INTO v_positions
    FROM generate_series(1, v_n) AS g;
  PERFORM pg_advisory_unlock({k1}, {k2});
  RETURN QUERY
    WITH ins AS (
      INSERT INTO {s}.events AS ev (global_position, stream_id, version, event_type, data, metadata)
      SELECT v_positions[e.ord], p_stream, v_current + e.ord, e.t, e.d, e.m
        FROM unnest(p_types, p_data, p_meta) WITH ORDINALITY AS e(t, d, m, ord)
      RETURNING ev.global_position, ev.event_id, ev."timestamp")
    SELECT 0, v_current + v_n, ins.global_position, ins.event_id,
           (extract(epoch FROM ins."timestamp") * 1000000)::BIGINT
      FROM ins ORDER BY ins.global_position;
  INSERT INTO {s}.streams AS st (stream_id, category, version)
    VALUES (p_stream, p_category, v_current + v_n)
    ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, updated_at = now();
  IF p_notify THEN PERFORM pg_notify({channel}, {schema_lit}); END IF;
END
$mink$;
)SQL";

// Migration 2 (issue 10): the same gap-safe design with less work per append.
//  * append_events_v2 reads the stream's version from the UNIQUE (stream_id, version) index
//    (max(version), one index probe) instead of a streams row it then had to upsert; streams
//    becomes a view over events, so GetStreamInfo and older binaries read the same columns.
//  * Positions come from one nextval (plus one setval for a batch) inside the critical section,
//    not from an array_agg over generate_series that PL/pgSQL re-planned on every call: under
//    the position lock nobody else draws from the sequence, so a batch's positions are
//    v_first .. v_first + n - 1.
//  * A single event is inserted with VALUES; rows (event ID, timestamp) are returned only when
//    p_rows asks for them (a transaction hook sees them); otherwise one row: status, version,
//    first position.
//  * append_events (migration 1's signature) now delegates, so a process still running the
//    previous release keeps appending correctly during an upgrade.
constexpr const char* kMigration2 = R"SQL(
CREATE OR REPLACE FUNCTION {s}.append_events_v2(
    p_stream TEXT, p_expected BIGINT, p_types TEXT[], p_data JSONB[], p_meta JSONB[],
    p_notify BOOLEAN, p_rows BOOLEAN)
  RETURNS TABLE (out_status INT, out_version BIGINT, out_position BIGINT, out_event_id UUID,
                 out_ts_us BIGINT)
  LANGUAGE plpgsql AS $mink$
DECLARE
  v_current BIGINT;
  v_n       INT := cardinality(p_types);
  v_first   BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended({schema_lit} || '.' || p_stream, 0));
  SELECT max(e.version) INTO v_current FROM {s}.events e WHERE e.stream_id = p_stream;
  IF (p_expected = 0 AND v_current IS NOT NULL) OR (p_expected = -2 AND v_current IS NULL)
     OR (p_expected > 0 AND COALESCE(v_current, 0) <> p_expected) THEN
    RETURN QUERY SELECT CASE WHEN v_current IS NULL THEN 2 ELSE 1 END, COALESCE(v_current, 0),
                        NULL::BIGINT, NULL::UUID, NULL::BIGINT;
    RETURN;
  END IF;
  v_current := COALESCE(v_current, 0);
  -- Critical section: this transaction's xid and its positions, in one order for all appends.
  PERFORM pg_advisory_lock({k1}, {k2});
  PERFORM pg_current_xact_id();
  v_first := nextval('{s}.events_position_seq');
  IF v_n > 1 THEN PERFORM setval('{s}.events_position_seq', v_first + v_n - 1); END IF;
  PERFORM pg_advisory_unlock({k1}, {k2});
  IF p_rows THEN
    RETURN QUERY
      WITH ins AS (
        INSERT INTO {s}.events AS ev (global_position, stream_id, version, event_type, data,
                                      metadata)
        SELECT v_first + e.ord - 1, p_stream, v_current + e.ord, e.t, e.d, e.m
          FROM unnest(p_types, p_data, p_meta) WITH ORDINALITY AS e(t, d, m, ord)
        RETURNING ev.global_position, ev.event_id, ev."timestamp")
      SELECT 0, v_current + v_n, ins.global_position, ins.event_id,
             (extract(epoch FROM ins."timestamp") * 1000000)::BIGINT
        FROM ins ORDER BY ins.global_position;
  ELSE
    IF v_n = 1 THEN
      INSERT INTO {s}.events (global_position, stream_id, version, event_type, data, metadata)
        VALUES (v_first, p_stream, v_current + 1, p_types[1], p_data[1], p_meta[1]);
    ELSE
      INSERT INTO {s}.events (global_position, stream_id, version, event_type, data, metadata)
        SELECT v_first + e.ord - 1, p_stream, v_current + e.ord, e.t, e.d, e.m
          FROM unnest(p_types, p_data, p_meta) WITH ORDINALITY AS e(t, d, m, ord);
    END IF;
    out_status := 0; out_version := v_current + v_n; out_position := v_first;
    RETURN NEXT;
  END IF;
  IF p_notify THEN PERFORM pg_notify({channel}, {schema_lit}); END IF;
END
$mink$;
CREATE OR REPLACE FUNCTION {s}.append_events(
    p_stream TEXT, p_category TEXT, p_expected BIGINT,
    p_types TEXT[], p_data JSONB[], p_meta JSONB[], p_notify BOOLEAN)
  RETURNS TABLE (out_status INT, out_version BIGINT, out_position BIGINT, out_event_id UUID,
                 out_ts_us BIGINT)
  LANGUAGE sql AS $mink$
  SELECT * FROM {s}.append_events_v2(p_stream, p_expected, p_types, p_data, p_meta, p_notify,
                                     true);
$mink$;
DROP TABLE {s}.streams;
CREATE VIEW {s}.streams AS
  SELECT stream_id, split_part(stream_id, '-', 1) AS category, max(version) AS version,
         min("timestamp") AS created_at, max("timestamp") AS updated_at
    FROM {s}.events GROUP BY stream_id;
)SQL";

}  // namespace

std::vector<Migration> Migrations(const std::string& schema) {
  ValidateSchemaName(schema);
  return {Migration{1, "create event store", Expand(kMigration1, schema)},
          Migration{2, "append without the streams table", Expand(kMigration2, schema)}};
}

std::string MigrationChecksum(std::string_view sql) {
  const auto digest = detail::Sha256(sql);
  return detail::Hex(digest.data(), digest.size());
}

}  // namespace mink::postgres
