// Reading a subscription in tests: up to `max` events within one overall deadline, and their
// global positions.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "mink/es/subscription.hpp"

namespace mink::testing {

inline std::vector<StoredEvent> Drain(Subscription& sub, std::size_t max,
                                      std::chrono::seconds wait) {
  std::vector<StoredEvent> got;
  Context ctx = Context{}.WithTimeout(wait);
  while (got.size() < max) {
    auto e = sub.Next(ctx);
    if (!e) break;
    got.push_back(std::move(*e));
  }
  return got;
}

inline std::vector<uint64_t> PositionsOf(const std::vector<StoredEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.global_position);
  return out;
}

}  // namespace mink::testing
