// mink/prometheus/outbox_metrics.hpp — OutboxProcessor metrics in a prometheus-cpp registry.
//
// OutboxMetrics implements mink::OutboxMetrics with the seed's metric names:
//   <ns>_outbox_messages_processed_total{destination, status="success"|"error"}  counter
//   <ns>_outbox_messages_failed_total{destination}                               counter
//   <ns>_outbox_messages_dead_lettered_total                                     counter
//   <ns>_outbox_batch_duration_seconds                                           histogram
//   <ns>_outbox_pending_messages                                                 gauge
// where <ns> is options.namespace_name ("mink"; empty gives the bare seed names) and
// `destination` is the destination prefix ("webhook", "kafka", ...), so the label's
// cardinality is the number of publishers, not of URLs or topics. options.labels are added to
// every series (go-mink's `service` label).
//
//   auto metrics = std::make_shared<mink::prometheus::OutboxMetrics>(registry);
//   mink::OutboxProcessor processor(outbox, {.publishers = {...}, .metrics = metrics});
//
// Thread safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
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
#include "mink/error.hpp"
#include "mink/outbox/metrics.hpp"

namespace mink::prometheus {

struct OutboxMetricsOptions {
  std::string namespace_name = "mink";
  std::map<std::string, std::string> labels;  // constant labels on every series
  std::vector<double> batch_buckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                       0.25,  0.5,   1,    2.5,   5,    10};
};

class OutboxMetrics final : public mink::OutboxMetrics {
 public:
  explicit OutboxMetrics(std::shared_ptr<::prometheus::Registry> registry,
                         OutboxMetricsOptions options = {})
      : registry_(std::move(registry)), options_(std::move(options)) {
    if (!registry_) throw Error(errc::kInvalidArgument, "OutboxMetrics needs a registry");
    const std::string prefix =
        options_.namespace_name.empty() ? "outbox_" : options_.namespace_name + "_outbox_";
    processed_ = &::prometheus::BuildCounter()
                      .Name(prefix + "messages_processed_total")
                      .Help("Outbox messages handed to a publisher, by destination and status.")
                      .Labels(options_.labels)
                      .Register(*registry_);
    failed_ = &::prometheus::BuildCounter()
                   .Name(prefix + "messages_failed_total")
                   .Help("Failed outbox delivery attempts, by destination.")
                   .Labels(options_.labels)
                   .Register(*registry_);
    dead_lettered_ = &::prometheus::BuildCounter()
                          .Name(prefix + "messages_dead_lettered_total")
                          .Help("Outbox messages moved to the dead letters.")
                          .Labels(options_.labels)
                          .Register(*registry_)
                          .Add({});
    batch_duration_ =
        &::prometheus::BuildHistogram()
             .Name(prefix + "batch_duration_seconds")
             .Help("Duration of one outbox batch, claim to last mark, in seconds.")
             .Labels(options_.labels)
             .Register(*registry_)
             .Add({}, ::prometheus::Histogram::BucketBoundaries(options_.batch_buckets));
    pending_ = &::prometheus::BuildGauge()
                    .Name(prefix + "pending_messages")
                    .Help("Outbox messages waiting to be delivered.")
                    .Labels(options_.labels)
                    .Register(*registry_)
                    .Add({});
  }

  void RecordMessageProcessed(std::string_view destination, bool success) override {
    const Series& s = SeriesFor(destination);
    (success ? s.success : s.error)->Increment();
  }
  void RecordMessageFailed(std::string_view destination) override {
    SeriesFor(destination).failed->Increment();
  }
  void RecordMessageDeadLettered(int64_t count) override {
    dead_lettered_->Increment(static_cast<double>(count));
  }
  void RecordBatchDuration(std::chrono::nanoseconds duration) override {
    batch_duration_->Observe(std::chrono::duration<double>(duration).count());
  }
  void RecordPendingMessages(int64_t count) override { pending_->Set(static_cast<double>(count)); }

  const std::shared_ptr<::prometheus::Registry>& Registry() const noexcept { return registry_; }

 private:
  struct Series {
    ::prometheus::Counter* success;
    ::prometheus::Counter* error;
    ::prometheus::Counter* failed;
  };

  const Series& SeriesFor(std::string_view destination) {
    {
      std::shared_lock lock(mutex_);
      if (auto it = series_.find(destination); it != series_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    if (auto it = series_.find(destination); it != series_.end()) return it->second;
    const std::string d(destination);
    Series s{&processed_->Add({{"destination", d}, {"status", "success"}}),
             &processed_->Add({{"destination", d}, {"status", "error"}}),
             &failed_->Add({{"destination", d}})};
    return series_.emplace(d, s).first->second;
  }

  std::shared_ptr<::prometheus::Registry> registry_;
  OutboxMetricsOptions options_;
  ::prometheus::Family<::prometheus::Counter>* processed_;
  ::prometheus::Family<::prometheus::Counter>* failed_;
  ::prometheus::Counter* dead_lettered_;
  ::prometheus::Histogram* batch_duration_;
  ::prometheus::Gauge* pending_;
  std::shared_mutex mutex_;
  std::unordered_map<std::string, Series, detail::StringHash, std::equal_to<>> series_;
};

}  // namespace mink::prometheus
