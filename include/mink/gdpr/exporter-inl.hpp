// The definitions of mink/gdpr/exporter.hpp (compiled into libmink by src/gdpr_exporter.cpp,
// or inline in the header-only shape).
#pragma once

#include <chrono>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <spdlog/spdlog.h>

#include "mink/encryption/errors.hpp"
#include "mink/encryption/field_encryption.hpp"
#include "mink/es/adapter.hpp"
#include "mink/es/event_scan.hpp"
#include "mink/es/upcasting.hpp"
#include "mink/gdpr/exporter.hpp"

namespace mink {

// One export in progress: the per-export memo of revocation checks, the counters, the handler.
class DataExporter::Run {
 public:
  Run(EventStore& store, const DataExporterOptions& options, spdlog::logger& log,
      const Context& ctx, const ExportHandler& handler, ExportResult& result, bool track_streams)
      : track_streams_(track_streams),
        store_(store),
        options_(options),
        log_(log),
        ctx_(ctx),
        handler_(handler),
        result_(result) {}

  void Scanned(std::size_t n) { progress_.scanned += n; }

  // Hands one event (already selected by the filter) to the handler.
  void Emit(StoredEvent stored) {
    ctx_.ThrowIfDone();
    ExportedEvent out;
    out.stream_id = stored.stream_id;
    out.event_type = stored.type;
    out.version = stored.version;
    out.global_position = stored.global_position;
    out.timestamp = stored.timestamp;
    out.metadata.correlation_id = stored.metadata.correlation_id;
    out.metadata.causation_id = stored.metadata.causation_id;
    out.metadata.tenant_id = stored.metadata.tenant_id;
    out.metadata.schema_version = GetSchemaVersion(stored.metadata);

    const std::string* key_id = stored.metadata.Custom("$encryption_key_id");
    const bool encrypted = key_id != nullptr || stored.metadata.Custom("$encrypted_fields");
    // Checked before decoding: a decryption error handler may swallow a revoked key and hand
    // back ciphertext as if it were data.
    bool redact = encrypted && key_id != nullptr && KeyRevoked(*key_id);
    std::string ciphertext;
    if (!redact) {
      if (encrypted) ciphertext = stored.data;
      try {
        bool upcast = false;
        out.data = store_.DecodeStoredData(ctx_, stored, &upcast);
        // Without an upcaster the (decrypted) stored text is the data's JSON already.
        out.raw_data = upcast ? out.data.dump() : std::move(stored.data);
        out.metadata.schema_version = GetSchemaVersion(stored.metadata);
      } catch (const Error& e) {
        if (!e.Is(errc::kKeyRevoked) && !e.Is(errc::kKeyNotFound) &&
            !e.Is(errc::kDecryptionFailed)) {
          throw;
        }
        redact = true;
      }
    } else {
      ciphertext = std::move(stored.data);
    }
    if (redact) {
      out.data = nullptr;
      out.raw_data = std::move(ciphertext);
      out.redacted = true;
      ++result_.redacted_count;
      ++progress_.redacted;
    }
    if (track_streams_ && seen_streams_.insert(out.stream_id).second) {
      result_.streams.push_back(out.stream_id);
    }
    ++result_.total_events;
    ++progress_.exported;
    handler_(ctx_, out);
  }

  void ReportProgress() {
    if (options_.on_progress) options_.on_progress(progress_);
  }

 private:
  bool KeyRevoked(const std::string& key_id) {
    if (!options_.provider) return false;
    auto it = revoked_.find(key_id);
    if (it != revoked_.end()) return it->second;
    bool revoked = false;
    try {
      revoked = IsRevoked(ctx_, *options_.provider, key_id);
    } catch (const Error& e) {
      if (e.Is(errc::kKeyNotFound)) {
        revoked = true;  // a key the provider no longer knows is as gone as a revoked one
      } else if (!e.Is(errc::kRevocationUnsupported)) {
        throw;
      }
    }
    revoked_.emplace(key_id, revoked);
    return revoked;
  }

  bool track_streams_;
  EventStore& store_;
  const DataExporterOptions& options_;
  spdlog::logger& log_;
  const Context& ctx_;
  const ExportHandler& handler_;
  ExportResult& result_;
  ExportProgress progress_;
  std::unordered_map<std::string, bool> revoked_;
  std::unordered_set<std::string> seen_streams_;
};

MINK_INLINE DataExporter::DataExporter(EventStore& store, DataExporterOptions options)
    : store_(&store), options_(std::move(options)) {
  if (options_.batch_size == 0) options_.batch_size = 1000;
  if (!options_.provider) {  // the store's own field encryption, when it has one
    if (const auto* fe =
            dynamic_cast<const FieldEncryption*>(store.Options().field_transform.get())) {
      options_.provider = fe->Config().provider;
    }
  }
}

MINK_INLINE ExportResult DataExporter::Export(const Context& ctx, const ExportRequest& request) {
  std::vector<ExportedEvent> events;
  bool warned = false;
  spdlog::logger& log = options_.logger ? *options_.logger : store_->Logger();
  ExportResult result = Drive(
      ctx, request,
      [&](const Context&, const ExportedEvent& e) {
        events.push_back(e);
        if (!warned && events.size() > options_.materialize_warning) {
          warned = true;
          log.warn(
              "mink: export for subject \"{}\" holds more than {} events in memory; "
              "ExportStream keeps one batch",
              request.subject_id, options_.materialize_warning);
        }
      },
      /*refuse_partial=*/false);
  result.events = std::move(events);
  return result;
}

MINK_INLINE ExportResult DataExporter::ExportStream(const Context& ctx,
                                                    const ExportRequest& request,
                                                    const ExportHandler& handler) {
  if (!handler) {
    throw ExportError(request.subject_id,
                      std::make_exception_ptr(Error(errc::kInvalidArgument, "no export handler")));
  }
  return Drive(ctx, request, handler, /*refuse_partial=*/true);
}

MINK_INLINE ExportResult DataExporter::Drive(const Context& ctx, const ExportRequest& request,
                                             const ExportHandler& handler, bool refuse_partial) {
  if (request.subject_id.empty()) {
    throw Error(errc::kSubjectIDRequired, "an export request needs a subject ID");
  }
  if (request.from_time && request.to_time && *request.from_time > *request.to_time) {
    throw Error(errc::kInvalidTimeRange, "export from_time is after to_time");
  }
  spdlog::logger& log = options_.logger ? *options_.logger : store_->Logger();
  ExportResult result;
  result.subject_id = request.subject_id;
  result.exported_at = std::chrono::system_clock::now();

  std::vector<std::string> streams = request.streams;
  bool by_streams = !streams.empty();
  ExportFilter filter = request.filter;
  if (streams.empty() && !filter.IsSet()) {
    if (!options_.subject_resolver) {
      throw Error(errc::kNoExportSources,
                  "an export request needs streams, a filter or a subject resolver");
    }
    SubjectFootprint footprint;
    try {
      footprint = options_.subject_resolver->Resolve(ctx, request.subject_id);
    } catch (...) {
      throw ExportError(request.subject_id, std::current_exception());
    }
    if (footprint.partial && refuse_partial) {
      throw Error(errc::kExportPartialFootprint,
                  "the subject resolver's footprint for \"" + request.subject_id +
                      "\" is partial; use Export, whose result can say so");
    }
    result.partial = footprint.partial;
    streams = std::move(footprint.streams);
    by_streams = true;  // an empty footprint exports nothing (it does not scan)
    filter = SubjectFilter(request.subject_id);
  }
  if (request.from_time || request.to_time) {
    EventScanFilter bounds;
    bounds.from_time = request.from_time;
    bounds.to_time = request.to_time;
    filter = CombineFilters(std::move(filter), ExportFilter::FromScan(std::move(bounds)));
  }

  // The unique-stream list grows with the streams seen; only Export, which holds every event
  // anyway, keeps it, so ExportStream stays one batch wide.
  Run run(*store_, options_, log, ctx, handler, result, /*track_streams=*/!refuse_partial);
  try {
    ctx.ThrowIfDone();
    if (by_streams) {
      for (const std::string& stream : streams) {
        ctx.ThrowIfDone();
        std::vector<StoredEvent> events = store_->LoadRaw(ctx, stream, 0);
        if (events.empty()) {
          log.warn("mink: export for subject \"{}\": stream \"{}\" not found, skipped",
                   request.subject_id, stream);
          continue;
        }
        run.Scanned(events.size());
        for (StoredEvent& e : events) {
          if (!filter.IsSet() || filter.Matches(e)) run.Emit(std::move(e));
        }
        run.ReportProgress();
      }
      return result;
    }
    if (store_->Capability<SubscriptionAdapter>() == nullptr) {
      throw Error(errc::kExportScanNotSupported,
                  "a filter export scans the global feed, which this adapter does not offer");
    }
    if (filter.MatchesNothing()) return result;
    const uint64_t last = store_->GetLastPosition(ctx);  // committed before the export began
    uint64_t from = 0;
    if (auto* scan = store_->Capability<EventScanAdapter>()) {
      while (from < last) {
        ctx.ThrowIfDone();
        EventScanPage page =
            scan->ScanEvents(ctx, from, last, options_.batch_size, filter.Pushable());
        run.Scanned(page.events.size());
        for (StoredEvent& e : page.events) {
          if (filter.Matches(e)) run.Emit(std::move(e));
        }
        run.ReportProgress();
        if (page.done || page.next_position <= from) break;
        from = page.next_position;
      }
      return result;
    }
    while (from < last) {
      ctx.ThrowIfDone();
      std::vector<StoredEvent> page =
          store_->LoadEventsFromPosition(ctx, from, options_.batch_size);
      if (page.empty()) break;
      from = page.back().global_position;
      run.Scanned(page.size());
      for (StoredEvent& e : page) {
        if (e.global_position > last) break;
        if (filter.Matches(e)) run.Emit(std::move(e));
      }
      run.ReportProgress();
    }
    return result;
  } catch (const ExportError&) {
    throw;
  } catch (const Error& e) {
    if (e.code() == errc::kExportScanNotSupported) throw;
    throw ExportError(request.subject_id, std::current_exception());
  } catch (...) {
    throw ExportError(request.subject_id, std::current_exception());
  }
}

}  // namespace mink
