// mink/idempotency/store.hpp — where IdempotencyMiddleware remembers processed commands.
//
// A record is either a reservation (status kProcessing: a handler is running the command right
// now) or a completed result (status kCompleted) that duplicates are answered with. Both expire
// at expires_at; an expired record is invisible to Get and may be taken over by StoreIfAbsent,
// so a crashed process never blocks retries for longer than its reservation TTL.
//
// Ownership: every reservation carries an owner token (a random UUID chosen by the dispatch
// that reserved the key). Complete and Release are compare-and-set on that token, so a
// dispatch whose handler outlived reservation_ttl — and whose key another dispatch has since
// taken over — can neither overwrite the newer run's result nor delete its reservation; it is
// told (false) instead.
//
// Contract shared by every store (tests/conformance/idempotency_store_conformance.cpp):
//   * StoreIfAbsent is atomic: of many concurrent calls for one key exactly one returns true.
//   * Complete and Release change the record only while its owner token matches.
//   * Keys are 1..kMaxIdempotencyKeyLength bytes, owner tokens of Complete / Release are
//     non-empty; anything else is kInvalidArgument and nothing is written.
//   * Failures of the backing system are mink::Error (kConnectionFailed / kStorageFailed);
//     a closed store throws kAdapterClosed.
//   * All methods are safe to call concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mink/context.hpp"
#include "mink/error.hpp"
#include "mink/es/stored_event.hpp"

namespace mink {

inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

// Where stores and IdempotencyMiddleware read the time: empty = std::chrono::system_clock.
// Tests inject a manual clock so TTLs expire on command, without sleeping.
using IdempotencyClock = std::function<Timestamp()>;

inline Timestamp IdempotencyNow(const IdempotencyClock& clock) {
  return clock ? clock() : Timestamp(std::chrono::system_clock::now());
}

enum class IdempotencyStatus { kProcessing, kCompleted };

struct IdempotencyRecord {
  std::string key;
  std::string command_type;
  std::string aggregate_id;
  int64_t version = 0;
  std::string response;  // the serialized CommandResult data (JSON text), may be empty
  std::string error;     // the failure message of a cached failure
  std::string owner;     // the token of the dispatch that reserved the key (see above)
  bool success = false;
  IdempotencyStatus status = IdempotencyStatus::kCompleted;
  Timestamp processed_at{};
  Timestamp expires_at{};

  bool IsExpired(Timestamp now = Timestamp(std::chrono::system_clock::now())) const {
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

inline void ValidateIdempotencyOwner(std::string_view owner) {
  if (owner.empty()) throw Error(errc::kInvalidArgument, "idempotency owner token is empty");
  if (owner.size() > kMaxIdempotencyKeyLength) {
    throw Error(errc::kInvalidArgument, "idempotency owner token is over " +
                                            std::to_string(kMaxIdempotencyKeyLength) + " bytes");
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
  // Replaces the record of record.key with `record` (normally the completed result) only while
  // record.owner owns it — the reservation it made, or the result it stored, live or expired.
  // False, writing nothing, when the key is gone or another owner has taken it over.
  virtual bool Complete(const Context& ctx, const IdempotencyRecord& record) = 0;
  // Deletes the record of `key` only while `owner` owns it. False when it does not.
  virtual bool Release(const Context& ctx, std::string_view key, std::string_view owner) = 0;
  // Removes the record for `key` whoever owns it (no error when there is none); for operators.
  virtual void Delete(const Context& ctx, std::string_view key) = 0;
  // Removes expired records and records processed more than `older_than` ago. Returns how many.
  virtual int64_t Cleanup(const Context& ctx, std::chrono::system_clock::duration older_than) = 0;
  virtual void Close() = 0;
};

}  // namespace mink
