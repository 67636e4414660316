// The PostgreSQL OutboxStore: the contract suite, unsafe names, a corrupt row, and claims from
// two stores (separate connection pools) with FOR UPDATE SKIP LOCKED.
#include <gtest/gtest.h>

#include "conformance/outbox_store_conformance.hpp"
#include "mink/outbox/errors.hpp"
#include "mink/postgres/outbox_store.hpp"
#include "outbox/pg_outbox_support.hpp"
#include "postgres/pg_test_support.hpp"
#include "support/error_code.hpp"

namespace mink::conformance {

namespace pgt = postgres::testing;

INSTANTIATE_TEST_SUITE_P(Postgres, OutboxStoreConformance,
                         ::testing::Values(OutboxStoreFactory{
                             "postgres", [](OutboxClock clock) {
                               return std::shared_ptr<OutboxStore>(mink::testing::MakePgOutboxStore(
                                   pgt::UniqueSchema(), std::move(clock)));
                             }}));

namespace {

using mink::testing::CodeOf;
const Context kCtx;

TEST(PostgresOutboxStore, UnsafeNamesAreRefusedBeforeAnySql) {
  EXPECT_EQ(CodeOf([] {
              postgres::OutboxStore s({.url = pgt::DatabaseURL(), .schema = "x; DROP TABLE y"});
            }),
            errc::kInvalidSchemaName);
  EXPECT_EQ(CodeOf([] { postgres::OutboxStore s({.url = pgt::DatabaseURL(), .table = "a\"b"}); }),
            errc::kInvalidSchemaName);
  EXPECT_EQ(CodeOf([] { postgres::OutboxStore s({.url = "postgresql://[::1"}); }),
            errc::kInvalidArgument);
}

TEST(PostgresOutboxStore, InitializeIsIdempotentAndCreatesTheSeedsPartialIndexes) {
  auto store = mink::testing::MakePgOutboxStore();
  store->Initialize(kCtx);
  const std::string schema =
      store->QualifiedTable().substr(1, store->QualifiedTable().find('"', 1) - 1);
  auto defs = pgt::AdminQuery("SELECT indexdef FROM pg_indexes WHERE schemaname = '" + schema +
                              "' ORDER BY indexname");
  std::string all;
  for (const auto& d : defs) all += d + "\n";
  EXPECT_NE(all.find("(scheduled_at, seq) WHERE (status = 0)"), std::string::npos) << all;
  EXPECT_NE(all.find("(created_at) WHERE (status = 4)"), std::string::npos) << all;
}

TEST(PostgresOutboxStore, ACorruptRowIsDeadLetteredWithATypedErrorAndOthersAreDelivered) {
  auto store = mink::testing::MakePgOutboxStore();
  std::vector<OutboxMessage> ms(3);
  for (auto& m : ms) {
    m.aggregate_id = "Order-1";
    m.event_type = "OrderCreated";
    m.destination = "webhook:http://x";
    m.payload = "{}";
  }
  store->Schedule(kCtx, ms);
  pgt::AdminQuery("UPDATE " + store->QualifiedTable() + " SET headers = '[1]' WHERE id = '" +
                  ms[1].id + "'");
  auto claimed = store->FetchPending(kCtx, 10);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].id, ms[0].id);
  EXPECT_EQ(claimed[1].id, ms[2].id);
  auto dead = store->GetDeadLetterMessages(kCtx, 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, ms[1].id);
  EXPECT_NE(dead[0].last_error.find("CorruptOutboxMessage"), std::string::npos)
      << dead[0].last_error;
}

TEST(PostgresOutboxStore, TwoStoresOnOneTableClaimDisjointMessages) {
  const std::string schema = pgt::UniqueSchema();
  auto a = mink::testing::MakePgOutboxStore(schema);
  postgres::OutboxStore b({.url = pgt::DatabaseURL(), .schema = schema});
  std::vector<OutboxMessage> ms(10);
  for (auto& m : ms) {
    m.aggregate_id = "Order-1";
    m.event_type = "OrderCreated";
    m.destination = "kafka:orders";
    m.payload = "{}";
  }
  a->Schedule(kCtx, ms);
  auto first = a->FetchPending(kCtx, 4);
  auto second = b.FetchPending(kCtx, 100);
  EXPECT_EQ(first.size(), 4u);
  EXPECT_EQ(second.size(), 6u);
  for (const auto& m : first) {
    for (const auto& n : second) EXPECT_NE(m.id, n.id);
  }
  b.Close();
}

}  // namespace
}  // namespace mink::conformance
