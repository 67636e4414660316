// mink/postgres/schema.hpp — SQL identifier validation and the adapter's versioned migrations.
//
// Guarantees:
//   * ValidateSchemaName accepts only ^[a-zA-Z_][a-zA-Z0-9_]*$ up to 63 bytes (PostgreSQL's
//     NAMEDATALEN - 1) and throws mink::Error(kInvalidSchemaName) otherwise — before any SQL is
//     built, so an unsafe name never reaches the server.
//   * QuoteIdentifier / QuoteLiteral produce SQL text that is safe for any input (quotes doubled).
//   * Migrations(schema) lists, in order, the DDL that Adapter::Initialize applies; each step is
//     recorded in <schema>.schema_migrations so a later release can upgrade an existing database.
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mink/error.hpp"

namespace mink::postgres {

inline constexpr std::size_t kMaxIdentifierLength = 63;

// True when `name` is a safe, unquoted-compatible SQL identifier.
inline bool IsValidIdentifier(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxIdentifierLength) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name.front())) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Throws Error(kInvalidSchemaName) unless IsValidIdentifier(name).
inline void ValidateSchemaName(std::string_view name) {
  if (!IsValidIdentifier(name)) {
    throw Error(errc::kInvalidSchemaName,
                "invalid schema name \"" + std::string(name) +
                    "\": must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and be at most 63 characters");
  }
}

// "name" with embedded double quotes doubled.
inline std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// 'text' with embedded single quotes doubled (standard_conforming_strings is on since 9.1).
inline std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// The two advisory-lock keys (two-int key space) that serialise position allocation of one
// schema: (kPositionLockClass, PositionLockKey(schema)). Stable across processes and builds.
inline constexpr int32_t kPositionLockClass = 0x4d494e4b;  // "MINK"
inline int32_t PositionLockKey(std::string_view schema) noexcept {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : schema) {
    h ^= c;
    h *= 16777619u;
  }
  return static_cast<int32_t>(h);
}

struct Migration {
  int version = 0;
  std::string name;
  std::string sql;  // one or more statements, run in one transaction
};

// The adapter's migrations for `schema` (validated), oldest first.
std::vector<Migration> Migrations(const std::string& schema);

// The NOTIFY channel appends signal on; the payload is the schema name.
inline constexpr std::string_view kNotifyChannel = "mink_events";

}  // namespace mink::postgres
