// Private: keeps secrets and event data out of the messages of the adapter's errors.
//
//   RedactSecrets("bad URI postgresql://app:s3cret@[::1/db")  // "...postgresql://app:***@[::1/db"
//   ServerMessage(e.what(), e.sqlstate())                      // "ERROR:  invalid input syntax
//   ..."
//
// RedactSecrets masks the password of every connection string in `text`: the userinfo password
// of a URI ("scheme://user:PASSWORD@") and the value of a keyword/value or query parameter
// "password=VALUE" (quoted or not). libpq 15 quotes a malformed URI whole in its error text, and
// the adapter never logs, so every message that can carry a connection string goes through it.
//
// ServerMessage reduces a PostgreSQL error text to its primary line: DETAIL ("Key (id)=(...)",
// "Failing row contains (...)"), CONTEXT ("JSON data, line 1: ...") and HINT lines quote row
// values, i.e. event data. For data exceptions and integrity violations (SQLSTATE classes 22
// and 23) the primary line is also cut before a quoted input value ("invalid input syntax for
// type integer: \"...\""). Pure, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace mink::postgres::internal {

std::string RedactSecrets(std::string_view text);

std::string ServerMessage(std::string_view what, std::string_view sqlstate);

}  // namespace mink::postgres::internal
