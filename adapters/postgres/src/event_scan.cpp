// The EventScanAdapter capability: a filtered scan of the events table with the filter in SQL,
// so an export for one tenant reads its events, not every event (docs/gdpr-export.md).
#include <pqxx/nontransaction>
#include <pqxx/prepared_statement>

#include "event_core.hpp"
#include "event_sql.hpp"

namespace mink::postgres::internal {

EventScanPage Core::ScanEvents(const Context& ctx, uint64_t from, uint64_t to, std::size_t limit,
                               const EventScanFilter& filter) {
  if (limit == 0) limit = kDefaultLoadLimit;
  EventScanPage page;
  if (from >= to) {
    page.next_position = from;
    page.done = true;
    return page;
  }
  std::vector<std::string> params{std::to_string(from), std::to_string(to), std::to_string(limit)};
  const std::string sql = BuildScanQuery(quoted_schema_, filter, params);
  DecodedRows rows = Run(ctx, "scan events", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction n(*lease);
    return ToStoredUntilBad(n.exec_params(sql, pqxx::prepare::make_dynamic_params(params)));
  });
  if (rows.bad && rows.events.empty()) throw *rows.bad;
  const bool full = rows.events.size() >= limit;
  page.events = std::move(rows.events);
  if (rows.bad) {  // hand out the rows before the bad one; the next page starts with it
    page.next_position = page.events.back().global_position;
    return page;
  }
  page.done = !full;
  page.next_position = full ? page.events.back().global_position : to;
  return page;
}

void Core::CreateExportIndexes(const Context& ctx) {
  Run(ctx, "create export indexes", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction n(*lease);
    n.exec0("CREATE INDEX IF NOT EXISTS idx_events_tenant_position ON " + quoted_schema_ +
            ".events ((metadata->>'tenantId'), global_position)");
    n.exec0("CREATE INDEX IF NOT EXISTS idx_events_user_position ON " + quoted_schema_ +
            ".events ((metadata->>'userId'), global_position)");
    return 0;
  });
}

}  // namespace mink::postgres::internal
