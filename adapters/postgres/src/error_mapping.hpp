// Private: the one translation of libpqxx exceptions into mink errors, used by every store of
// the adapter (event adapter, idempotency store) and by the connection pool.
//
//   catch (...) {
//     auto failure = MapFailure(std::current_exception(), "load \"Order-1\"", conn.is_open());
//     if (!failure) throw;                 // not libpqxx's: rethrown unchanged
//     ... act on failure->connection, maybe retry when failure->retryable ...
//     throw failure->error;                // mink::Error, Cause() = the libpqxx exception
//   }
//
// The table (tests/postgres/postgres_error_mapping_test.cpp checks every row):
//   in_doubt_error (COMMIT sent, reply lost)       kOutcomeUnknown    lost     no retry
//   broken_connection, too_many_connections        kConnectionFailed  lost     retryable
//   sql_error with SQLSTATE class 08 or 57P, or
//     any failure after which the connection is
//     closed (terminated backend, restart)         kConnectionFailed  lost     retryable
//   transaction_rollback (deadlock, serialization) kStorageFailed     discard
//   other sql_error (message has the SQLSTATE)     kStorageFailed     discard
//   other failure, usage_error, internal_error     kStorageFailed     discard
//   conversion_error, range_error (unexpected_rows),
//     argument_error                               kStorageFailed     reuse
//   anything else (a mink::Error, a hook's own exception): not mapped (nullopt)
// Messages carry no secrets or event data (redact.hpp): a server error contributes its primary
// line only, and a class 22/23 cause is rebuilt from that line (same libpqxx type and SQLSTATE).
// A failed statement discards its connection because it may have left session state behind
// (the session advisory lock of append_events' critical section); "lost" additionally retires
// the pool's older idle connections. Thread-safe, no I/O.
#pragma once

#include <exception>
#include <optional>
#include <string_view>

#include "mink/error.hpp"

namespace mink::postgres::internal {

// What a failure says about the connection it happened on.
enum class ConnectionFate {
  kReuse,    // healthy: the failure was in reading a result
  kDiscard,  // close it rather than return it to the pool
  kLost,     // gone; siblings opened before it are probably gone too (Lease::MarkBroken)
};

struct MappedFailure {
  Error error;  // what to throw; Cause() is the libpqxx exception
  ConnectionFate connection;
  bool retryable;  // nothing was done on the server: a read may retry on a fresh connection
};

// `operation` names what failed ("append to \"Order-1\""); `connection_open` is the
// connection's is_open() after the failure (false while a connection is being set up).
std::optional<MappedFailure> MapFailure(const std::exception_ptr& failure,
                                        std::string_view operation, bool connection_open);

}  // namespace mink::postgres::internal
