// Private: timestamps cross the wire as microseconds since the Unix epoch (BIGINT), the
// resolution of TIMESTAMPTZ. One conversion each way for every store of the adapter.
#pragma once

#include <chrono>
#include <cstdint>

#include "mink/es/stored_event.hpp"

namespace mink::postgres::internal {

inline Timestamp FromMicros(int64_t micros) {
  return Timestamp{} + std::chrono::microseconds(micros);
}

inline int64_t ToMicros(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

}  // namespace mink::postgres::internal
