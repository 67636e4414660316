// mink/idempotency/store.hpp — where IdempotencyMiddleware remembers processed commands.
//
// A record is either a reservation (status kProcessing: a handler is running the command right
// now) or a completed result (status kCompleted) that duplicates are answered with. Both expire
// at expires_at; an expired record is invisible to Get and may be taken over by StoreIfAbsent,
// so a crashed process never blocks retries for longer than its reservation TTL.
//
// Contract shared by every store (tests/conformance/idempotency_store_conformance.cpp):
//   * StoreIfAbsent is atomic: of many concurrent calls for one key exactly one returns true.
//   * Keys are 1..kMaxIdempotencyKeyLength bytes; anything else is kInvalidArgument and
//     nothing is written.
//   * Failures of the backing system are mink::Error (kConnectionFailed / kStorageFailed);
//     a closed store throws kAdapterClosed.
//   * All methods are safe to call concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mink/context.hpp"
#include "mink/error.hpp"
#include "mink/es/stored_event.hpp"

namespace mink {

inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

enum class IdempotencyStatus { kProcessing, kCompleted };

struct IdempotencyRecord {
  std::string key;
  std::string command_type;
  std::string aggregate_id;
  int64_t version = 0;
  std::string response;  // the serialized CommandResult data (JSON text), may be empty
  std::string error;     // the failure message of a cached failure
  bool success = false;
  IdempotencyStatus status = IdempotencyStatus::kCompleted;
  Timestamp processed_at{};
  Timestamp expires_at{};

  bool IsExpired(Timestamp now = std::chrono::system_clock::now()) const {
    return now >= expires_at;
  }
  friend bool operator==(const IdempotencyRecord&, const IdempotencyRecord&) = default;
};

inline void ValidateIdempotencyKey(std::string_view key) {
  if (key.empty()) throw Error(errc::kInvalidArgument, "idempotency key is empty");
  if (key.size() > kMaxIdempotencyKeyLength) {
    throw Error(errc::kInvalidArgument, "idempotency key is " + std::to_string(key.size()) +
                                            " bytes, over the limit of " +
                                            std::to_string(kMaxIdempotencyKeyLength));
  }
}

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // Inserts or replaces the record for record.key.
  virtual void Store(const Context& ctx, const IdempotencyRecord& record) = 0;
  // Inserts the record unless a live (unexpired) record has its key. True when inserted.
  virtual bool StoreIfAbsent(const Context& ctx, const IdempotencyRecord& record) = 0;
  // The live record for `key`, or std::nullopt when there is none or it expired.
  virtual std::optional<IdempotencyRecord> Get(const Context& ctx, std::string_view key) = 0;
  bool Exists(const Context& ctx, std::string_view key) { return Get(ctx, key).has_value(); }
  // Removes the record for `key` (no error when there is none).
  virtual void Delete(const Context& ctx, std::string_view key) = 0;
  // Removes expired records and records processed more than `older_than` ago. Returns how many.
  virtual int64_t Cleanup(const Context& ctx, std::chrono::system_clock::duration older_than) = 0;
  virtual void Close() = 0;
};

}  // namespace mink
