// GDPR export over every adapter: sources (streams, filter scans, subject resolver), filters,
// time bounds, redaction of crypto-shredded events, bad input, and the portable writers.
// Instantiated by each adapter's test binary with the EventStoreConformance factory.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <sstream>

#include "conformance/event_store_conformance.hpp"
#include "core/test_events.hpp"
#include "mink/gdpr/export_format.hpp"
#include "mink/gdpr/exporter.hpp"
#include "support/error_code.hpp"

namespace mink::conformance {
namespace {

using mink::testing::CodeOf;
using mink::testing::ItemAdded;
using mink::testing::OrderCreated;

// A provider that knows which keys are revoked and counts the questions.
class RevocationOnlyProvider : public EncryptionProvider, public RevocableProvider {
 public:
  std::string Encrypt(const Context&, const std::string&, std::string_view) override {
    throw Error(errc::kEncryptionFailed, "not used");
  }
  SecretBytes Decrypt(const Context&, const std::string&, std::string_view) override {
    throw Error(errc::kDecryptionFailed, "not used");
  }
  DataKey GenerateDataKey(const Context&, const std::string&) override {
    throw Error(errc::kEncryptionFailed, "not used");
  }
  SecretBytes DecryptDataKey(const Context&, const std::string&, std::string_view) override {
    throw Error(errc::kDecryptionFailed, "not used");
  }
  void Close() override {}
  void RevokeKey(const Context&, const std::string& key_id) override { revoked.insert(key_id); }
  bool IsRevoked(const Context&, const std::string& key_id) override {
    ++questions;
    return revoked.count(key_id) > 0;
  }
  std::set<std::string> revoked;
  std::atomic<int> questions = 0;
};

// Stands in for field decryption: "k-ok" decodes ("sealed" -> the value), "k-b" is revoked
// and the handler swallows it (ciphertext handed back as data, as go-mink's "skip"), "k-gone"
// fails with KeyNotFound, "k-broken" with a non-key error.
class FakeDecryption : public RecordTransform {
 public:
  void Encode(const Context&, EventRecord&) const override {}
  void Decode(const Context&, StoredEvent& stored) const override {
    const std::string* key = stored.metadata.Custom("$encryption_key_id");
    if (!key) return;
    if (*key == "k-ok") {
      auto j = nlohmann::json::parse(stored.data);
      j["customer_id"] = "decrypted";
      stored.data = j.dump();
    } else if (*key == "k-gone") {
      throw KeyError(errc::kKeyNotFound, *key, "unknown key");
    } else if (*key == "k-broken") {
      throw Error(errc::kStorageFailed, "the key service is on fire");
    }
  }
};

Metadata Encrypted(const std::string& key) {
  Metadata m;
  m.SetReserved("$encryption_key_id", key);
  m.SetReserved("$encrypted_fields", R"(["customer_id"])");
  m.SetReserved("$encrypted_dek", "d3JhcHBlZA==");
  return m;
}

std::vector<ExportedEvent> Collect(DataExporter& exporter, const Context& ctx,
                                   const ExportRequest& request) {
  std::vector<ExportedEvent> out;
  exporter.ExportStream(ctx, request,
                        [&](const Context&, const ExportedEvent& e) { out.push_back(e); });
  return out;
}

}  // namespace

TEST_P(ExportConformance, StreamsExportDecodedEventsWithNonPersonalMetadata) {
  Context req = ctx.WithCorrelationID("corr-1").WithCausationID("cause-1").WithTenantID("t-a");
  store->Append(req.WithUserID("u-1"), "Order-1", {OrderCreated{"1", "c-1"}, ItemAdded{"s", 2, 3}});
  store->Append(req, "Order-2", {OrderCreated{"2", "c-2"}});
  DataExporter exporter(*store);
  ExportResult r =
      exporter.Export(ctx, {.subject_id = "c-1", .streams = {"Order-1", "Nope-9", "Order-2"}});
  EXPECT_EQ(r.subject_id, "c-1");
  ASSERT_EQ(r.total_events, 3u);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.streams, (std::vector<std::string>{"Order-1", "Order-2"}));  // missing: skipped
  EXPECT_EQ(r.redacted_count, 0u);
  EXPECT_FALSE(r.partial);
  const ExportedEvent& first = r.events[0];
  EXPECT_EQ(first.stream_id, "Order-1");
  EXPECT_EQ(first.event_type, "OrderCreated");
  EXPECT_EQ(first.data["customer_id"], "c-1");
  EXPECT_EQ(nlohmann::json::parse(first.raw_data), first.data);
  EXPECT_EQ(first.metadata.correlation_id, "corr-1");
  EXPECT_EQ(first.metadata.causation_id, "cause-1");
  EXPECT_EQ(first.metadata.tenant_id, "t-a");
  EXPECT_EQ(first.version, 1);
  EXPECT_GT(first.global_position, 0u);
  EXPECT_FALSE(first.redacted);
  EXPECT_GT(r.exported_at.time_since_epoch().count(), 0);
}

TEST_P(ExportConformance, ScansFilterByTenantUserPrefixTypesAndMetadata) {
  for (int i = 0; i < 30; ++i) {
    Context c = ctx.WithTenantID(i % 3 == 0 ? "t-a" : "t-b").WithUserID(i % 2 ? "u-1" : "u-2");
    Metadata md;
    md.SetCustom("department", i % 5 == 0 ? "sales" : "ops");
    store->Append(c, (i % 4 == 0 ? "Customer-" : "Order-") + std::to_string(i),
                  {OrderCreated{std::to_string(i), "c"}, ItemAdded{"s", i, 1}}, AnyVersion, md);
  }
  DataExporter exporter(*store, {.batch_size = 7});  // several pages
  auto count = [&](ExportFilter f) {
    return Collect(exporter, ctx, {.subject_id = "s", .filter = std::move(f)}).size();
  };
  EXPECT_EQ(count(FilterByTenantID("t-a")), 20u);
  EXPECT_EQ(count(FilterByUserID("u-1")), 30u);
  EXPECT_EQ(count(FilterByStreamPrefix("Customer-")), 16u);
  EXPECT_EQ(count(FilterByEventTypes({"ItemAdded"})), 30u);
  EXPECT_EQ(count(FilterByMetadata("department", "sales")), 12u);
  EXPECT_EQ(count(CombineFilters(FilterByTenantID("t-a"), FilterByEventTypes({"OrderCreated"}),
                                 FilterByStreamPrefix("Customer-"))),
            3u);  // i in {0, 12, 24}
  EXPECT_EQ(count(CombineFilters(FilterByTenantID("t-a"), FilterByTenantID("t-b"))), 0u);
  EXPECT_EQ(count(FilterByEventTypes({})), 0u);
  // A custom predicate runs on the client, after what the adapter filtered.
  EXPECT_EQ(count(CombineFilters(FilterByTenantID("t-b"),
                                 [](const StoredEvent& e) { return e.version == 2; })),
            20u);
  // Every exported event is in position order.
  auto all = Collect(exporter, ctx, {.subject_id = "s", .filter = FilterByUserID("u-2")});
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_LT(all[i - 1].global_position, all[i].global_position);
  }
}

TEST_P(ExportConformance, TimeBoundsAreInclusive) {
  for (int i = 0; i < 5; ++i) store->Append(ctx, "Order-t", {OrderCreated{"t", "c"}});
  std::vector<StoredEvent> raw = store->LoadRaw(ctx, "Order-t", 0);
  DataExporter exporter(*store);
  auto got = Collect(exporter, ctx,
                     {.subject_id = "s",
                      .streams = {"Order-t"},
                      .from_time = raw[1].timestamp,
                      .to_time = raw[3].timestamp});
  ASSERT_GE(got.size(), 1u);
  for (const auto& e : got) {
    EXPECT_GE(e.timestamp, raw[1].timestamp);
    EXPECT_LE(e.timestamp, raw[3].timestamp);
  }
  // Events 2..4 all qualify (equal timestamps included); none before or after.
  std::size_t expected = 0;
  for (const auto& s : raw)
    expected += s.timestamp >= raw[1].timestamp && s.timestamp <= raw[3].timestamp;
  EXPECT_EQ(got.size(), expected);
  auto scanned = Collect(exporter, ctx,
                         {.subject_id = "s",
                          .filter = FilterByStreamPrefix("Order-t"),
                          .from_time = raw[1].timestamp,
                          .to_time = raw[3].timestamp});
  EXPECT_EQ(scanned.size(), expected);
}

TEST_P(ExportConformance, BadRequestsAreTypedErrors) {
  store->Append(ctx, "Order-v", {OrderCreated{"v", "c"}});
  DataExporter exporter(*store);
  EXPECT_EQ(CodeOf([&] { exporter.Export(ctx, {.streams = {"Order-v"}}); }),
            errc::kSubjectIDRequired);
  EXPECT_EQ(CodeOf([&] { exporter.Export(ctx, {.subject_id = "s"}); }), errc::kNoExportSources);
  const Timestamp now = std::chrono::system_clock::now();
  EXPECT_EQ(CodeOf([&] {
              exporter.Export(ctx, {.subject_id = "s",
                                    .streams = {"Order-v"},
                                    .from_time = now,
                                    .to_time = now - std::chrono::seconds(1)});
            }),
            errc::kInvalidTimeRange);
  EXPECT_EQ(CodeOf([&] {
              exporter.ExportStream(ctx, {.subject_id = "s", .streams = {"Order-v"}}, nullptr);
            }),
            errc::kExportFailed);
}

TEST_P(ExportConformance, AThrowingFilterOrHandlerStopsTheExportWithItsCause) {
  for (int i = 0; i < 5; ++i)
    store->Append(ctx, "Order-x" + std::to_string(i), {OrderCreated{"x", "c"}});
  DataExporter exporter(*store);
  try {
    exporter.Export(ctx, {.subject_id = "s", .filter = [](const StoredEvent& e) -> bool {
                            if (e.stream_id == "Order-x3") throw std::runtime_error("filter boom");
                            return true;
                          }});
    FAIL() << "no error";
  } catch (const ExportError& e) {
    EXPECT_EQ(e.SubjectID(), "s");
    EXPECT_NE(std::string(e.what()).find("filter boom"), std::string::npos);
  }
  int seen = 0;
  try {
    exporter.ExportStream(ctx, {.subject_id = "s", .filter = FilterByStreamPrefix("Order-x")},
                          [&](const Context&, const ExportedEvent&) {
                            if (++seen == 2) throw Error(errc::kStorageFailed, "disk full");
                          });
    FAIL() << "no error";
  } catch (const ExportError& e) {
    EXPECT_TRUE(e.Is(errc::kStorageFailed));
  }
  EXPECT_EQ(seen, 2);  // stopped at once
}

TEST_P(ExportConformance, CancellationStopsPromptly) {
  for (int i = 0; i < 20; ++i)
    store->Append(ctx, "Order-c" + std::to_string(i), {OrderCreated{"c", "c"}});
  auto [cancellable, cancel] = ctx.WithCancel();
  DataExporter exporter(*store, {.batch_size = 5});
  int seen = 0;
  try {
    exporter.ExportStream(cancellable,
                          {.subject_id = "s", .filter = FilterByStreamPrefix("Order-c")},
                          [&](const Context&, const ExportedEvent&) {
                            if (++seen == 3) cancel();
                          });
    FAIL() << "no error";
  } catch (const ExportError& e) {
    EXPECT_TRUE(e.Is(errc::kCancelled));
  }
  EXPECT_EQ(seen, 3);
}

TEST_P(ExportConformance, ShreddedEventsAreRedactedEvenWhenTheDecryptionHandlerSwallows) {
  auto provider = std::make_shared<RevocationOnlyProvider>();
  provider->revoked = {"k-b"};
  EventStore encrypted(adapter_, {.field_transform = std::make_shared<FakeDecryption>()});
  encrypted.RegisterEvents<OrderCreated>();
  encrypted.Append(ctx, "Customer-a", {OrderCreated{"a", "sealed"}}, AnyVersion, Encrypted("k-ok"));
  for (int i = 0; i < 5; ++i) {
    encrypted.Append(ctx, "Customer-b", {OrderCreated{"b", "sealed-b"}}, AnyVersion,
                     Encrypted("k-b"));
  }
  encrypted.Append(ctx, "Customer-g", {OrderCreated{"g", "sealed-g"}}, AnyVersion,
                   Encrypted("k-gone"));
  encrypted.Append(ctx, "Customer-p", {OrderCreated{"p", "plain"}});
  DataExporter exporter(encrypted, {.provider = provider});
  ExportResult r = exporter.Export(
      ctx,
      {.subject_id = "s", .streams = {"Customer-a", "Customer-b", "Customer-g", "Customer-p"}});
  ASSERT_EQ(r.total_events, 8u);
  EXPECT_EQ(r.redacted_count, 6u);  // five under the revoked key, one under an unknown key
  EXPECT_EQ(r.events[0].data["customer_id"], "decrypted");
  EXPECT_FALSE(r.events[0].redacted);
  for (int i = 1; i <= 6; ++i) {
    const ExportedEvent& e = r.events[i];
    EXPECT_TRUE(e.redacted) << i;
    EXPECT_TRUE(e.data.is_null());
    EXPECT_NE(e.raw_data.find("sealed-"), std::string::npos);  // the stored ciphertext
  }
  EXPECT_EQ(r.events[7].data["customer_id"], "plain");
  // One revocation question per key per export, not per event.
  EXPECT_EQ(provider->questions, 3);

  // Any other failure is not a redaction: the export stops.
  encrypted.Append(ctx, "Customer-x", {OrderCreated{"x", "sealed-x"}}, AnyVersion,
                   Encrypted("k-broken"));
  EXPECT_EQ(CodeOf([&] { exporter.Export(ctx, {.subject_id = "s", .streams = {"Customer-x"}}); }),
            errc::kExportFailed);
}

TEST_P(ExportConformance, SubjectResolverFootprintsAndPartialResults) {
  struct Resolver : SubjectResolver {
    SubjectFootprint Resolve(const Context&, const std::string&) override {
      return {{"Customer-7", "Order-70"}, partial};
    }
    bool partial = false;
  };
  auto resolver = std::make_shared<Resolver>();
  Metadata tagged;
  tagged.SetReserved("$subjects", R"(["customer-7"])");
  store->Append(ctx, "Customer-7", {OrderCreated{"7", "c"}}, AnyVersion, tagged);
  store->Append(ctx, "Order-70", {OrderCreated{"70", "c"}}, AnyVersion, tagged);
  store->Append(ctx, "Order-70", {ItemAdded{"untagged", 1, 1}});
  DataExporter exporter(*store, {.subject_resolver = resolver});
  ExportResult r = exporter.Export(ctx, {.subject_id = "customer-7"});
  EXPECT_EQ(r.total_events, 2u);  // the untagged event is not the subject's
  EXPECT_FALSE(r.partial);
  resolver->partial = true;
  EXPECT_TRUE(exporter.Export(ctx, {.subject_id = "customer-7"}).partial);
  EXPECT_EQ(CodeOf([&] {
              exporter.ExportStream(ctx, {.subject_id = "customer-7"},
                                    [](const Context&, const ExportedEvent&) {});
            }),
            errc::kExportPartialFootprint);
}

TEST_P(ExportConformance, ProgressIsReportedPerBatch) {
  for (int i = 0; i < 25; ++i) {
    store->Append(ctx.WithTenantID(i % 5 ? "t-b" : "t-a"), "Order-p" + std::to_string(i),
                  {OrderCreated{"p", "c"}});
  }
  std::vector<ExportProgress> reports;
  DataExporter exporter(*store, {.batch_size = 10, .on_progress = [&](const ExportProgress& p) {
                                   reports.push_back(p);
                                 }});
  exporter.Export(ctx, {.subject_id = "s", .filter = FilterByTenantID("t-a")});
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back().exported, 5u);
  EXPECT_GE(reports.back().scanned, 5u);
  for (std::size_t i = 1; i < reports.size(); ++i) {
    EXPECT_GE(reports[i].scanned, reports[i - 1].scanned);
  }
}

TEST_P(ExportConformance, WritersProduceTheDocumentedFormatAndMarkFailures) {
  auto provider = std::make_shared<RevocationOnlyProvider>();
  provider->revoked = {"k-b"};
  EventStore encrypted(adapter_, {.field_transform = std::make_shared<FakeDecryption>()});
  encrypted.Append(ctx.WithTenantID("t-a"), "Customer-w", {OrderCreated{"w", "caf\xC3\xA9"}});
  encrypted.Append(ctx.WithTenantID("t-a"), "Customer-w", {OrderCreated{"w", "sealed-b"}},
                   AnyVersion, Encrypted("k-b"));
  DataExporter exporter(encrypted, {.provider = provider});
  const ExportRequest request{.subject_id = "w", .streams = {"Customer-w"}};

  std::ostringstream json;
  ExportResult totals = ExportToJson(exporter, ctx, request, json);
  EXPECT_EQ(totals.total_events, 2u);
  nlohmann::json doc = nlohmann::json::parse(json.str());
  EXPECT_EQ(doc["format"], "mink-export/1");
  EXPECT_EQ(doc["subject_id"], "w");
  EXPECT_EQ(doc["complete"], true);
  EXPECT_EQ(doc["partial"], false);
  EXPECT_EQ(doc["total_events"], 2);
  EXPECT_EQ(doc["redacted_count"], 1);
  ASSERT_EQ(doc["events"].size(), 2u);
  const nlohmann::json& e0 = doc["events"][0];
  for (const char* field : {"stream_id", "event_type", "version", "global_position", "timestamp",
                            "metadata", "redacted", "data"}) {
    EXPECT_TRUE(e0.contains(field)) << field;
  }
  EXPECT_FALSE(e0.contains("raw_data"));
  EXPECT_EQ(e0["data"]["customer_id"], "caf\xC3\xA9");
  EXPECT_EQ(e0["metadata"]["tenant_id"], "t-a");
  EXPECT_EQ(e0["timestamp"].get<std::string>().size(), 27u);  // 2026-11-29T16:20:58.123456Z
  EXPECT_TRUE(doc["events"][1]["redacted"].get<bool>());
  EXPECT_TRUE(doc["events"][1]["data"].is_null());
  EXPECT_NE(doc["events"][1]["raw_data"].get<std::string>().find("sealed-b"), std::string::npos);

  std::ostringstream nd;
  ExportToNdjson(exporter, ctx, request, nd);
  std::istringstream lines(nd.str());
  std::vector<nlohmann::json> records;
  for (std::string line; std::getline(lines, line);) records.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["record"], "event");
  EXPECT_EQ(records[2]["record"], "summary");
  EXPECT_EQ(records[2]["complete"], true);

  // A failure ends the output as failed; the file variant never presents it as complete.
  encrypted.Append(ctx, "Customer-w", {OrderCreated{"w", "sealed-x"}}, AnyVersion,
                   Encrypted("k-broken"));
  std::ostringstream failed;
  EXPECT_THROW(ExportToJson(exporter, ctx, request, failed), ExportError);
  nlohmann::json broken = nlohmann::json::parse(failed.str());
  EXPECT_EQ(broken["complete"], false);
  EXPECT_EQ(broken["partial"], true);
  EXPECT_NE(broken["error"].get<std::string>().find("on fire"), std::string::npos);
  EXPECT_EQ(broken["events"].size(), 2u);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("mink-export-" + std::to_string(::getpid()) + "-" + GetParam().name);
  std::filesystem::create_directories(dir);
  EXPECT_THROW(ExportToFile(exporter, ctx, request, dir / "w.ndjson", ExportFormat::kNdjson),
               ExportError);
  EXPECT_FALSE(std::filesystem::exists(dir / "w.ndjson"));
  EXPECT_TRUE(std::filesystem::exists(dir / "w.ndjson.partial"));
  ExportToFile(exporter, ctx,
               {.subject_id = "w",
                .streams = {"Customer-w"},
                .to_time = std::chrono::system_clock::now() - std::chrono::hours(24 * 365 * 100)},
               dir / "empty.json", ExportFormat::kJson);
  EXPECT_TRUE(std::filesystem::exists(dir / "empty.json"));
  std::filesystem::remove_all(dir);
}

}  // namespace mink::conformance
