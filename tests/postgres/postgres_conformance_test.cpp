// The shared conformance suite on PostgreSQL: every test gets a fresh schema.
#include <memory>

#include "conformance/event_store_conformance.hpp"
#include "postgres/pg_test_support.hpp"

namespace mink::conformance {

INSTANTIATE_TEST_SUITE_P(Postgres, EventStoreConformance,
                         ::testing::Values(AdapterFactory{
                             "postgres", [] { return postgres::testing::MakeAdapter(); }}));

}  // namespace mink::conformance
