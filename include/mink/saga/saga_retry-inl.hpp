// mink/saga/saga_retry-inl.hpp — definitions for saga_manager.hpp: manual compensation,
// re-drives and the timeout sweep (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/saga/saga_manager.hpp"
#endif

#include <spdlog/spdlog.h>

namespace mink {

MINK_INLINE void SagaManager::Compensate(const Context& ctx, std::string_view saga_id,
                                         std::string reason) {
  for (int attempt = 1;; ++attempt) {
    auto lock = LockSaga(std::string(saga_id));
    SagaState state = store_->Load(ctx, saga_id);
    if (IsTerminal(state.status)) {
      throw SagaNotRetryableError(state.id, std::string(ToString(state.status)),
                                  "a terminal saga cannot be compensated");
    }
    std::unique_ptr<Saga> saga = Hydrate(state);
    RunCompensation(
        ctx, *saga, state, saga->CurrentStep(),
        std::make_exception_ptr(SagaFailedError(saga->CurrentStep(), reason, state.id, state.type)),
        "manual-v" + std::to_string(state.version));
    SagaState next = ToState(*saga, state);
    if (state.data.contains(detail::kSagaLastEventKey)) {
      next.data[detail::kSagaLastEventKey] = state.data[detail::kSagaLastEventKey];
    }
    try {
      store_->Save(ctx, next);
      ReportTransition(state.type, state.status, next.status);
      return;
    } catch (const ConcurrencyError&) {
      if (attempt >= options_.retry_attempts) throw;
    }
  }
}

MINK_INLINE void SagaManager::Resume(const Context& ctx, std::string_view saga_id) {
  SagaState state = store_->Load(ctx, saga_id);
  if (IsTerminal(state.status)) {
    throw SagaNotRetryableError(state.id, std::string(ToString(state.status)),
                                "a terminal saga has nothing to resume");
  }
  if (state.status == SagaStatus::kCompensating) {
    Compensate(ctx, saga_id, state.failure_reason.empty() ? "resumed" : state.failure_reason);
    return;
  }
  Redrive(ctx, saga_id, RedriveMode::kResume);
}

MINK_INLINE SagaState SagaManager::RetrySaga(const Context& ctx, std::string_view saga_id) {
  return Redrive(ctx, saga_id, RedriveMode::kRetry);
}

MINK_INLINE SagaState SagaManager::ResumeStalled(const Context& ctx, std::string_view saga_id) {
  return Redrive(ctx, saga_id, RedriveMode::kStalled);
}

MINK_INLINE SagaState SagaManager::Redrive(const Context& ctx, std::string_view saga_id,
                                           RedriveMode mode) {
  auto lock = LockSaga(std::string(saga_id));
  SagaState state = store_->Load(ctx, saga_id);
  const std::string status(ToString(state.status));
  const bool in_flight =
      state.status == SagaStatus::kStarted || state.status == SagaStatus::kRunning;
  if (mode == RedriveMode::kStalled) {
    if (options_.timeout <= std::chrono::milliseconds::zero()) {
      throw SagaNotRetryableError(state.id, status, "no saga timeout is configured");
    }
    if (state.status != SagaStatus::kRunning || state.updated_at + options_.timeout > Now()) {
      throw SagaNotRetryableError(state.id, status, "only a running saga older than the timeout");
    }
  } else if (mode == RedriveMode::kRetry ? !IsRetryable(state.status) : !in_flight) {
    throw SagaNotRetryableError(state.id, status, "status does not allow a re-drive");
  }
  if (!state.data.is_object() || !state.data.contains(detail::kSagaLastEventKey)) {
    throw SagaNotRetryableError(state.id, status, "no captured trigger event (retry_capture)");
  }
  StoredEvent trigger;
  try {
    trigger = detail::StoredEventFromJson(state.data[detail::kSagaLastEventKey]);
  } catch (const std::exception& e) {
    throw CorruptSagaStateError(state.id, std::string("captured trigger event: ") + e.what());
  }
  const SagaStatus from = state.status;
  std::unique_ptr<Saga> saga = Hydrate(state);
  std::erase(state.processed_events, detail::ProcessedKey(trigger));
  state.failure_reason.clear();
  saga->SetCompletedAt(std::nullopt);
  saga->RecordStep(SagaStep{.name = "operator re-drive (from " + status + ")",
                            .index = saga->CurrentStep(),
                            .status = SagaStepStatus::kCompleted,
                            .command = "",
                            .error = "",
                            .completed_at = Now()});
  SagaRetryEvent report;
  report.saga_id = state.id;
  report.saga_type = state.type;
  report.from_status = from;
  try {
    RunStep(ctx, *saga, state, trigger);
    SagaState next = ToState(*saga, state);
    next.processed_events.push_back(detail::ProcessedKey(trigger));
    next.data[detail::kSagaLastEventKey] = detail::StoredEventToJson(trigger);
    store_->Save(ctx, next);
    ReportTransition(state.type, from, next.status);
    report.result_status = next.status;
    report.at = Now();
    if (options_.retry_observer) options_.retry_observer(report);
    return next;
  } catch (...) {
    report.error = std::current_exception();
    report.result_status = from;
    report.at = Now();
    if (options_.retry_observer) options_.retry_observer(report);
    throw;
  }
}

MINK_INLINE RetryReport SagaManager::RetrySagasByType(const Context& ctx,
                                                      std::string_view saga_type,
                                                      std::vector<SagaStatus> statuses) {
  if (statuses.empty()) {
    statuses = {SagaStatus::kFailed, SagaStatus::kCompensated, SagaStatus::kCompensationFailed};
  }
  RetryReport report;
  std::vector<CorruptSagaStateError> corrupt;
  for (const SagaState& s : store_->FindByType(ctx, saga_type, statuses, &corrupt)) {
    SagaRetryResult r;
    r.saga_id = s.id;
    try {
      SagaState after = RetrySaga(ctx, s.id);
      r.outcome = IsRetryable(after.status) ? RetryOutcome::kFailedAgain : RetryOutcome::kSucceeded;
    } catch (const ConcurrencyError&) {
      r.outcome = RetryOutcome::kConflicted;
      r.error = std::current_exception();
    } catch (const Error& e) {
      if (e.Is(errc::kCancelled) || e.Is(errc::kDeadlineExceeded)) throw;
      r.outcome =
          e.Is(errc::kSagaNotRetryable) ? RetryOutcome::kSkipped : RetryOutcome::kFailedAgain;
      r.error = std::current_exception();
    }
    report.results.push_back(std::move(r));
  }
  for (const auto& bad : corrupt) {
    report.results.push_back(SagaRetryResult{.saga_id = bad.SagaID(),
                                             .outcome = RetryOutcome::kSkipped,
                                             .error = std::make_exception_ptr(bad)});
  }
  return report;
}

MINK_INLINE int SagaManager::SweepTimeouts(const Context& ctx) {
  if (options_.timeout <= std::chrono::milliseconds::zero()) return 0;
  std::vector<std::string> types;
  {
    std::lock_guard lock(registry_mutex_);
    for (const auto& [type, reg] : registry_) types.push_back(type);
  }
  int compensated = 0;
  for (const auto& type : types) {
    std::vector<CorruptSagaStateError> corrupt;
    for (const SagaState& s : store_->FindByType(ctx, type, {SagaStatus::kRunning}, &corrupt)) {
      if (s.updated_at + options_.timeout > Now()) continue;
      try {
        auto lock = LockSaga(s.id);
        SagaState state = store_->Load(ctx, s.id);
        if (state.status != SagaStatus::kRunning || state.updated_at + options_.timeout > Now()) {
          continue;
        }
        std::unique_ptr<Saga> saga = Hydrate(state);
        RunCompensation(ctx, *saga, state, saga->CurrentStep(),
                        std::make_exception_ptr(
                            Error(errc::kSagaTimedOut, "saga \"" + state.id + "\" timed out")),
                        "timeout-v" + std::to_string(state.version));
        SagaState next = ToState(*saga, state);
        if (state.data.contains(detail::kSagaLastEventKey)) {
          next.data[detail::kSagaLastEventKey] = state.data[detail::kSagaLastEventKey];
        }
        store_->Save(ctx, next);
        ReportTransition(state.type, state.status, next.status);
        ++compensated;
      } catch (const std::exception& e) {
        if (detail::IsCancellation(std::current_exception())) throw;
        Log(spdlog::level::warn, "timeout sweep of saga \"" + s.id + "\": " + e.what());
      }
    }
    for (const auto& bad : corrupt) Log(spdlog::level::err, bad.what());
  }
  return compensated;
}

MINK_INLINE void SagaManager::SweepLoop(const std::stop_token& stop) {
  const Context ctx = Context::FromStopToken(stop);
  while (ctx.SleepFor(options_.sweep_interval)) {
    try {
      SweepTimeouts(ctx);
    } catch (const std::exception& e) {
      if (stop.stop_requested()) return;
      Log(spdlog::level::warn, std::string("timeout sweep: ") + e.what());
    }
  }
}

}  // namespace mink
