// mink/encryption/data_key_cache.hpp — DataKeyCache: a bounded cache of unwrapped data keys
// for the load path, so reading a stream costs one provider call per distinct data key rather
// than one per event.
//
// Entries are keyed by (master key ID, wrapped data key), live at most `ttl` and at most
// `max_entries` of them are kept (least recently used evicted first). Every evicted, expired
// or purged key is wiped (SecretBytes). PurgeKey(id) drops every entry of one master key at
// once, and an unwrap that was in flight while a purge ran is not cached afterwards (Put
// carries the epoch seen before the provider call). Thread safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mink/detail/config.hpp"
#include "mink/encryption/clock.hpp"
#include "mink/encryption/secret_bytes.hpp"

namespace mink {

struct DataKeyCacheOptions {
  // How long an unwrapped data key may be used without asking the provider again; also how
  // long a revocation made by another process can go unnoticed here. 0 disables the cache.
  std::chrono::milliseconds ttl = std::chrono::minutes(5);
  std::size_t max_entries = 1000;
};

struct DataKeyCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;  // expired, displaced or purged entries (all wiped)
  std::size_t size = 0;
};

class MINK_API DataKeyCache {
 public:
  explicit DataKeyCache(DataKeyCacheOptions options = {}, EncryptionClock clock = {});

  // The epoch to pass to Put: read it before asking the provider.
  uint64_t Epoch() const;
  // A copy of the cached data key, or nullopt (missing or expired).
  std::optional<SecretBytes> Get(std::string_view key_id, std::string_view wrapped);
  // Caches `key` unless a purge happened since `epoch` or the cache is disabled.
  void Put(std::string_view key_id, std::string_view wrapped, const SecretBytes& key,
           uint64_t epoch);
  // Drops (and wipes) every entry of master key `key_id`.
  void PurgeKey(std::string_view key_id);
  void Clear();
  DataKeyCacheStats Stats() const;

 private:
  struct Entry {
    std::string id;  // key_id '\0' wrapped
    std::size_t key_id_size = 0;
    SecretBytes key;
    std::chrono::system_clock::time_point expires;
  };
  static std::string EntryID(std::string_view key_id, std::string_view wrapped);
  void EraseLocked(std::list<Entry>::iterator it);

  DataKeyCacheOptions options_;
  EncryptionClock clock_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views into lru_
  uint64_t epoch_ = 0;
  DataKeyCacheStats stats_;
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/encryption/data_key_cache-inl.hpp"
#endif
