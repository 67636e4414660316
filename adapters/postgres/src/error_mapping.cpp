// The translation table of error_mapping.hpp.
#include "error_mapping.hpp"

#include <string>
#include <type_traits>

#include <pqxx/except>

#include "redact.hpp"

namespace mink::postgres::internal {
namespace {

// SQLSTATE class 08 (connection exception) and 57P (operator intervention: admin or crash
// shutdown, cannot connect now): the session is over.
bool IsConnectionState(const std::string& state) {
  return state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0;
}

// What a failure's message may say: a server error's primary line, any other text with
// connection secrets masked (redact.hpp).
std::string Text(const std::exception& e) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    return ServerMessage(sql->what(), sql->sqlstate());
  }
  return RedactSecrets(e.what());
}

// The cause kept by the mink error. A data exception or integrity violation (SQLSTATE class 22,
// 23) quotes row values in its text and its query, so it is replaced by the same libpqxx type
// carrying only the sanitized primary line and the SQLSTATE.
template <class E>
bool Rebuild(const pqxx::sql_error& e, std::exception_ptr& out) {
  if constexpr (!std::is_same_v<E, pqxx::sql_error>) {
    if (dynamic_cast<const E*>(&e) == nullptr) return false;
  }
  out = std::make_exception_ptr(E(Text(e), "", e.sqlstate().c_str()));
  return true;
}

std::exception_ptr SafeCause(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    if (state.rfind("22", 0) != 0 && state.rfind("23", 0) != 0) return failure;
    std::exception_ptr out;
    if (Rebuild<pqxx::unique_violation>(e, out) || Rebuild<pqxx::check_violation>(e, out) ||
        Rebuild<pqxx::not_null_violation>(e, out) || Rebuild<pqxx::foreign_key_violation>(e, out) ||
        Rebuild<pqxx::restrict_violation>(e, out) ||
        Rebuild<pqxx::integrity_constraint_violation>(e, out) ||
        Rebuild<pqxx::data_exception>(e, out) || Rebuild<pqxx::sql_error>(e, out)) {
      return out;
    }
  } catch (...) {
  }
  return failure;
}

MappedFailure Lost(std::string_view op, const std::exception& e, const std::exception_ptr& cause,
                   bool retryable = true) {
  return {Error(errc::kConnectionFailed,
                std::string(op) + ": PostgreSQL connection failed: " + Text(e), cause),
          ConnectionFate::kLost, retryable};
}

MappedFailure Failed(std::string_view op, const std::string& what, ConnectionFate fate,
                     const std::exception_ptr& cause) {
  return {Error(errc::kStorageFailed, std::string(op) + " failed: " + what, SafeCause(cause)), fate,
          false};
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
        Error(errc::kOutcomeUnknown,
              std::string(op) + ": connection lost during COMMIT, outcome unknown: " + Text(e),
              failure),
        ConnectionFate::kLost, false};
  } catch (const pqxx::broken_connection& e) {
    return Lost(op, e, failure);
  } catch (const pqxx::transaction_rollback& e) {
    // Before sql_error: libpqxx 7 derives it from sql_error, 6.4 from failure.
    if (!connection_open) return Lost(op, e, failure);
    return Failed(op, "transaction rolled back: " + Text(e), ConnectionFate::kDiscard, failure);
  } catch (const pqxx::sql_error& e) {
    if (!connection_open || IsConnectionState(e.sqlstate())) return Lost(op, e, failure);
    return Failed(op, Text(e) + " (SQLSTATE " + e.sqlstate() + ")", ConnectionFate::kDiscard,
                  failure);
  } catch (const pqxx::failure& e) {
    if (!connection_open) return Lost(op, e, failure);
    return Failed(op, Text(e), ConnectionFate::kDiscard, failure);
  } catch (const pqxx::usage_error& e) {
    return Failed(op, Text(e), ConnectionFate::kDiscard, failure);
  } catch (const pqxx::internal_error& e) {
    return Failed(op, Text(e), ConnectionFate::kDiscard, failure);
  } catch (const pqxx::conversion_error& e) {
    return Failed(op, "unexpected column value: " + Text(e), ConnectionFate::kReuse, failure);
  } catch (const pqxx::range_error& e) {
    return Failed(op, "unexpected result shape: " + Text(e), ConnectionFate::kReuse, failure);
  } catch (const pqxx::argument_error& e) {
    return Failed(op, Text(e), ConnectionFate::kReuse, failure);
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace mink::postgres::internal
