// mink/saga/metrics.hpp — what a SagaManager reports to a metrics system.
//
// SagaManagerOptions::metrics receives one call per lifecycle transition and one per
// dispatched step; the Prometheus implementation is mink::prometheus::SagaMetrics
// (adapters/prometheus). Calls come from the manager's threads, concurrently for different
// sagas; implementations must be thread safe and must not throw.
#pragma once

#include <chrono>
#include <string_view>

namespace mink {

class SagaMetrics {
 public:
  virtual ~SagaMetrics() = default;
  virtual void SagaStarted(std::string_view saga_type) noexcept = 0;
  virtual void SagaCompleted(std::string_view saga_type) noexcept = 0;
  // Compensate threw (status failed).
  virtual void SagaFailed(std::string_view saga_type) noexcept = 0;
  // Compensation ran: `all_succeeded` false for compensation_failed.
  virtual void SagaCompensated(std::string_view saga_type, bool all_succeeded) noexcept = 0;
  // One command of a saga, dispatch through the bus including retries.
  virtual void StepDuration(std::string_view saga_type, std::string_view command_type, bool success,
                            std::chrono::nanoseconds duration) noexcept = 0;
};

}  // namespace mink
