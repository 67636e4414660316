// mink/postgres/conninfo.hpp — the libpq connection string every store of the adapter uses.
//
//   std::string conninfo = mink::postgres::BuildConnInfo(url, std::chrono::seconds(5));
//
// BuildConnInfo validates `url` (a libpq URI "postgresql://user:pw@host:port/db?..." or a
// keyword/value string) with libpq's own parser, so a malformed URL is refused by the
// constructor of a store, before any connection is attempted: Error(kInvalidArgument) with
// libpq's reason, any password in it masked as "***" (libpq 15 quotes the whole URI). It
// returns a keyword/value string with every value quoted, plus connect_timeout (rounded up to
// at least 2 s) and application_name unless the URL sets them.
// Pure and thread-safe.
#pragma once

#include <chrono>
#include <string>

namespace mink::postgres {

std::string BuildConnInfo(const std::string& url, std::chrono::seconds connect_timeout,
                          const std::string& application_name = "mink");

}  // namespace mink::postgres
