// GDPR export without an adapter in the way: filter algebra, the export timestamp format, the
// capability check of filter scans and the warning for large in-memory exports.
#include <gtest/gtest.h>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "mink/gdpr/export_format.hpp"
#include "mink/gdpr/exporter.hpp"
#include "mink/memory/adapter.hpp"
#include "support/error_code.hpp"

namespace mink::testing {
namespace {

StoredEvent At(std::string stream, std::string type = "T") {
  StoredEvent e;
  e.stream_id = std::move(stream);
  e.type = std::move(type);
  return e;
}

TEST(ExportFilters, CombiningNarrowsAndContradictionsMatchNothing) {
  ExportFilter longer =
      CombineFilters(FilterByStreamPrefix("Order-"), FilterByStreamPrefix("Order-1"));
  EXPECT_EQ(*longer.Pushable().stream_prefix, "Order-1");
  EXPECT_TRUE(longer.Matches(At("Order-12")));
  EXPECT_FALSE(longer.Matches(At("Order-2")));
  EXPECT_TRUE(
      CombineFilters(FilterByStreamPrefix("A-"), FilterByStreamPrefix("B-")).MatchesNothing());
  ExportFilter types =
      CombineFilters(FilterByEventTypes({"A", "B"}), FilterByEventTypes({"B", "C"}));
  EXPECT_EQ(types.Pushable().event_types, std::vector<std::string>{"B"});
  EXPECT_TRUE(
      CombineFilters(FilterByEventTypes({"A"}), FilterByEventTypes({"C"})).MatchesNothing());
  EXPECT_FALSE(CombineFilters().IsSet());
  EXPECT_TRUE(CombineFilters(ExportFilter{}, FilterByUserID("u")).IsSet());
}

TEST(ExportFilters, SubjectTagsThatAreNotAJsonArrayMatchNothingAndDoNotThrow) {
  ExportFilter f = SubjectFilter("s-1");
  for (const char* tags : {R"(["s-1"])", R"(["x","s-1"])", R"("s-1")", "not json", "[1,2]"}) {
    StoredEvent e = At("S-1");
    e.metadata.SetReserved("$subjects", tags);
    const bool expected = std::string(tags).find("[\"") == 0;
    EXPECT_EQ(f.Matches(e), expected) << tags;
  }
  EXPECT_FALSE(f.Matches(At("S-1")));  // untagged
}

TEST(ExportFormat, TimestampsAreRfc3339UtcWithMicroseconds) {
  using namespace std::chrono;
  const Timestamp t =
      sys_days{year{2026} / 11 / 29} + hours{16} + minutes{20} + seconds{58} + microseconds{123456};
  EXPECT_EQ(FormatExportTimestamp(t), "2026-11-29T16:20:58.123456Z");
  EXPECT_EQ(FormatExportTimestamp(Timestamp{} - microseconds{1}), "1969-12-31T23:59:59.999999Z");
}

// An adapter with no global feed: only the required interface.
class StreamsOnly : public EventStoreAdapter {
 public:
  AppendResult Append(const Context& ctx, const std::string& s, std::vector<EventRecord> r,
                      int64_t v) override {
    return inner_.Append(ctx, s, std::move(r), v);
  }
  std::vector<StoredEvent> Load(const Context& ctx, const std::string& s, int64_t v) override {
    return inner_.Load(ctx, s, v);
  }
  StreamInfo GetStreamInfo(const Context& ctx, const std::string& s) override {
    return inner_.GetStreamInfo(ctx, s);
  }
  uint64_t GetLastPosition(const Context& ctx) override { return inner_.GetLastPosition(ctx); }

 private:
  memory::Adapter inner_;
};

TEST(DataExporterTest, AFilterScanNeedsAGlobalFeedButStreamsDoNot) {
  EventStore store(std::make_shared<StreamsOnly>());
  store.Append(Context{}, "Order-1", {Event::Raw("Placed", {{"n", 1}})});
  DataExporter exporter(store);
  EXPECT_EQ(CodeOf([&] {
              exporter.Export(Context{}, {.subject_id = "s", .filter = FilterByUserID("u")});
            }),
            errc::kExportScanNotSupported);
  EXPECT_EQ(exporter.Export(Context{}, {.subject_id = "s", .streams = {"Order-1"}}).total_events,
            1u);
}

TEST(DataExporterTest, ExportWarnsOnceWhenItHoldsManyEvents) {
  std::ostringstream log_text;
  auto logger = std::make_shared<spdlog::logger>(
      "export-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text));
  EventStore store(std::make_shared<memory::Adapter>());
  for (int i = 0; i < 6; ++i)
    store.Append(Context{}, "Order-1", {Event::Raw("Placed", {{"n", i}})});
  DataExporter exporter(store, {.logger = logger, .materialize_warning = 3});
  EXPECT_EQ(exporter.Export(Context{}, {.subject_id = "s", .streams = {"Order-1"}}).events.size(),
            6u);
  const std::string text = log_text.str();
  EXPECT_NE(text.find("more than 3 events"), std::string::npos) << text;
  EXPECT_EQ(text.find("more than 3 events"), text.rfind("more than 3 events"));  // once
}

}  // namespace
}  // namespace mink::testing
