// mink/gdpr/exporter.hpp — GDPR data export (Articles 15 and 20): every event of one data
// subject, decrypted and upcast, with only non-personal metadata, in a portable form.
//
//   mink::DataExporter exporter(store);  // store: an EventStore, with FieldEncryption or not
//   mink::ExportResult r = exporter.Export(ctx, {.subject_id = "customer-42",
//                                               .streams = {"Customer-42", "Order-7"}});
//   exporter.ExportStream(ctx, {.subject_id = "tenant-a",
//                               .filter = mink::FilterByTenantID("tenant-a")},
//                         [&](const mink::Context&, const mink::ExportedEvent& e) { ... });
//
// Sources: explicit streams (a missing or empty stream is skipped with a warning), or a scan of
// the global feed with a filter (needs the SubscriptionAdapter capability; on an adapter with
// EventScanAdapter the built-in filters run there), or, with neither, the streams a
// SubjectResolver names, filtered by SubjectFilter. The scan covers every event committed before
// the export started. Time bounds are inclusive.
//
// Redaction (crypto-shredding): an event whose data key's master key is revoked is exported
// with redacted = true, no data, and the stored ciphertext as raw_data — even when a decryption
// error handler would swallow the failure. The revocation check asks the provider once per key
// per export. KeyRevoked / KeyNotFound / DecryptionFailed while decoding redact too. Any other
// failure — a corrupt stored row (the error names its position), a filter or handler that
// throws, storage errors, cancellation — stops the export with ExportError; nothing is
// presented as complete (see export_format.hpp for how the writers mark partial output).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "mink/context.hpp"
#include "mink/encryption/provider.hpp"
#include "mink/es/event_store.hpp"
#include "mink/gdpr/errors.hpp"
#include "mink/gdpr/export_filter.hpp"

namespace mink {

// Which streams hold a subject's data (go-mink's SubjectFootprint, the part export uses).
struct SubjectFootprint {
  std::vector<std::string> streams;
  bool partial = false;  // the resolver could not see everything
};

class SubjectResolver {
 public:
  virtual ~SubjectResolver() = default;
  virtual SubjectFootprint Resolve(const Context& ctx, const std::string& subject_id) = 0;
};

struct ExportRequest {
  std::string subject_id;              // required
  std::vector<std::string> streams;    // explicit streams (no scan)
  ExportFilter filter;                 // scan the global feed with this filter
  std::optional<Timestamp> from_time;  // inclusive
  std::optional<Timestamp> to_time;    // inclusive
};

// Metadata that is not personal data: the IDs that relate events, the tenant, the schema.
struct ExportedMetadata {
  std::string correlation_id;
  std::string causation_id;
  std::string tenant_id;
  int schema_version = 0;  // 0: not stamped (version 1)
};

struct ExportedEvent {
  std::string stream_id;
  std::string event_type;
  nlohmann::json data;   // the decrypted, upcast event (every stored field); null if redacted
  std::string raw_data;  // data as JSON text, or the stored ciphertext record when redacted
  ExportedMetadata metadata;
  int64_t version = 0;
  uint64_t global_position = 0;
  Timestamp timestamp{};
  bool redacted = false;
};

struct ExportResult {
  std::string subject_id;
  std::vector<ExportedEvent> events;
  std::vector<std::string> streams;  // unique stream IDs, in first-seen order
  std::size_t total_events = 0;
  std::size_t redacted_count = 0;
  Timestamp exported_at{};
  bool partial = false;  // the subject resolver's footprint was incomplete
};

// Progress of a long export, reported after every batch.
struct ExportProgress {
  std::size_t scanned = 0;   // events read from the store
  std::size_t exported = 0;  // events handed to the handler (redacted ones included)
  std::size_t redacted = 0;
};

using ExportHandler = std::function<void(const Context& ctx, const ExportedEvent& event)>;

struct DataExporterOptions {
  std::size_t batch_size = 1000;           // events per scan page; 0 means 1000
  std::shared_ptr<spdlog::logger> logger;  // default: the store's logger
  std::shared_ptr<SubjectResolver> subject_resolver;
  // The key provider for the revocation check. Default: the provider of the store's
  // FieldEncryption (EventStoreOptions::field_transform), if it has one. Without any, only
  // decoding failures redact.
  std::shared_ptr<EncryptionProvider> provider;
  // Export (not ExportStream) warns when it holds more events than this in memory.
  std::size_t materialize_warning = 100000;
  std::function<void(const ExportProgress&)> on_progress;
};

class MINK_API DataExporter {
 public:
  // `store` must outlive the exporter.
  explicit DataExporter(EventStore& store, DataExporterOptions options = {});

  // Collects the whole export in memory.
  ExportResult Export(const Context& ctx, const ExportRequest& request);

  // Hands events to `handler` one at a time, holding at most one batch in memory. Returns the
  // totals (events and streams stay empty: the stream list would grow with the export). Refuses a
  // partial resolver footprint (kExportPartialFootprint): a stream of events cannot be marked
  // incomplete afterwards.
  ExportResult ExportStream(const Context& ctx, const ExportRequest& request,
                            const ExportHandler& handler);

 private:
  class Run;
  ExportResult Drive(const Context& ctx, const ExportRequest& request, const ExportHandler& handler,
                     bool refuse_partial);

  EventStore* store_;
  DataExporterOptions options_;
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/gdpr/exporter-inl.hpp"
#endif
