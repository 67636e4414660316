// The translation table of error_mapping.hpp.
#include "error_mapping.hpp"

#include <string>

#include <pqxx/except>

namespace mink::postgres::internal {
namespace {

// SQLSTATE class 08 (connection exception) and 57P (operator intervention: admin or crash
// shutdown, cannot connect now): the session is over.
bool IsConnectionState(const std::string& state) {
  return state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0;
}

MappedFailure Lost(std::string_view op, const std::exception& e, const std::exception_ptr& cause,
                   bool retryable = true) {
  return {Error(errc::kConnectionFailed,
                std::string(op) + ": PostgreSQL connection failed: " + e.what(), cause),
          ConnectionFate::kLost, retryable};
}

MappedFailure Failed(std::string_view op, const std::string& what, ConnectionFate fate,
                     const std::exception_ptr& cause) {
  return {Error(errc::kStorageFailed, std::string(op) + " failed: " + what, cause), fate, false};
}

}  // namespace

std::optional<MappedFailure> MapFailure(const std::exception_ptr& failure,
                                        std::string_view operation, bool connection_open) {
  if (!failure) return std::nullopt;
  const std::string_view op = operation;
  try {
    std::rethrow_exception(failure);
  } catch (const Error&) {
    return std::nullopt;
  } catch (const pqxx::in_doubt_error& e) {
    return MappedFailure{
        Error(errc::kConnectionFailed,
              std::string(op) + ": connection lost during COMMIT, outcome unknown: " + e.what(),
              failure),
        ConnectionFate::kLost, false};
  } catch (const pqxx::broken_connection& e) {
    return Lost(op, e, failure);
  } catch (const pqxx::transaction_rollback& e) {
    // Before sql_error: libpqxx 7 derives it from sql_error, 6.4 from failure.
    if (!connection_open) return Lost(op, e, failure);
    return Failed(op, std::string("transaction rolled back: ") + e.what(), ConnectionFate::kDiscard,
                  failure);
  } catch (const pqxx::sql_error& e) {
    if (!connection_open || IsConnectionState(e.sqlstate())) return Lost(op, e, failure);
    return Failed(op, std::string(e.what()) + " (SQLSTATE " + e.sqlstate() + ")",
                  ConnectionFate::kDiscard, failure);
  } catch (const pqxx::failure& e) {
    if (!connection_open) return Lost(op, e, failure);
    return Failed(op, e.what(), ConnectionFate::kDiscard, failure);
  } catch (const pqxx::usage_error& e) {
    return Failed(op, e.what(), ConnectionFate::kDiscard, failure);
  } catch (const pqxx::internal_error& e) {
    return Failed(op, e.what(), ConnectionFate::kDiscard, failure);
  } catch (const pqxx::conversion_error& e) {
    return Failed(op, std::string("unexpected column value: ") + e.what(), ConnectionFate::kReuse,
                  failure);
  } catch (const pqxx::range_error& e) {
    return Failed(op, std::string("unexpected result shape: ") + e.what(), ConnectionFate::kReuse,
                  failure);
  } catch (const pqxx::argument_error& e) {
    return Failed(op, e.what(), ConnectionFate::kReuse, failure);
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace mink::postgres::internal
