// The coalescing NOTIFY sender (wake_sender.hpp).
#include "wake_sender.hpp"

#include <pqxx/nontransaction>

#include "coordination.hpp"
#include "mink/postgres/identifier.hpp"

namespace mink::postgres::internal {

WakeSender::WakeSender(const ConnectionPool& pool, std::string schema,
                       std::chrono::milliseconds retry)
    : pool_(pool),
      sql_("SELECT pg_notify(" + QuoteLiteral(kNotifyChannel) + ", " + QuoteLiteral(schema) + ")"),
      retry_(retry) {
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

WakeSender::~WakeSender() { Stop(); }

void WakeSender::Poke() {
  {
    std::lock_guard lock(mutex_);
    if (pending_) return;  // the next NOTIFY is already due
    pending_ = true;
  }
  cv_.notify_one();
}

void WakeSender::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  cv_.notify_all();
  thread_.join();
}

uint64_t WakeSender::Sent() const {
  std::lock_guard lock(mutex_);
  return sent_;
}

void WakeSender::Run(const std::stop_token& stop) {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_lock lock(mutex_);
  while (true) {
    cv_.wait(lock, stop, [&] { return pending_; });
    if (stop.stop_requested()) return;
    pending_ = false;  // pokes from here on ask for another NOTIFY
    lock.unlock();
    bool ok = false;
    try {
      if (!conn || !conn->is_open()) conn = pool_.Connect();
      pqxx::nontransaction n(*conn);
      n.exec(sql_);
      ok = true;
    } catch (const std::exception&) {
      conn.reset();  // reconnect below; subscribers poll meanwhile
    }
    lock.lock();
    if (ok) {
      ++sent_;
    } else {
      pending_ = true;  // this NOTIFY is still owed
      cv_.wait_for(lock, stop, retry_, [] { return false; });
      if (stop.stop_requested()) return;
    }
  }
}

}  // namespace mink::postgres::internal
