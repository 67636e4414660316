// mink/gdpr/export_format.hpp — portable export files: one JSON document, or NDJSON.
//
//   std::ofstream out("customer-42.ndjson");
//   mink::ExportResult totals = mink::ExportToNdjson(exporter, ctx, request, out);
//   mink::ExportToFile(exporter, ctx, request, "customer-42.json", mink::ExportFormat::kJson);
//
// Format "mink-export/1" (UTF-8; invalid UTF-8 in stored strings is replaced by U+FFFD). An
// event is an object with these fields, always present:
//   stream_id, event_type (strings); version, global_position (integers);
//   timestamp (RFC 3339, UTC, microseconds: "2026-11-29T16:20:58.123456Z");
//   metadata {correlation_id, causation_id, tenant_id (strings, "" when unset),
//             schema_version (integer, 0 when unstamped)};
//   redacted (bool); data (the event's JSON, null when redacted);
//   raw_data (string: the stored, still encrypted event data when redacted; omitted otherwise).
// JSON: {"format", "subject_id", "exported_at", "events": [...], "streams": [...],
//        "total_events", "redacted_count", "partial", "complete", and "error" when it failed}.
// NDJSON: one {"record": "event", ...event fields} per line, then one line
//        {"record": "summary", the document's fields except events}.
// A failed export still ends its output with the summary/closing fields, complete = false,
// partial = true and the error, so no reader can take it for a complete export. ExportToFile
// writes "<path>.partial" and renames it to `path` only when the export completed.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "mink/gdpr/exporter.hpp"

namespace mink {

enum class ExportFormat { kJson, kNdjson };

inline constexpr std::string_view kExportFormatVersion = "mink-export/1";

// The format's object for one event.
MINK_API nlohmann::json ExportedEventToJson(const ExportedEvent& event);
// RFC 3339 UTC with microseconds.
MINK_API std::string FormatExportTimestamp(Timestamp t);

// Streams the export into `out` (one batch in memory). Returns the totals; on failure writes
// the failed ending and rethrows the ExportError.
MINK_API ExportResult ExportToJson(DataExporter& exporter, const Context& ctx,
                                   const ExportRequest& request, std::ostream& out);
MINK_API ExportResult ExportToNdjson(DataExporter& exporter, const Context& ctx,
                                     const ExportRequest& request, std::ostream& out);
// Writes `path` atomically (through "<path>.partial", renamed on success).
MINK_API ExportResult ExportToFile(DataExporter& exporter, const Context& ctx,
                                   const ExportRequest& request, const std::filesystem::path& path,
                                   ExportFormat format);

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/gdpr/export_format-inl.hpp"
#endif
