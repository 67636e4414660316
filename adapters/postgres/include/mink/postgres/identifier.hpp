// mink/postgres/identifier.hpp — SQL identifiers and literals the adapter builds SQL from.
//
// The adapter's stores take their schema and table names from options, so those names end up
// in SQL text. ValidateSchemaName accepts only ^[a-zA-Z_][a-zA-Z0-9_]*$ up to 63 bytes
// (PostgreSQL's NAMEDATALEN - 1) and throws mink::Error(kInvalidSchemaName) otherwise — before
// any SQL is built, so an unsafe name never reaches the server. QuoteIdentifier / QuoteLiteral
// produce SQL text that is safe for any input (embedded quotes doubled).
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mink::postgres {

inline constexpr std::size_t kMaxIdentifierLength = 63;

// True when `name` is a safe, unquoted-compatible SQL identifier.
bool IsValidIdentifier(std::string_view name) noexcept;

// Throws Error(kInvalidSchemaName) unless IsValidIdentifier(name).
void ValidateSchemaName(std::string_view name);

// "name" with embedded double quotes doubled.
std::string QuoteIdentifier(std::string_view name);

// 'text' with embedded single quotes doubled (standard_conforming_strings is on since 9.1).
std::string QuoteLiteral(std::string_view text);

}  // namespace mink::postgres
