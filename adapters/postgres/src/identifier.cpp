// SQL identifiers and literals (mink/postgres/identifier.hpp).
#include "mink/postgres/identifier.hpp"

#include "mink/error.hpp"

namespace mink::postgres {
namespace {

// `text` between two `quote` characters, each embedded `quote` doubled (SQL's one rule for
// quoted identifiers and standard string literals).
std::string Quoted(std::string_view text, char quote) {
  std::string out(1, quote);
  out.reserve(text.size() + 2);
  for (char c : text) {
    if (c == quote) out += quote;
    out += c;
  }
  return out + quote;
}

}  // namespace

bool IsValidIdentifier(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxIdentifierLength) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name.front())) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

void ValidateSchemaName(std::string_view name) {
  if (!IsValidIdentifier(name)) {
    throw Error(errc::kInvalidSchemaName,
                "invalid schema name \"" + std::string(name) +
                    "\": must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and be at most 63 characters");
  }
}

std::string QuoteIdentifier(std::string_view name) { return Quoted(name, '"'); }

std::string QuoteLiteral(std::string_view text) { return Quoted(text, '\''); }

}  // namespace mink::postgres
