// Private: the names processes sharing one database coordinate on — advisory-lock keys and
// the NOTIFY channel. They are part of the on-server contract between releases: changing one
// lets an old and a new process run unserialised side by side.
//
// Advisory locks use the two-int key space: (class, key). PositionLockKey hashes a name with
// FNV-1a, stable across processes, builds and platforms.
#pragma once

#include <cstdint>
#include <string_view>

namespace mink::postgres::internal {

// (kPositionLockClass, PositionLockKey(schema)): the session lock of append_events' critical
// section (xid and positions allocated in one order). Also, with key
// PositionLockKey("<schema>.<table>"), the transaction lock that serialises
// IdempotencyStore::Initialize.
inline constexpr int32_t kPositionLockClass = 0x4d494e4b;  // "MINK"
// (kMigrationLockClass, PositionLockKey(schema)): the transaction lock of Adapter::Initialize.
inline constexpr int32_t kMigrationLockClass = kPositionLockClass + 1;
// (kLeaderLockClass, PositionLockKey("<schema>.<name>")): a LeaderElection lease, held by the
// leader's own session.
inline constexpr int32_t kLeaderLockClass = kPositionLockClass + 2;

inline int32_t PositionLockKey(std::string_view name) noexcept {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : name) {
    h ^= c;
    h *= 16777619u;
  }
  return static_cast<int32_t>(h);
}

// The channel appends NOTIFY on; the payload is the schema name.
inline constexpr std::string_view kNotifyChannel = "mink_events";

}  // namespace mink::postgres::internal
