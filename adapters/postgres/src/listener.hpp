// Private: the LISTEN thread of one adapter. It holds its own connection (never a pool lease),
// LISTENs on kNotifyChannel, and bumps the ChangeNotifier for every notification whose payload
// is this adapter's schema. When the connection is lost it reconnects every `retry` interval and
// bumps the notifier after reconnecting (notifications sent meanwhile are lost; subscribers
// re-read the table, so nothing is missed). Stop() wakes the thread immediately via an eventfd,
// also while it is connecting (the connect is non-blocking and polls the eventfd too).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "connection_pool.hpp"
#include "mink/detail/pull_subscription.hpp"

namespace mink::postgres::internal {

class Listener {
 public:
  Listener(const ConnectionPool& pool, std::string schema,
           std::shared_ptr<detail::ChangeNotifier> notifier, std::chrono::milliseconds retry);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void Stop();
  bool Connected() const { return connected_.load(); }
  // Backend pid of the listening connection (0 while disconnected).
  int BackendPid() const { return pid_.load(); }

 private:
  void Run(const std::stop_token& stop);
  void Wake() const;

  const ConnectionPool& pool_;
  std::string schema_;
  std::shared_ptr<detail::ChangeNotifier> notifier_;
  std::chrono::milliseconds retry_;
  int wake_fd_ = -1;
  std::atomic<bool> connected_{false};
  std::atomic<int> pid_{0};
  std::jthread thread_;
};

}  // namespace mink::postgres::internal
