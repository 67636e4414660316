// mink/prometheus/command_metrics.hpp — command bus metrics in a prometheus-cpp registry.
//
// CommandMetrics implements mink::MetricsRecorder with go-mink's metric names:
//   <ns>_commands_total{command_type, status="success"|"error"}   counter
//   <ns>_command_duration_seconds{command_type}                   histogram (go's default buckets)
//   <ns>_commands_in_flight{command_type}                         gauge
// where <ns> is options.namespace_name ("mink"). options.labels are added to every series
// (go-mink's `service` label: {{"service", "orders"}}).
//
//   auto registry = std::make_shared<prometheus::Registry>();
//   auto metrics = std::make_shared<mink::prometheus::CommandMetrics>(registry);
//   bus.Use(mink::MetricsMiddleware(metrics));
//   prometheus::Exposer exposer{"0.0.0.0:9090"};  exposer.RegisterCollectable(registry);
//
// Thread safe. The series for a command type are created on its first dispatch and reused.
#pragma once

#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "mink/detail/string_hash.hpp"
#include "mink/middleware/metrics.hpp"

namespace mink::prometheus {

struct CommandMetricsOptions {
  std::string namespace_name = "mink";
  std::map<std::string, std::string> labels;  // constant labels on every series
  std::vector<double> duration_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
};

class CommandMetrics final : public MetricsRecorder {
 public:
  explicit CommandMetrics(std::shared_ptr<::prometheus::Registry> registry,
                          CommandMetricsOptions options = {})
      : registry_(std::move(registry)), options_(std::move(options)) {
    if (!registry_) throw Error(errc::kInvalidArgument, "CommandMetrics needs a registry");
    const std::string& ns = options_.namespace_name;
    const std::string prefix = ns.empty() ? "" : ns + "_";
    total_ = &::prometheus::BuildCounter()
                  .Name(prefix + "commands_total")
                  .Help("Total number of commands processed.")
                  .Labels(options_.labels)
                  .Register(*registry_);
    duration_ = &::prometheus::BuildHistogram()
                     .Name(prefix + "command_duration_seconds")
                     .Help("Duration of command processing in seconds.")
                     .Labels(options_.labels)
                     .Register(*registry_);
    in_flight_ = &::prometheus::BuildGauge()
                      .Name(prefix + "commands_in_flight")
                      .Help("Number of commands currently being processed.")
                      .Labels(options_.labels)
                      .Register(*registry_);
  }

  void CommandStarted(std::string_view command_type) override {
    SeriesFor(command_type).in_flight->Increment();
  }

  void RecordCommand(std::string_view command_type, std::chrono::nanoseconds duration, bool success,
                     const std::exception_ptr&) override {
    const Series& s = SeriesFor(command_type);
    s.in_flight->Decrement();
    s.duration->Observe(std::chrono::duration<double>(duration).count());
    (success ? s.success : s.error)->Increment();
  }

  const std::shared_ptr<::prometheus::Registry>& Registry() const noexcept { return registry_; }

 private:
  struct Series {
    ::prometheus::Counter* success;
    ::prometheus::Counter* error;
    ::prometheus::Histogram* duration;
    ::prometheus::Gauge* in_flight;
  };

  const Series& SeriesFor(std::string_view command_type) {
    {
      std::shared_lock lock(mutex_);
      if (auto it = series_.find(command_type); it != series_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    if (auto it = series_.find(command_type); it != series_.end()) return it->second;
    const std::string type(command_type);
    Series s{&total_->Add({{"command_type", type}, {"status", "success"}}),
             &total_->Add({{"command_type", type}, {"status", "error"}}),
             &duration_->Add({{"command_type", type}},
                             ::prometheus::Histogram::BucketBoundaries(options_.duration_buckets)),
             &in_flight_->Add({{"command_type", type}})};
    return series_.emplace(type, s).first->second;
  }

  std::shared_ptr<::prometheus::Registry> registry_;
  CommandMetricsOptions options_;
  ::prometheus::Family<::prometheus::Counter>* total_;
  ::prometheus::Family<::prometheus::Histogram>* duration_;
  ::prometheus::Family<::prometheus::Gauge>* in_flight_;
  std::shared_mutex mutex_;
  std::unordered_map<std::string, Series, detail::StringHash, std::equal_to<>> series_;
};

}  // namespace mink::prometheus
