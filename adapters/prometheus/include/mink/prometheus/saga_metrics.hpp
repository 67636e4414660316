// mink/prometheus/saga_metrics.hpp — saga metrics in a prometheus-cpp registry.
//
// SagaMetrics implements mink::SagaMetrics (mink/saga/metrics.hpp):
//   <ns>_sagas_started_total{saga_type}                                   counter
//   <ns>_sagas_completed_total{saga_type}                                 counter
//   <ns>_sagas_failed_total{saga_type}                                    counter (Compensate
//   threw) <ns>_sagas_compensated_total{saga_type, result="compensated"|"compensation_failed"}
//   counter <ns>_saga_step_duration_seconds{saga_type, command_type, status="success"|"error"}
//                                                                         histogram
// with <ns> = options.namespace_name ("mink") and options.labels on every series.
//
//   auto metrics = std::make_shared<mink::prometheus::SagaMetrics>(registry);
//   mink::SagaManager manager(store, events, bus, {.metrics = metrics});
//
// Thread safe; a failure inside prometheus-cpp (an allocation) is swallowed, never thrown into
// the manager.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "mink/error.hpp"
#include "mink/saga/metrics.hpp"

namespace mink::prometheus {

struct SagaMetricsOptions {
  std::string namespace_name = "mink";
  std::map<std::string, std::string> labels;
  std::vector<double> duration_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
};

class SagaMetrics final : public mink::SagaMetrics {
 public:
  explicit SagaMetrics(std::shared_ptr<::prometheus::Registry> registry,
                       SagaMetricsOptions options = {})
      : registry_(std::move(registry)), options_(std::move(options)) {
    if (!registry_) throw Error(errc::kInvalidArgument, "SagaMetrics needs a registry");
    const std::string prefix = options_.namespace_name.empty() ? "" : options_.namespace_name + "_";
    auto counter = [&](const std::string& name, const char* help) {
      return &::prometheus::BuildCounter()
                  .Name(prefix + name)
                  .Help(help)
                  .Labels(options_.labels)
                  .Register(*registry_);
    };
    started_ = counter("sagas_started_total", "Sagas started.");
    completed_ = counter("sagas_completed_total", "Sagas completed.");
    failed_ = counter("sagas_failed_total", "Sagas failed (compensation could not run).");
    compensated_ = counter("sagas_compensated_total", "Sagas compensated, by result.");
    duration_ = &::prometheus::BuildHistogram()
                     .Name(prefix + "saga_step_duration_seconds")
                     .Help("Duration of one saga step (a command dispatch with its retries).")
                     .Labels(options_.labels)
                     .Register(*registry_);
  }

  void SagaStarted(std::string_view saga_type) noexcept override { Inc(started_, saga_type); }
  void SagaCompleted(std::string_view saga_type) noexcept override { Inc(completed_, saga_type); }
  void SagaFailed(std::string_view saga_type) noexcept override { Inc(failed_, saga_type); }
  void SagaCompensated(std::string_view saga_type, bool all_succeeded) noexcept override {
    try {
      std::lock_guard lock(mutex_);
      compensated_
          ->Add({{"saga_type", std::string(saga_type)},
                 {"result", all_succeeded ? "compensated" : "compensation_failed"}})
          .Increment();
    } catch (...) {
    }
  }
  void StepDuration(std::string_view saga_type, std::string_view command_type, bool success,
                    std::chrono::nanoseconds duration) noexcept override {
    try {
      std::lock_guard lock(mutex_);
      duration_
          ->Add({{"saga_type", std::string(saga_type)},
                 {"command_type", std::string(command_type)},
                 {"status", success ? "success" : "error"}},
                ::prometheus::Histogram::BucketBoundaries(options_.duration_buckets))
          .Observe(std::chrono::duration<double>(duration).count());
    } catch (...) {
    }
  }

  const std::shared_ptr<::prometheus::Registry>& Registry() const noexcept { return registry_; }

 private:
  void Inc(::prometheus::Family<::prometheus::Counter>* family, std::string_view saga_type) {
    try {
      std::lock_guard lock(mutex_);
      family->Add({{"saga_type", std::string(saga_type)}}).Increment();
    } catch (...) {
    }
  }

  std::shared_ptr<::prometheus::Registry> registry_;
  SagaMetricsOptions options_;
  ::prometheus::Family<::prometheus::Counter>* started_;
  ::prometheus::Family<::prometheus::Counter>* completed_;
  ::prometheus::Family<::prometheus::Counter>* failed_;
  ::prometheus::Family<::prometheus::Counter>* compensated_;
  ::prometheus::Family<::prometheus::Histogram>* duration_;
  std::mutex mutex_;  // Family::Add is thread safe; this keeps the label maps' building simple
};

}  // namespace mink::prometheus
