// The one translation of libpqxx exceptions into mink errors (adapters/postgres/src/
// error_mapping.hpp), row by row: every libpqxx exception class it maps, what it says about
// the connection, whether a read may retry, and that the libpqxx exception stays the Cause().
// No server needed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <pqxx/except>

#include "mink/idempotency/errors.hpp"
#include "src/error_mapping.hpp"
#include "src/redact.hpp"

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

TEST(PostgresErrorMapping, ACommitWhoseReplyWasLostIsAnUnknownOutcomeNeverRetried) {
  auto m = Check(pqxx::in_doubt_error("lost connection during commit"), false,
                 {errc::kOutcomeUnknown, ConnectionFate::kLost, false});
  EXPECT_FALSE(m.error.Is(errc::kConnectionFailed));
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

// Issue 9 item 4: no password and no row value reaches a mapped error, its message or its cause.
constexpr const char* kSecret = "PLANTED-s3cret";
constexpr const char* kPayload = "PAYLOAD-MARKER";

bool Leaks(const std::string& text) {
  return text.find(kSecret) != std::string::npos || text.find(kPayload) != std::string::npos;
}

TEST(PostgresRedaction, PasswordsOfEveryConnectionStringFormAreMasked) {
  const std::string s = kSecret;
  for (const std::string& text :
       {"invalid IPv6 host address in URI: \"postgresql://app:" + s + "@[::1/db\"",
        "postgres://app:" + s + "@host:5432/db?sslmode=disable",
        "postgresql://app:" + s + "/x@host/db", "postgresql://app:" + s + "@h1,h2/db",
        "host=h user=app password=" + s + " dbname=d", "password = '" + s + " \\' x' port=1",
        "PASSWORD=" + s, "postgresql://h/db?user=app&password=" + s + "&sslmode=require"}) {
    const std::string redacted = RedactSecrets(text);
    EXPECT_FALSE(Leaks(redacted)) << redacted;
    EXPECT_NE(redacted.find("***"), std::string::npos) << redacted;
  }
  EXPECT_EQ(RedactSecrets("connection to server at \"h\" (::1), port 5432 failed"),
            "connection to server at \"h\" (::1), port 5432 failed");
  EXPECT_EQ(RedactSecrets("postgresql://app@h:5432/db"), "postgresql://app@h:5432/db");
}

TEST(PostgresRedaction, ServerErrorsKeepTheirPrimaryLineWithoutQuotedData) {
  const std::string p = kPayload;
  struct Case {
    std::string what, state;
  };
  for (const Case& c : std::vector<Case>{
           {"ERROR:  invalid input syntax for type json\nDETAIL:  Token \"" + p +
                "\" is invalid.\nCONTEXT:  JSON data, line 1: " + p + "\n",
            "22P02"},
           {"ERROR:  invalid input syntax for type integer: \"" + p + "\"\n", "22P02"},
           {"ERROR:  duplicate key value violates unique constraint \"t_pkey\"\nDETAIL:  Key "
            "(v)=(" +
                p + ") already exists.\n",
            "23505"},
           {"ERROR:  new row violates check constraint \"c\"\nDETAIL:  Failing row contains (" + p +
                ").\n",
            "23514"}}) {
    const std::string message = ServerMessage(c.what, c.state);
    EXPECT_FALSE(Leaks(message)) << message;
    EXPECT_EQ(message.rfind("ERROR:  ", 0), 0u) << message;
  }
}

TEST(PostgresRedaction, AMappedServerErrorCarriesNoDataInItsMessageOrCause) {
  const std::string p = kPayload;
  auto mapped = MapFailure(
      std::make_exception_ptr(pqxx::unique_violation(
          "ERROR:  duplicate key value violates unique constraint \"t_pkey\"\nDETAIL:  Key (v)=(" +
              p + ") already exists.\n",
          "INSERT INTO t VALUES ('" + p + "')", "23505")),
      "append", true);
  ASSERT_TRUE(mapped);
  EXPECT_FALSE(Leaks(mapped->error.what())) << mapped->error.what();
  EXPECT_NE(std::string(mapped->error.what()).find("t_pkey"), std::string::npos);
  try {
    std::rethrow_exception(mapped->error.Cause());
  } catch (const pqxx::unique_violation& e) {
    EXPECT_FALSE(Leaks(e.what())) << e.what();
    EXPECT_FALSE(Leaks(e.query())) << e.query();
    EXPECT_EQ(e.sqlstate(), "23505");
  }
  auto lost = MapFailure(std::make_exception_ptr(pqxx::broken_connection(
                             "could not connect: postgresql://app:" + std::string(kSecret) + "@h")),
                         "connect", false);
  ASSERT_TRUE(lost);
  EXPECT_FALSE(Leaks(lost->error.what())) << lost->error.what();
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
