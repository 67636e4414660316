// BuildConnInfo (mink/postgres/conninfo.hpp): libpq parses, we re-emit with defaults added.
#include "mink/postgres/conninfo.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>

#include "mink/error.hpp"
#include "redact.hpp"

namespace mink::postgres {
namespace {

// A keyword/value string value: single-quoted, with ' and \ backslash-escaped (libpq's rule).
std::string QuoteConnValue(const char* value) {
  std::string out = "'";
  for (const char* p = value; *p != '\0'; ++p) {
    if (*p == '\'' || *p == '\\') out += '\\';
    out += *p;
  }
  return out + "'";
}

}  // namespace

std::string BuildConnInfo(const std::string& url, std::chrono::seconds connect_timeout,
                          const std::string& application_name) {
  if (url.empty()) throw Error(errc::kInvalidArgument, "PostgreSQL connection URL is empty");
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    std::string reason = err != nullptr ? err : "out of memory";
    if (err != nullptr) PQfreemem(err);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    // libpq quotes a malformed URI whole, password included.
    throw Error(errc::kInvalidArgument,
                "malformed PostgreSQL connection URL: " + internal::RedactSecrets(reason));
  }
  std::string conninfo;
  bool has_timeout = false, has_app = false;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string key = o->keyword;
    has_timeout |= key == "connect_timeout";
    has_app |= key == "application_name";
    conninfo += key + "=" + QuoteConnValue(o->val) + " ";
  }
  PQconninfoFree(opts);
  if (!has_timeout) {
    const auto secs = std::max<int64_t>(2, connect_timeout.count());
    conninfo += "connect_timeout=" + std::to_string(secs) + " ";
  }
  if (!has_app && !application_name.empty()) {
    conninfo += "application_name=" + QuoteConnValue(application_name.c_str());
  }
  return conninfo;
}

}  // namespace mink::postgres
