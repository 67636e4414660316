// The definitions of mink/encryption/data_key_cache.hpp (compiled into libmink by
// src/encryption_data_key_cache.cpp, or inline in the header-only shape).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/encryption/data_key_cache.hpp"
#endif

namespace mink {

MINK_INLINE DataKeyCache::DataKeyCache(DataKeyCacheOptions options, EncryptionClock clock)
    : options_(options), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

MINK_INLINE std::string DataKeyCache::EntryID(std::string_view key_id, std::string_view wrapped) {
  std::string id;
  id.reserve(key_id.size() + 1 + wrapped.size());
  id.append(key_id).append(1, '\0').append(wrapped);
  return id;
}

MINK_INLINE uint64_t DataKeyCache::Epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

MINK_INLINE void DataKeyCache::EraseLocked(std::list<Entry>::iterator it) {
  index_.erase(std::string_view(it->id));
  lru_.erase(it);  // the SecretBytes wipes itself
  ++stats_.evictions;
}

MINK_INLINE std::optional<SecretBytes> DataKeyCache::Get(std::string_view key_id,
                                                         std::string_view wrapped) {
  const std::string id = EntryID(key_id, wrapped);
  std::lock_guard lock(mu_);
  auto found = index_.find(std::string_view(id));
  if (found == index_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  auto it = found->second;
  if (clock_() >= it->expires) {
    EraseLocked(it);
    ++stats_.misses;
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it);
  ++stats_.hits;
  return it->key.Clone();
}

MINK_INLINE void DataKeyCache::Put(std::string_view key_id, std::string_view wrapped,
                                   const SecretBytes& key, uint64_t epoch) {
  if (options_.ttl.count() <= 0 || options_.max_entries == 0) return;
  std::string id = EntryID(key_id, wrapped);
  const auto expires = clock_() + options_.ttl;
  std::lock_guard lock(mu_);
  if (epoch != epoch_) return;  // a purge ran while this key was being unwrapped
  if (auto found = index_.find(std::string_view(id)); found != index_.end()) {
    found->second->expires = expires;
    lru_.splice(lru_.begin(), lru_, found->second);
    return;
  }
  while (lru_.size() >= options_.max_entries) EraseLocked(std::prev(lru_.end()));
  lru_.push_front(Entry{std::move(id), key_id.size(), key.Clone(), expires});
  index_.emplace(std::string_view(lru_.front().id), lru_.begin());
}

MINK_INLINE void DataKeyCache::PurgeKey(std::string_view key_id) {
  std::lock_guard lock(mu_);
  ++epoch_;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->key_id_size == key_id.size() && it->id.compare(0, key_id.size(), key_id) == 0) {
      EraseLocked(it);
    }
    it = next;
  }
}

MINK_INLINE void DataKeyCache::Clear() {
  std::lock_guard lock(mu_);
  ++epoch_;
  while (!lru_.empty()) EraseLocked(lru_.begin());
}

MINK_INLINE DataKeyCacheStats DataKeyCache::Stats() const {
  std::lock_guard lock(mu_);
  DataKeyCacheStats s = stats_;
  s.size = lru_.size();
  return s;
}

}  // namespace mink
