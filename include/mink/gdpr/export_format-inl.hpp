// The definitions of mink/gdpr/export_format.hpp (compiled into libmink by
// src/gdpr_export_format.cpp, or inline in the header-only shape).
#pragma once

#include <cstdio>
#include <ctime>
#include <fstream>
#include <ostream>
#include <unordered_set>

#include "mink/gdpr/export_format.hpp"

namespace mink {
namespace detail {

inline std::string DumpUtf8(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// What a writer has seen, so a failed export can still end its output with honest totals.
struct ExportTally {
  std::size_t total = 0;
  std::size_t redacted = 0;
  std::vector<std::string> streams;
  std::unordered_set<std::string> seen;
  void Count(const ExportedEvent& e) {
    ++total;
    if (e.redacted) ++redacted;
    if (seen.insert(e.stream_id).second) streams.push_back(e.stream_id);
  }
};

inline nlohmann::json ExportSummary(const std::string& subject, Timestamp exported_at,
                                    const ExportTally& tally, bool partial,
                                    const std::exception_ptr& error) {
  nlohmann::json j = nlohmann::json::object();
  j["format"] = kExportFormatVersion;
  j["subject_id"] = subject;
  j["exported_at"] = FormatExportTimestamp(exported_at);
  j["streams"] = tally.streams;
  j["total_events"] = tally.total;
  j["redacted_count"] = tally.redacted;
  j["partial"] = partial || error != nullptr;
  j["complete"] = error == nullptr;
  if (error) j["error"] = ErrorMessage(error);
  return j;
}

// Runs the export, calling `begin` once, `event` per event and `end(summary)` at the end
// whether it completed or failed; rethrows a failure after `end`.
template <class Begin, class OnEvent, class End>
ExportResult WriteExport(DataExporter& exporter, const Context& ctx, const ExportRequest& request,
                         Begin begin, OnEvent on_event, End end) {
  const Timestamp started = std::chrono::system_clock::now();
  ExportTally tally;
  begin(started);
  try {
    ExportResult result =
        exporter.ExportStream(ctx, request, [&](const Context&, const ExportedEvent& e) {
          on_event(e);
          tally.Count(e);
        });
    end(ExportSummary(request.subject_id, started, tally, result.partial, nullptr));
    return result;
  } catch (...) {
    end(ExportSummary(request.subject_id, started, tally, true, std::current_exception()));
    throw;
  }
}

}  // namespace detail

MINK_INLINE std::string FormatExportTimestamp(Timestamp t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  auto secs = us / 1000000;
  auto frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(frac));
  return buf;
}

MINK_INLINE nlohmann::json ExportedEventToJson(const ExportedEvent& e) {
  nlohmann::json j = nlohmann::json::object();
  j["stream_id"] = e.stream_id;
  j["event_type"] = e.event_type;
  j["version"] = e.version;
  j["global_position"] = e.global_position;
  j["timestamp"] = FormatExportTimestamp(e.timestamp);
  j["metadata"] = {{"correlation_id", e.metadata.correlation_id},
                   {"causation_id", e.metadata.causation_id},
                   {"tenant_id", e.metadata.tenant_id},
                   {"schema_version", e.metadata.schema_version}};
  j["redacted"] = e.redacted;
  j["data"] = e.redacted ? nlohmann::json(nullptr) : e.data;
  if (e.redacted) j["raw_data"] = e.raw_data;
  return j;
}

MINK_INLINE ExportResult ExportToJson(DataExporter& exporter, const Context& ctx,
                                      const ExportRequest& request, std::ostream& out) {
  bool first = true;
  return detail::WriteExport(
      exporter, ctx, request,
      [&](Timestamp started) {
        nlohmann::json head = {{"format", kExportFormatVersion},
                               {"subject_id", request.subject_id},
                               {"exported_at", FormatExportTimestamp(started)}};
        std::string text = detail::DumpUtf8(head);
        text.pop_back();  // reopen the object: the events follow
        out << text << ",\"events\":[";
      },
      [&](const ExportedEvent& e) {
        out << (first ? "\n" : ",\n") << detail::DumpUtf8(ExportedEventToJson(e));
        first = false;
      },
      [&](nlohmann::json summary) {
        summary.erase("format");
        summary.erase("subject_id");
        summary.erase("exported_at");
        std::string text = detail::DumpUtf8(summary);
        out << "\n]," << text.substr(1) << "\n";
        out.flush();
      });
}

MINK_INLINE ExportResult ExportToNdjson(DataExporter& exporter, const Context& ctx,
                                        const ExportRequest& request, std::ostream& out) {
  return detail::WriteExport(
      exporter, ctx, request, [](Timestamp) {},
      [&](const ExportedEvent& e) {
        nlohmann::json line = ExportedEventToJson(e);
        line["record"] = "event";
        out << detail::DumpUtf8(line) << '\n';
      },
      [&](nlohmann::json summary) {
        summary["record"] = "summary";
        out << detail::DumpUtf8(summary) << '\n';
        out.flush();
      });
}

MINK_INLINE ExportResult ExportToFile(DataExporter& exporter, const Context& ctx,
                                      const ExportRequest& request,
                                      const std::filesystem::path& path, ExportFormat format) {
  std::filesystem::path partial = path;
  partial += ".partial";
  ExportResult result;
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw Error(errc::kStorageFailed, "cannot open \"" + partial.string() + "\" for writing");
    }
    result = format == ExportFormat::kJson ? ExportToJson(exporter, ctx, request, out)
                                           : ExportToNdjson(exporter, ctx, request, out);
    out.close();
    if (!out) throw Error(errc::kStorageFailed, "writing \"" + partial.string() + "\" failed");
  }
  std::filesystem::rename(partial, path);
  return result;
}

}  // namespace mink
