// GDPR export on PostgreSQL: the filter runs in SQL (EventScanAdapter), the optional export
// indexes change plans but not results, and a corrupt row in the middle of a scan stops the
// export with an error naming its position (nothing after it is presented as exported).
#include <gtest/gtest.h>

#include "mink/es/event_store.hpp"
#include "mink/gdpr/exporter.hpp"
#include "postgres/pg_test_support.hpp"

namespace mink::postgres {
namespace {

using testing::AdminQuery;
using testing::MakeAdapter;

const Context kCtx;

void Fill(EventStore& store, int n) {
  for (int i = 0; i < n; ++i) {
    Metadata md = Metadata{}.WithTenantID(i % 10 == 0 ? "t-rare" : "t-common");
    md.user_id = "u-" + std::to_string(i % 7);
    store.Append(kCtx, "Customer-" + std::to_string(i), {Event::Raw("CustomerCreated", {{"n", i}})},
                 AnyVersion, md);
  }
}

std::vector<uint64_t> Positions(DataExporter& exporter, ExportFilter filter) {
  std::vector<uint64_t> out;
  exporter.ExportStream(
      kCtx, {.subject_id = "s", .filter = std::move(filter)},
      [&](const Context&, const ExportedEvent& e) { out.push_back(e.global_position); });
  return out;
}

TEST(PostgresExportTest, ScanPagesFilteredInSqlMatchTheClientSideFilter) {
  auto adapter = MakeAdapter();
  EventStore store(adapter);
  Fill(store, 60);
  // Pages from the adapter contain only matching rows.
  EventScanFilter rare;
  rare.tenant_id = "t-rare";
  EventScanPage page = adapter->ScanEvents(kCtx, 0, adapter->GetLastPosition(kCtx), 4, rare);
  ASSERT_EQ(page.events.size(), 4u);
  EXPECT_FALSE(page.done);
  for (const StoredEvent& e : page.events) EXPECT_EQ(e.metadata.tenant_id, "t-rare");
  page = adapter->ScanEvents(kCtx, page.next_position, adapter->GetLastPosition(kCtx), 4, rare);
  EXPECT_EQ(page.events.size(), 2u);
  EXPECT_TRUE(page.done);

  DataExporter exporter(store, {.batch_size = 3});
  auto pushed =
      Positions(exporter, CombineFilters(FilterByTenantID("t-rare"), FilterByUserID("u-3")));
  // The same filter as a custom predicate never reaches SQL.
  auto client = Positions(exporter, [](const StoredEvent& e) {
    return e.metadata.tenant_id == "t-rare" && e.metadata.user_id == "u-3";
  });
  EXPECT_EQ(pushed, client);
  EXPECT_FALSE(pushed.empty());

  // Stream prefixes with LIKE wildcards are literal.
  store.Append(kCtx, "Odd_%-1", {Event::Raw("X", {{"n", 1}})});
  EXPECT_EQ(Positions(exporter, FilterByStreamPrefix("Odd_%")).size(), 1u);
  EXPECT_EQ(Positions(exporter, FilterByStreamPrefix("Odd__")).size(), 0u);
}

TEST(PostgresExportTest, ExportIndexesAreIdempotentAndChangeNoResult) {
  auto adapter = MakeAdapter();
  EventStore store(adapter);
  Fill(store, 40);
  DataExporter exporter(store);
  auto before = Positions(exporter, FilterByTenantID("t-rare"));
  adapter->CreateExportIndexes(kCtx);
  adapter->CreateExportIndexes(kCtx);
  auto indexes =
      AdminQuery("SELECT indexname FROM pg_indexes WHERE schemaname = '" + adapter->Schema() +
                 "' AND indexname LIKE 'idx_events_%_position' "
                 "ORDER BY 1");
  EXPECT_EQ(indexes,
            (std::vector<std::string>{"idx_events_tenant_position", "idx_events_user_position"}));
  EXPECT_EQ(Positions(exporter, FilterByTenantID("t-rare")), before);
}

TEST(PostgresExportTest, ACorruptRowMidScanStopsTheExportNamingItsPosition) {
  auto adapter = MakeAdapter();
  EventStore store(adapter);
  Fill(store, 20);
  const auto bad = AdminQuery("UPDATE \"" + adapter->Schema() +
                              "\".events SET metadata = '[1]' WHERE stream_id = 'Customer-10' "
                              "RETURNING global_position");
  ASSERT_EQ(bad.size(), 1u);
  DataExporter exporter(store, {.batch_size = 4});
  for (ExportFilter filter :
       {FilterByStreamPrefix("Customer-"), ExportFilter([](const StoredEvent&) { return true; })}) {
    std::vector<uint64_t> seen;
    try {
      exporter.ExportStream(
          kCtx, {.subject_id = "s", .filter = filter},
          [&](const Context&, const ExportedEvent& e) { seen.push_back(e.global_position); });
      FAIL() << "no error";
    } catch (const ExportError& e) {
      EXPECT_TRUE(e.Is(errc::kBadStoredEvent));
      EXPECT_NE(std::string(e.what()).find(bad[0]), std::string::npos) << e.what();
    }
    ASSERT_FALSE(seen.empty());
    EXPECT_LT(seen.back(), std::stoull(bad[0]));  // nothing after the bad row
  }
}

}  // namespace
}  // namespace mink::postgres
