// mink/idempotency/key-inl.hpp — definitions for key.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/idempotency/key.hpp"
#endif

#include <algorithm>

#include "mink/detail/sha256.hpp"
#include "mink/idempotency/store.hpp"

namespace mink {

namespace detail {

MINK_INLINE std::string TypeOnlyIdempotencyKey(std::string_view command_type) {
  const auto digest = Sha256(command_type);
  return std::string(command_type) + ":type-only:" + Hex(digest.data(), 16);
}

MINK_INLINE std::string IdempotencyKeyFromJson(std::string_view command_type,
                                               const nlohmann::json& canonical) {
  try {
    const auto digest = Sha256(canonical.dump());
    return std::string(command_type) + ":" + Hex(digest.data(), 16);
  } catch (const nlohmann::json::exception&) {
    // Not encodable (e.g. invalid UTF-8): the type-only key.
    return TypeOnlyIdempotencyKey(command_type);
  }
}

}  // namespace detail

MINK_INLINE std::string EffectiveIdempotencyKey(std::string_view command_type,
                                                std::string_view scope, std::string_view key) {
  // Both prefixes carry their length, so no scope, type or key can imitate another's: an
  // unscoped key that looks like "8:tenant-a|..." still starts with "0:|".
  std::string prefix = std::to_string(scope.size()) + ":" + std::string(scope) + "|" +
                       std::to_string(command_type.size()) + ":" + std::string(command_type) + "|";
  std::string scoped = prefix + std::string(key);
  if (scoped.size() <= kMaxIdempotencyKeyLength) return scoped;
  const auto digest = detail::Sha256(scoped);
  const std::string suffix = ":sha256:" + detail::Hex(digest.data(), digest.size());
  prefix.resize(std::min(prefix.size(), kMaxIdempotencyKeyLength - suffix.size()));
  return prefix + suffix;
}

}  // namespace mink
