// examples/tour/webhook_receiver.hpp — a partner's webhook endpoint, in process: a cpp-httplib
// server on 127.0.0.1 (a free port) that checks each delivery's Standard Webhooks signature
// with mink::webhook::SigningKey, answers 200 to a valid one (401 otherwise) and records it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include <mink/webhook/signature.hpp>

namespace tour {

struct Delivery {
  std::string path;
  std::string event_type;  // the X-Outbox-event-type header
  std::string stream_id;   // X-Outbox-stream-id
  std::string correlation_id;
  std::string body;
  bool signature_valid = false;
};

class WebhookReceiver {
 public:
  explicit WebhookReceiver(const std::string& secret)
      : key_(mink::webhook::SigningKey::Parse(secret)) {
    server_.Post(".*", [this](const httplib::Request& q, httplib::Response& res) {
      Delivery d{
          q.path,
          q.get_header_value("X-Outbox-event-type"),
          q.get_header_value("X-Outbox-stream-id"),
          q.get_header_value("X-Outbox-correlation-id"),
          q.body,
          key_.Verify(q.get_header_value("webhook-id"), q.get_header_value("webhook-timestamp"),
                      q.body, q.get_header_value("webhook-signature"),
                      std::chrono::system_clock::now())};
      res.status = d.signature_valid ? 200 : 401;
      std::lock_guard lock(mutex_);
      if (d.signature_valid) deliveries_.push_back(std::move(d));
      cv_.notify_all();
    });
    server_.set_keep_alive_timeout(1);  // so Stop() does not wait for idle connections
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("webhook receiver: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The socket already listens; wait (bounded) until the accept loop runs, so that Stop()
    // cannot race its start.
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // The deliveries accepted so far, once there are `n` of them or `limit` has passed.
  std::vector<Delivery> WaitFor(std::size_t n, std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, limit, [&] { return deliveries_.size() >= n; });
    return deliveries_;
  }

 private:
  mink::webhook::SigningKey key_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Delivery> deliveries_;
};

}  // namespace tour
