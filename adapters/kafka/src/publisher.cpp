#include "mink/kafka/publisher.hpp"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>

namespace mink::kafka {

namespace {

// The delivery state of one Publish call; shared with the opaque of each produced message,
// because a report may arrive after Publish gave up waiting (Context done).
struct BatchState {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::exception_ptr> errors;
  std::vector<bool> reported;
  int in_flight = 0;
};

struct Opaque {
  std::shared_ptr<BatchState> batch;
  std::size_t index;
};

DeliveryError MakeError(ErrorCode code, const std::string& what, rd_kafka_resp_err_t err,
                        bool retriable) {
  return DeliveryError(code, "kafka: " + what + ": " + rd_kafka_err2str(err), static_cast<int>(err),
                       rd_kafka_err2name(err), retriable);
}

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  std::unique_ptr<Opaque> op(static_cast<Opaque*>(m->_private));
  if (!op) return;
  BatchState& b = *op->batch;
  std::lock_guard lock(b.mu);
  if (m->err) {
    const std::string topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "?";
    b.errors[op->index] = std::make_exception_ptr(
        MakeError(errc::kKafkaDeliveryFailed, "delivery to topic " + topic + " failed", m->err,
                  m->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT ||
                      m->err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE));
  }
  b.reported[op->index] = true;
  --b.in_flight;
  b.cv.notify_all();
}

void OnLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* logger = static_cast<spdlog::logger*>(rd_kafka_opaque(rk));
  if (!logger) return;
  const auto lvl = level <= 3   ? spdlog::level::err
                   : level <= 4 ? spdlog::level::warn
                   : level <= 6 ? spdlog::level::info
                                : spdlog::level::debug;
  logger->log(lvl, "kafka: {}: {}", fac, buf);
}

void OnError(rd_kafka_t* rk, int err, const char* reason, void*) {
  auto* logger = static_cast<spdlog::logger*>(rd_kafka_opaque(rk));
  if (logger) {
    logger->warn("kafka: {}: {}", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason);
  }
}

bool ValidTopic(std::string_view topic) {
  if (topic.empty() || topic.size() > 249 || topic == "." || topic == "..") return false;
  for (char c : topic) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

struct Publisher::Impl {
  PublisherOptions options;
  std::shared_ptr<spdlog::logger> logger;
  rd_kafka_t* rk = nullptr;
  std::shared_mutex lifecycle;  // shared: producing; exclusive: Close
  bool closed = false;          // under lifecycle
  std::atomic<bool> stop_polling{false};
  std::thread poller;

  ~Impl() { Shutdown(); }

  void Shutdown() {
    std::unique_lock lock(lifecycle);
    if (closed) return;
    closed = true;
    if (!rk) return;
    if (rd_kafka_flush(rk, static_cast<int>(options.close_timeout.count())) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      logger->warn("kafka: {} message(s) not delivered within the close timeout; purging them",
                   rd_kafka_outq_len(rk));
      rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    }
    stop_polling = true;
    if (poller.joinable()) poller.join();
    // Serve the purged messages' reports: their Publish calls learn the outcome and the
    // opaques are freed. Purge is synchronous, so the reports are queued already.
    for (int i = 0; i < 100 && rd_kafka_outq_len(rk) > 0; ++i) rd_kafka_poll(rk, 10);
    rd_kafka_destroy(rk);
    rk = nullptr;
  }
};

Publisher::Publisher(PublisherOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->logger = impl_->options.logger ? impl_->options.logger : spdlog::default_logger();
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& name, const std::string& value) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw Error(errc::kKafkaConfig, "kafka: property " + name + ": " + errstr);
    }
  };
  set("bootstrap.servers", impl_->options.brokers);
  set("enable.idempotence", "true");
  set("linger.ms", std::to_string(impl_->options.linger.count()));
  set("message.timeout.ms", std::to_string(impl_->options.delivery_timeout.count()));
  set("client.id", impl_->options.client_id);
  for (const auto& [k, v] : impl_->options.config) set(k, v);
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  rd_kafka_conf_set_log_cb(conf, OnLog);
  rd_kafka_conf_set_error_cb(conf, OnError);
  rd_kafka_conf_set_opaque(conf, impl_->logger.get());
  impl_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!impl_->rk) {
    rd_kafka_conf_destroy(conf);
    throw Error(errc::kKafkaConfig, std::string("kafka: cannot create the producer: ") + errstr);
  }
  // Reports are served here, so a Publish waiting on its batch never has to poll.
  impl_->poller = std::thread([impl = impl_.get()] {
    while (!impl->stop_polling) rd_kafka_poll(impl->rk, 100);
  });
}

Publisher::~Publisher() = default;

void Publisher::Close() { impl_->Shutdown(); }

std::vector<PublishOutcome> Publisher::Publish(const Context& ctx,
                                               std::span<const OutboxMessage> batch) {
  std::vector<PublishOutcome> outcomes(batch.size());
  auto state = std::make_shared<BatchState>();
  state->errors.resize(batch.size());
  state->reported.assign(batch.size(), false);
  std::vector<bool> produced(batch.size(), false);
  {
    std::shared_lock lock(impl_->lifecycle);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const OutboxMessage& m = batch[i];
      try {
        if (impl_->closed) throw Error(errc::kAdapterClosed, "kafka: publisher is closed");
        ctx.ThrowIfDone();
        const std::string topic(DestinationTarget(m.destination));
        if (!ValidTopic(topic)) {
          throw Error(errc::kKafkaInvalidDestination,
                      "kafka: destination \"" + m.destination + "\" of message " + m.id +
                          " does not name a valid topic after \"kafka:\"");
        }
        rd_kafka_headers_t* headers = rd_kafka_headers_new(m.headers.size());
        for (const auto& [k, v] : m.headers) {
          rd_kafka_header_add(headers, k.data(), static_cast<ssize_t>(k.size()), v.data(),
                              static_cast<ssize_t>(v.size()));
        }
        auto op = std::make_unique<Opaque>(Opaque{state, i});
        {
          std::lock_guard sl(state->mu);
          ++state->in_flight;
        }
        rd_kafka_resp_err_t err;
        for (;;) {
          err = rd_kafka_producev(
              impl_->rk, RD_KAFKA_V_TOPIC(topic.c_str()),
              RD_KAFKA_V_KEY(const_cast<char*>(m.aggregate_id.data()), m.aggregate_id.size()),
              RD_KAFKA_V_VALUE(const_cast<char*>(m.payload.data()), m.payload.size()),
              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
              RD_KAFKA_V_OPAQUE(op.get()), RD_KAFKA_V_END);
          if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || ctx.Done()) break;
          // The local queue is full: wait for reports to drain it (bounded), then retry.
          std::unique_lock sl(state->mu);
          state->cv.wait_for(sl, std::chrono::milliseconds(50));
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          rd_kafka_headers_destroy(headers);  // still ours when produce fails
          {
            std::lock_guard sl(state->mu);
            --state->in_flight;
          }
          if (err == RD_KAFKA_RESP_ERR__FATAL) {
            char reason[256];
            const auto fatal = rd_kafka_fatal_error(impl_->rk, reason, sizeof reason);
            throw MakeError(errc::kKafkaProduceFailed,
                            "producer is in a fatal state (" +
                                std::string(rd_kafka_err2name(fatal)) + ": " + reason +
                                "); create a new publisher",
                            err, false);
          }
          ctx.ThrowIfDone();
          throw MakeError(errc::kKafkaProduceFailed,
                          "produce of message " + m.id + " to topic " + topic + " refused", err,
                          err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        }
        op.release();  // owned by the delivery report now
        produced[i] = true;
      } catch (...) {
        outcomes[i].error = std::current_exception();
      }
    }
  }
  // Wait for every produced message's report, bounded by the Context.
  std::unique_lock lock(state->mu);
  const auto settled = [&] { return state->in_flight == 0; };
  while (!settled() && !ctx.Done()) {
    auto until = Context::Clock::now() + std::chrono::milliseconds(50);  // cancellation check
    if (const auto d = ctx.Deadline(); d && *d < until) until = *d;
    state->cv.wait_until(lock, until, settled);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!produced[i]) continue;
    if (state->reported[i]) {
      outcomes[i].error = state->errors[i];
    } else {
      const bool cancelled = ctx.Cancelled();
      outcomes[i].error = std::make_exception_ptr(
          Error(cancelled ? errc::kCancelled : errc::kDeadlineExceeded,
                "kafka: message " + batch[i].id +
                    " produced but not acknowledged before the context ended; it may still "
                    "be delivered"));
    }
  }
  return outcomes;
}

}  // namespace mink::kafka
