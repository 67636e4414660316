// mink/idempotency/middleware-inl.hpp — definitions for middleware.hpp (see
// mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/idempotency/middleware.hpp"
#endif

#include <chrono>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

#include "mink/uuid.hpp"

namespace mink {

namespace detail {

MINK_INLINE IdempotencyRecord NewReservation(std::string key, std::string_view command_type,
                                             std::chrono::system_clock::duration ttl,
                                             Timestamp now) {
  IdempotencyRecord r;
  r.key = std::move(key);
  r.command_type = std::string(command_type.substr(0, kMaxIdempotencyKeyLength));
  r.owner = NewUUID();
  r.status = IdempotencyStatus::kProcessing;
  r.processed_at = std::chrono::time_point_cast<std::chrono::microseconds>(now);
  r.expires_at = r.processed_at + std::chrono::duration_cast<std::chrono::microseconds>(ttl);
  return r;
}

MINK_INLINE IdempotencyRecord NewReservation(std::string key, std::string_view command_type,
                                             std::chrono::system_clock::duration ttl) {
  return NewReservation(std::move(key), command_type, ttl, std::chrono::system_clock::now());
}

// A dispatch's own cancellation or deadline, which is passed through, never absorbed.
inline bool IsCancellation(const std::exception& e) {
  const auto* error = dynamic_cast<const Error*>(&e);
  return error && (error->code() == errc::kCancelled || error->code() == errc::kDeadlineExceeded);
}

}  // namespace detail

// The result a completed record replays.
MINK_INLINE CommandResult
IdempotencyRecordToResult(const IdempotencyRecord& record,
                          const std::function<nlohmann::json(const std::string&)>& deserialize) {
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

MINK_INLINE IdempotencyMiddleware::IdempotencyMiddleware(IdempotencyConfig config) {
  if (!config.store) {
    throw Error(errc::kInvalidArgument, "IdempotencyMiddleware needs a store");
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
  config_ = std::make_shared<const IdempotencyConfig>(std::move(config));
  skip_ = std::make_shared<const std::set<std::string, std::less<>>>(config_->skip_commands.begin(),
                                                                     config_->skip_commands.end());
}

MINK_INLINE CommandResult IdempotencyMiddleware::Run(
    const Context& ctx, std::string_view type, const std::string& raw_key, std::string_view scope,
    detail::FunctionRef<CommandResult()> next) const {
  const IdempotencyConfig& config = *config_;
  ValidateIdempotencyKey(raw_key);  // empty or oversize: bad input, refused up front
  const std::string key = EffectiveIdempotencyKey(type, scope, raw_key);
  IdempotencyStore& store = *config.store;

  auto replay_or_in_progress = [&](const std::optional<IdempotencyRecord>& rec) {
    if (rec && rec->status == IdempotencyStatus::kCompleted) {
      try {
        return IdempotencyRecordToResult(*rec, config.result_deserializer);
      } catch (const std::exception&) {
        // The command did run: report the broken replay, never run it again.
        return NewErrorResult(IdempotencyError(key, "replay", std::current_exception()));
      }
    }
    return NewErrorResult(
        IdempotencyReplayError(errc::kCommandInProgress, key, "command in progress"));
  };
  auto report = [&](const char* operation) {
    config.on_error(IdempotencyError(key, operation, std::current_exception()));
  };

  // 1. Answer from the store when it already knows the key; 2. reserve it under a fresh owner
  // token, which every later write of this dispatch must present.
  const IdempotencyRecord reservation =
      detail::NewReservation(key, type, config.reservation_ttl, IdempotencyNow(config.clock));
  bool reserve_sent = false;
  bool reserved = false;
  try {
    if (auto existing = store.Get(ctx, key)) return replay_or_in_progress(existing);
    reserve_sent = true;
    reserved = store.StoreIfAbsent(ctx, reservation);
  } catch (const IdempotencyError&) {
    throw;
  } catch (const std::exception& e) {
    // A failed StoreIfAbsent may still have written (a lost reply): whatever happens next, the
    // owner token lets this dispatch settle that reservation instead of orphaning it.
    if (detail::IsCancellation(e) || config.fail_closed) {
      if (reserve_sent) ReleaseQuietly(ctx, reservation);
      if (detail::IsCancellation(e)) throw;
      throw IdempotencyError(key, "lookup", std::current_exception());
    }
    report("lookup");  // fail-open: run without the guarantee
    if (!reserve_sent) return next();
    return RunAndRecord(ctx, reservation, /*held=*/false, next);
  }
  if (!reserved) {
    // Another dispatch holds the key: never run the handler now, whatever the store says.
    try {
      return replay_or_in_progress(store.Get(ctx, key));
    } catch (const std::exception& e) {
      if (detail::IsCancellation(e)) throw;
      report("lookup");
      return replay_or_in_progress(std::nullopt);
    }
  }
  return RunAndRecord(ctx, reservation, /*held=*/true, next);
}

MINK_INLINE bool IdempotencyMiddleware::ReleaseQuietly(const Context& ctx,
                                                       const IdempotencyRecord& reservation) const {
  try {
    return config_->store->Release(ctx.WithoutCancel(), reservation.key, reservation.owner);
  } catch (const std::exception&) {
    config_->on_error(IdempotencyError(reservation.key, "release", std::current_exception()));
    return true;  // reported; not a refusal
  }
}

MINK_INLINE CommandResult
IdempotencyMiddleware::RunAndRecord(const Context& ctx, const IdempotencyRecord& reservation,
                                    bool held, detail::FunctionRef<CommandResult()> next) const {
  const IdempotencyConfig& config = *config_;
  IdempotencyStore& store = *config.store;
  const std::string& key = reservation.key;
  // The outcome is recorded (or the reservation released) even when the dispatch's context
  // was cancelled or ran out of time meanwhile: skipping it would leave a reservation that
  // blocks retries, or lose a result that must be replayed.
  const Context bookkeeping = ctx.WithoutCancel();
  // A held reservation that the store no longer credits to this owner was taken over after it
  // expired: the other run's record stands, and on_error is told. (When the reservation was
  // never confirmed, held == false, a refusal only means it never landed.)
  auto lost = [&](const char* operation) {
    if (!held) return;
    config.on_error(IdempotencyError(
        key, operation,
        std::make_exception_ptr(Error(errc::kReservationLost,
                                      "the reservation expired and another dispatch took the "
                                      "key over; this run's outcome was not recorded"))));
  };
  auto release = [&] {
    if (!ReleaseQuietly(bookkeeping, reservation)) lost("release");
  };
  auto record_outcome = [&](IdempotencyRecord record) {
    try {
      if (!store.Complete(bookkeeping, record)) lost("store");
    } catch (const std::exception&) {
      config.on_error(IdempotencyError(key, "store", std::current_exception()));
      if (!config.fail_closed) release();
    }
  };
  auto completed = [&](bool success) {
    IdempotencyRecord r = reservation;  // the same key, type and owner
    const Timestamp now =
        std::chrono::time_point_cast<std::chrono::microseconds>(IdempotencyNow(config.clock));
    r.status = IdempotencyStatus::kCompleted;
    r.success = success;
    r.processed_at = now;
    r.expires_at = now + std::chrono::duration_cast<std::chrono::microseconds>(config.ttl);
    return r;
  };

  CommandResult result;
  try {
    result = next();
  } catch (const std::exception& e) {
    if (config.store_errors) {
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
    r.response = config.result_serializer(result);
  } catch (const std::exception&) {
    config.on_error(IdempotencyError(key, "serialize result", std::current_exception()));
    if (!config.fail_closed) release();
    return result;
  }
  record_outcome(std::move(r));
  return result;
}

}  // namespace mink
