// mink/idempotency/middleware.hpp — IdempotencyMiddleware: a duplicate command runs at most once.
//
//   auto store = std::make_shared<mink::memory::IdempotencyStore>();
//   bus.Use(mink::TenantMiddleware());   // before: keys are scoped by tenant
//   bus.Use(mink::IdempotencyMiddleware(mink::DefaultIdempotencyConfig(store)));
//
// Keys (go-mink's rules): the command's IdempotencyKey() when it has a non-empty one; otherwise
// "<CommandType>:<hex of the first 16 bytes of SHA-256 over the command's canonical JSON>"
// (nlohmann keeps object keys sorted, so member order never changes a key, and CommandBase IDs
// are not part of the JSON, so a re-sent request hashes the same); a command with no JSON form
// gets the type-only key "<CommandType>:type-only:<hex16 of SHA-256(CommandType)>" — every
// command of that type then shares one key, so give such commands an IdempotencyKey().
// A non-empty scope (default: the Context's tenant) is prefixed as "<len>:<scope>|<key>", so
// tenants never replay each other's results; a scoped key longer than 255 bytes is replaced
// by a fixed-length digest of itself.
//
// Flow for each command not in skip_commands:
//   1. a live completed record for the key: its result is replayed, the handler is not called
//      (a cached failure comes back as an error result with IdempotencyReplayError,
//      kCommandAlreadyProcessed); a live reservation: an error result with
//      IdempotencyReplayError(kCommandInProgress).
//   2. otherwise the key is reserved atomically (StoreIfAbsent, reservation_ttl) and the
//      handler runs. A successful result is stored for `ttl`; a thrown failure is stored only
//      with store_errors; anything else releases the reservation so the client may retry.
// Of N concurrent duplicates exactly one runs the handler; the others get the cached result
// or "in progress".
//
// Failures: a key from IdempotencyKey() that is empty after trimming nothing, or longer than
// 255 bytes, throws Error(kInvalidArgument) before the handler runs. When the store fails
// before the handler runs, the command runs without the guarantee (fail-open, the default,
// reported to on_error) or Dispatch throws IdempotencyError (fail_closed). When recording the
// outcome fails (store error or a result_serializer that throws), the handler's result is
// returned unchanged and on_error gets an IdempotencyError; the reservation is released
// (fail-open) or left to expire after reservation_ttl (fail_closed, so no duplicate runs
// meanwhile). No failure leaves a reservation that outlives reservation_ttl.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "mink/context.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/detail/sha256.hpp"
#include "mink/idempotency/errors.hpp"
#include "mink/idempotency/store.hpp"
#include "mink/middleware/pipeline.hpp"

namespace mink {

// "<CommandType>:<hex16>" over the canonical JSON, or the type-only fallback.
inline std::string GenerateIdempotencyKey(const AnyCommand& command) {
  const std::string type(command.CommandType());
  if (command.HasJson()) {
    try {
      const std::string canonical = command.Json().dump();
      const auto digest = detail::Sha256(canonical);
      return type + ":" + detail::Hex(digest.data(), 16);
    } catch (const nlohmann::json::exception&) {
      // Not encodable (e.g. invalid UTF-8): fall through to the type-only key.
    }
  }
  const auto digest = detail::Sha256(type);
  return type + ":type-only:" + detail::Hex(digest.data(), 16);
}

// The command's own non-empty IdempotencyKey(), else GenerateIdempotencyKey.
inline std::string GetIdempotencyKey(const AnyCommand& command) {
  if (auto key = command.IdempotencyKey(); key && !key->empty()) return *key;
  return GenerateIdempotencyKey(command);
}

// The key handed to the store: scoped, and bounded to kMaxIdempotencyKeyLength bytes.
inline std::string EffectiveIdempotencyKey(std::string_view command_type, std::string_view scope,
                                           std::string_view key) {
  std::string prefix;
  if (!scope.empty()) prefix = std::to_string(scope.size()) + ":" + std::string(scope) + "|";
  std::string scoped = prefix + std::string(key);
  if (scoped.size() <= kMaxIdempotencyKeyLength) return scoped;
  const auto digest = detail::Sha256(scoped);
  const std::string suffix = ":sha256:" + detail::Hex(digest.data(), digest.size());
  std::string head = prefix + std::string(command_type);
  head.resize(std::min(head.size(), kMaxIdempotencyKeyLength - suffix.size()));
  return head + suffix;
}

struct IdempotencyConfig {
  std::shared_ptr<IdempotencyStore> store;  // required
  // How long a completed result is replayed.
  std::chrono::system_clock::duration ttl = std::chrono::hours(24);
  // How long a reservation blocks duplicates; longer than the slowest handler.
  std::chrono::system_clock::duration reservation_ttl = std::chrono::minutes(5);
  // The key of a command; default GetIdempotencyKey.
  std::function<std::string(const AnyCommand&)> key_func;
  // The principal a key is scoped to; default the Context's tenant ID.
  std::function<std::string(const Context&, const AnyCommand&)> scope;
  // Turns a successful result into the stored response text; default result.data's JSON.
  std::function<std::string(const CommandResult&)> result_serializer;
  // Turns a stored response back into result.data; default JSON parse.
  std::function<nlohmann::json(const std::string&)> result_deserializer;
  // Fail closed: a store failure before the handler makes Dispatch throw instead of running.
  bool fail_closed = false;
  // Cache thrown handler failures too (replayed as kCommandAlreadyProcessed error results).
  bool store_errors = false;
  // Command types that bypass idempotency.
  std::vector<std::string> skip_commands;
  // Told about failures the middleware absorbs; default logs a warning through spdlog.
  std::function<void(const IdempotencyError&)> on_error;
};

inline IdempotencyConfig DefaultIdempotencyConfig(std::shared_ptr<IdempotencyStore> store) {
  IdempotencyConfig config;
  config.store = std::move(store);
  return config;
}

namespace detail {

inline IdempotencyRecord NewReservation(std::string key, std::string_view command_type,
                                        std::chrono::system_clock::duration ttl) {
  IdempotencyRecord r;
  r.key = std::move(key);
  r.command_type = std::string(command_type.substr(0, kMaxIdempotencyKeyLength));
  r.status = IdempotencyStatus::kProcessing;
  r.processed_at =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  r.expires_at = r.processed_at + std::chrono::duration_cast<std::chrono::microseconds>(ttl);
  return r;
}

}  // namespace detail

// The result a completed record replays.
inline CommandResult IdempotencyRecordToResult(
    const IdempotencyRecord& record,
    const std::function<nlohmann::json(const std::string&)>& deserialize = {}) {
  if (!record.success) {
    return NewErrorResult(
        IdempotencyReplayError(errc::kCommandAlreadyProcessed, record.key,
                               record.error.empty() ? std::string("unknown error") : record.error));
  }
  CommandResult result = NewSuccessResult(record.aggregate_id, record.version);
  if (!record.response.empty()) {
    result.data = deserialize ? deserialize(record.response)
                              : nlohmann::json::parse(record.response, nullptr, false);
  }
  return result;
}

inline Middleware IdempotencyMiddleware(IdempotencyConfig config) {
  if (!config.store) {
    throw Error(errc::kInvalidArgument, "IdempotencyMiddleware needs a store");
  }
  if (!config.key_func) config.key_func = GetIdempotencyKey;
  if (!config.scope) {
    config.scope = [](const Context& ctx, const AnyCommand&) { return ctx.TenantID(); };
  }
  if (!config.result_serializer) {
    config.result_serializer = [](const CommandResult& r) {
      return r.data.is_null() ? std::string() : r.data.dump();
    };
  }
  if (!config.on_error) {
    config.on_error = [](const IdempotencyError& e) { spdlog::warn("{}", e.what()); };
  }
  if (config.ttl <= std::chrono::system_clock::duration::zero())
    config.ttl = std::chrono::hours(24);
  if (config.reservation_ttl <= std::chrono::system_clock::duration::zero()) {
    config.reservation_ttl = std::chrono::minutes(5);
  }
  auto shared = std::make_shared<const IdempotencyConfig>(std::move(config));
  auto skip = std::make_shared<const std::set<std::string, std::less<>>>(
      shared->skip_commands.begin(), shared->skip_commands.end());

  return [cfg = shared, skip](const Context& ctx, const AnyCommand& command,
                              Next next) -> CommandResult {
    const std::string_view type = command.CommandType();
    if (skip->contains(type)) return next(ctx, command);

    const std::string raw_key = cfg->key_func(command);
    ValidateIdempotencyKey(raw_key);  // empty or oversize: bad input, refused up front
    const std::string key = EffectiveIdempotencyKey(type, cfg->scope(ctx, command), raw_key);
    IdempotencyStore& store = *cfg->store;

    auto replay_or_in_progress = [&](const std::optional<IdempotencyRecord>& rec) {
      if (rec && rec->status == IdempotencyStatus::kCompleted) {
        try {
          return IdempotencyRecordToResult(*rec, cfg->result_deserializer);
        } catch (const std::exception& e) {
          // The command did run: report the broken replay, never run it again.
          return NewErrorResult(IdempotencyError(key, "replay", std::current_exception()));
        }
      }
      return NewErrorResult(
          IdempotencyReplayError(errc::kCommandInProgress, key, "command in progress"));
    };
    auto absorb = [&](const char* operation) {
      IdempotencyError error(key, operation, std::current_exception());
      if (cfg->fail_closed) throw error;
      cfg->on_error(error);
    };

    // 1. Answer from the store when it already knows the key; 2. reserve it.
    bool reserved = false;
    try {
      if (auto existing = store.Get(ctx, key)) return replay_or_in_progress(existing);
      reserved = store.StoreIfAbsent(ctx, detail::NewReservation(key, type, cfg->reservation_ttl));
    } catch (const IdempotencyError&) {
      throw;
    } catch (const Error& e) {
      if (e.code() == errc::kCancelled || e.code() == errc::kDeadlineExceeded) throw;
      absorb("lookup");  // fail-open: run without the guarantee
      return next(ctx, command);
    }
    if (!reserved) {
      // Another dispatch holds the key: never run the handler now, whatever the store says.
      try {
        return replay_or_in_progress(store.Get(ctx, key));
      } catch (const Error& e) {
        if (e.code() == errc::kCancelled || e.code() == errc::kDeadlineExceeded) throw;
        cfg->on_error(IdempotencyError(key, "lookup", std::current_exception()));
        return replay_or_in_progress(std::nullopt);
      }
    }

    // The outcome is recorded (or the reservation released) even when the dispatch's context
    // was cancelled or ran out of time meanwhile: skipping it would leave a reservation that
    // blocks retries, or lose a result that must be replayed.
    const Context bookkeeping = ctx.WithoutCancel();
    auto release = [&] {
      try {
        store.Delete(bookkeeping, key);
      } catch (const std::exception& e) {
        cfg->on_error(IdempotencyError(key, "release", std::current_exception()));
      }
    };
    auto record_outcome = [&](IdempotencyRecord record) {
      try {
        store.Store(bookkeeping, record);
      } catch (const std::exception& e) {
        IdempotencyError error(key, "store", std::current_exception());
        cfg->on_error(error);
        if (!cfg->fail_closed) release();
      }
    };
    auto completed = [&](bool success) {
      IdempotencyRecord r = detail::NewReservation(key, type, cfg->ttl);
      r.status = IdempotencyStatus::kCompleted;
      r.success = success;
      return r;
    };

    CommandResult result;
    try {
      result = next(ctx, command);
    } catch (const std::exception& e) {
      if (cfg->store_errors) {
        IdempotencyRecord r = completed(false);
        r.error = e.what();
        record_outcome(std::move(r));
      } else {
        release();
      }
      throw;
    } catch (...) {
      release();
      throw;
    }

    if (!result.IsSuccess()) {
      release();  // a result-only failure may be retried
      return result;
    }
    IdempotencyRecord r = completed(true);
    r.aggregate_id = result.aggregate_id.substr(0, kMaxIdempotencyKeyLength);
    r.version = result.version;
    try {
      r.response = cfg->result_serializer(result);
    } catch (const std::exception& e) {
      cfg->on_error(IdempotencyError(key, "serialize result", std::current_exception()));
      if (!cfg->fail_closed) release();
      return result;
    }
    record_outcome(std::move(r));
    return result;
  };
}

}  // namespace mink
