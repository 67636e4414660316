// mink/es/stream_id.hpp — stream identifiers of the form "Category-ID".
//
// An aggregate of type "Order" with ID "123" lives in stream "Order-123". The category is the
// text before the first '-' and is what SubscribeCategory matches.
#pragma once

#include <string>
#include <string_view>

#include "mink/es/errors.hpp"

namespace mink {

inline std::string BuildStreamID(std::string_view aggregate_type, std::string_view aggregate_id) {
  std::string id;
  id.reserve(aggregate_type.size() + 1 + aggregate_id.size());
  id.append(aggregate_type).append("-").append(aggregate_id);
  return id;
}

// Text before the first '-', or the whole ID when it has none.
inline std::string_view ExtractCategory(std::string_view stream_id) noexcept {
  return stream_id.substr(0, stream_id.find('-'));
}

struct StreamID {
  std::string category;
  std::string id;

  std::string String() const { return BuildStreamID(category, id); }
  bool IsZero() const noexcept { return category.empty() && id.empty(); }
  friend bool operator==(const StreamID&, const StreamID&) = default;
};

// Splits at the first '-'. Both parts must be non-empty (kInvalidStreamID otherwise).
inline StreamID ParseStreamID(std::string_view s) {
  auto dash = s.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == s.size()) {
    throw Error(errc::kInvalidStreamID,
                "invalid stream ID format \"" + std::string(s) + "\", expected 'Category-ID'");
  }
  return StreamID{std::string(s.substr(0, dash)), std::string(s.substr(dash + 1))};
}

}  // namespace mink
