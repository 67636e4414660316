// Runs the metadata-flow suite (tests/bus/metadata_flow_test.cpp) on PostgreSQL.
#include "conformance/event_store_conformance.hpp"
#include "postgres/pg_test_support.hpp"

namespace mink::testing {

conformance::AdapterFactory MetadataFlowAdapter() {
  return {"postgres",
          [] { return std::shared_ptr<EventStoreAdapter>(postgres::testing::MakeAdapter()); }};
}

}  // namespace mink::testing
