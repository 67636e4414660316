// The one translation of libpqxx exceptions into mink errors (adapters/postgres/src/
// error_mapping.hpp), row by row: every libpqxx exception class it maps, what it says about
// the connection, whether a read may retry, and that the libpqxx exception stays the Cause().
// No server needed.
#include <gtest/gtest.h>

#include <pqxx/except>

#include "mink/idempotency/errors.hpp"
#include "src/error_mapping.hpp"

namespace mink::postgres::internal {
namespace {

struct Expect {
  ErrorCode code;
  ConnectionFate connection;
  bool retryable;
};

// Maps `failure` with the connection open or closed and checks the outcome, including that
// Cause() rethrows the original exception as its own type.
template <class E>
MappedFailure Check(const E& failure, bool connection_open, Expect expect) {
  auto mapped = MapFailure(std::make_exception_ptr(failure), "load \"Order-1\"", connection_open);
  EXPECT_TRUE(mapped.has_value()) << typeid(E).name();
  if (!mapped) return {Error(errc::kUnknown, ""), ConnectionFate::kReuse, false};
  EXPECT_EQ(mapped->error.code(), expect.code) << typeid(E).name();
  EXPECT_EQ(mapped->connection, expect.connection) << typeid(E).name();
  EXPECT_EQ(mapped->retryable, expect.retryable) << typeid(E).name();
  EXPECT_NE(std::string(mapped->error.what()).find("load \"Order-1\""), std::string::npos);
  EXPECT_NE(std::string(mapped->error.what()).find(failure.what()), std::string::npos);
  EXPECT_THROW(std::rethrow_exception(mapped->error.Cause()), E) << typeid(E).name();
  return *mapped;
}

constexpr Expect kLostRetryable{errc::kConnectionFailed, ConnectionFate::kLost, true};
constexpr Expect kFailedDiscard{errc::kStorageFailed, ConnectionFate::kDiscard, false};
constexpr Expect kFailedReuse{errc::kStorageFailed, ConnectionFate::kReuse, false};

TEST(PostgresErrorMapping, ABrokenConnectionIsALostConnectionAReadMayRetry) {
  Check(pqxx::broken_connection("server closed the connection unexpectedly"), false,
        kLostRetryable);
  Check(pqxx::broken_connection("server closed the connection unexpectedly"), true, kLostRetryable);
  Check(pqxx::too_many_connections("sorry, too many clients already"), false, kLostRetryable);
}

TEST(PostgresErrorMapping, ACommitWhoseReplyWasLostIsAConnectionFailureNeverRetried) {
  auto m = Check(pqxx::in_doubt_error("lost connection during commit"), false,
                 {errc::kConnectionFailed, ConnectionFate::kLost, false});
  EXPECT_NE(std::string(m.error.what()).find("outcome unknown"), std::string::npos);
}

TEST(PostgresErrorMapping, ConnectionSqlStatesMeanTheSessionIsOver) {
  // 57P01 admin_shutdown (pg_terminate_backend), 57P02 crash_shutdown, 08006 connection_failure.
  for (const char* state : {"57P01", "57P02", "57P03", "08006", "08003"}) {
    Check(pqxx::sql_error("terminating connection", "SELECT 1", state), true, kLostRetryable);
  }
}

TEST(PostgresErrorMapping, AnSqlErrorOnALiveConnectionIsAStorageFailureWithItsSqlState) {
  auto m =
      Check(pqxx::sql_error("relation does not exist", "SELECT 1", "42P01"), true, kFailedDiscard);
  EXPECT_NE(std::string(m.error.what()).find("SQLSTATE 42P01"), std::string::npos);
  Check(pqxx::undefined_table("relation \"x\" does not exist", "SELECT", "42P01"), true,
        kFailedDiscard);
  Check(pqxx::data_exception("invalid input syntax for type json", "SELECT", "22P02"), true,
        kFailedDiscard);
  Check(pqxx::unique_violation("duplicate key", "INSERT", "23505"), true, kFailedDiscard);
  Check(pqxx::insufficient_privilege("permission denied", "SELECT", "42501"), true, kFailedDiscard);
  Check(pqxx::plpgsql_raise("raised", "SELECT", "P0001"), true, kFailedDiscard);
}

TEST(PostgresErrorMapping, AnSqlErrorAfterWhichTheConnectionIsClosedIsALostConnection) {
  Check(pqxx::sql_error("server closed the connection", "SELECT 1", "42P01"), false,
        kLostRetryable);
  Check(pqxx::failure("no connection"), false, kLostRetryable);
}

TEST(PostgresErrorMapping, ARolledBackTransactionIsAStorageFailure) {
  auto m = Check(pqxx::deadlock_detected("deadlock detected"), true, kFailedDiscard);
  EXPECT_NE(std::string(m.error.what()).find("rolled back"), std::string::npos);
  Check(pqxx::serialization_failure("could not serialize access"), true, kFailedDiscard);
  Check(pqxx::statement_completion_unknown("statement completion unknown"), true, kFailedDiscard);
  Check(pqxx::transaction_rollback("rolled back"), true, kFailedDiscard);
}

TEST(PostgresErrorMapping, OtherLibpqxxFailuresAreStorageFailures) {
  Check(pqxx::failure("something failed"), true, kFailedDiscard);
  Check(pqxx::usage_error("started a transaction while another one is open"), true, kFailedDiscard);
  Check(pqxx::internal_error("libpqxx bug"), true, kFailedDiscard);
  auto m = Check(pqxx::conversion_error("could not convert 'x' to int"), true, kFailedReuse);
  EXPECT_NE(std::string(m.error.what()).find("unexpected column value"), std::string::npos);
  Check(pqxx::range_error("row out of range"), true, kFailedReuse);
  Check(pqxx::unexpected_rows("expected 1 row, got 0"), true, kFailedReuse);
  Check(pqxx::argument_error("bad argument"), true, kFailedReuse);
}

TEST(PostgresErrorMapping, ExceptionsThatAreNotLibpqxxsAreNotMapped) {
  EXPECT_FALSE(MapFailure(nullptr, "op", true));
  EXPECT_FALSE(MapFailure(std::make_exception_ptr(Error(errc::kAdapterClosed, "x")), "op", true));
  EXPECT_FALSE(MapFailure(std::make_exception_ptr(std::runtime_error("hook")), "op", true));
  EXPECT_FALSE(MapFailure(std::make_exception_ptr(42), "op", false));
}

TEST(PostgresErrorMapping, ALostConnectionBehindAnIdempotencyErrorAnswersBothCodes) {
  auto mapped = MapFailure(std::make_exception_ptr(pqxx::broken_connection("gone")), "get", true);
  ASSERT_TRUE(mapped);
  IdempotencyError error("key-1", "lookup", std::make_exception_ptr(mapped->error));
  EXPECT_TRUE(ErrorIs(error, errc::kIdempotencyFailed));
  EXPECT_TRUE(ErrorIs(error, errc::kConnectionFailed));
  EXPECT_FALSE(ErrorIs(error, errc::kStorageFailed));
}

}  // namespace
}  // namespace mink::postgres::internal
