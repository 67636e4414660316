// The shared conformance suites on PostgreSQL: every test gets a fresh schema.
#include <memory>

#include "conformance/event_store_conformance.hpp"
#include "postgres/pg_test_support.hpp"

namespace mink::conformance {
namespace {
const AdapterFactory kPostgres{"postgres", [] { return postgres::testing::MakeAdapter(); }};
}  // namespace

INSTANTIATE_TEST_SUITE_P(Postgres, EventStoreConformance, ::testing::Values(kPostgres));
INSTANTIATE_TEST_SUITE_P(Postgres, EventStorePipelineConformance, ::testing::Values(kPostgres));

INSTANTIATE_TEST_SUITE_P(Postgres, ExportConformance, ::testing::Values(kPostgres));

}  // namespace mink::conformance
