// The encrypted-store suite on PostgreSQL: every test gets a fresh schema.
#include "encryption/encrypted_store_suite.hpp"
#include "postgres/pg_test_support.hpp"

namespace mink::testing {
namespace {
const conformance::AdapterFactory kPostgres{"postgres",
                                            [] { return postgres::testing::MakeAdapter(); }};
}  // namespace

INSTANTIATE_TEST_SUITE_P(Postgres, EncryptedStoreSuite, ::testing::Values(kPostgres));

}  // namespace mink::testing
