// The adapter's public headers, all but transaction.hpp, do not include libpqxx, so a user's
// translation unit that includes them stays free of it. Checked at compile time: any libpqxx
// header pulls in pqxx/compiler-public.hxx and pqxx/version.hxx, whose include guards would
// then be defined here.
#include "mink/postgres/adapter.hpp"
#include "mink/postgres/conninfo.hpp"
#include "mink/postgres/errors.hpp"
#include "mink/postgres/idempotency_store.hpp"
#include "mink/postgres/identifier.hpp"
#include "mink/postgres/migrations.hpp"
#include "mink/postgres/pool_stats.hpp"

#if defined(PQXX_H_COMPILER_PUBLIC) || defined(PQXX_H_VERSION) || defined(PQXX_H_CONNECTION)
#error "a public header of mink::postgres other than transaction.hpp includes libpqxx"
#endif

#include <gtest/gtest.h>

TEST(PostgresHeaders, OnlyTransactionHppIncludesLibpqxx) { SUCCEED(); }
