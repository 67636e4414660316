// mink/es/version.hpp — expected-version constants and the optimistic-concurrency rule.
//
// Every adapter applies CheckVersion under its own lock or transaction, so all adapters agree
// (tests/conformance checks it):
//   AnyVersion (-1)   : no check.
//   NoStream (0)      : the stream must not exist (ConcurrencyError if it does).
//   StreamExists (-2) : the stream must exist (StreamNotFoundError if it does not).
//   other < -2        : InvalidVersion.
//   N > 0             : the stream's current version must be N; a missing stream counts as 0,
//                       so expecting 5 on a missing stream is a ConcurrencyError.
#pragma once

#include <cstdint>
#include <string>

#include "mink/es/errors.hpp"

namespace mink {

inline constexpr int64_t AnyVersion = -1;
inline constexpr int64_t NoStream = 0;
inline constexpr int64_t StreamExists = -2;

// Throws InvalidVersion for an expected version below StreamExists.
inline void ValidateExpectedVersion(int64_t expected) {
  if (expected < StreamExists) {
    throw Error(errc::kInvalidVersion,
                "invalid expected version " + std::to_string(expected) +
                    " (use AnyVersion, NoStream, StreamExists or a version >= 1)");
  }
}

inline void CheckVersion(const std::string& stream_id, int64_t expected, int64_t current,
                         bool exists) {
  ValidateExpectedVersion(expected);
  if (expected == AnyVersion) return;
  if (expected == NoStream) {
    if (exists) throw ConcurrencyError(stream_id, NoStream, current);
    return;
  }
  if (expected == StreamExists) {
    if (!exists) throw StreamNotFoundError(stream_id);
    return;
  }
  if (current != expected) throw ConcurrencyError(stream_id, expected, current);
}

}  // namespace mink
