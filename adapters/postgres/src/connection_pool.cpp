// The private connection pool (connection_pool.hpp has the contract).
#include "connection_pool.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "error_mapping.hpp"

namespace mink::postgres::internal {

namespace {

enum class Pending { kAlive, kDead, kUnknown };

// Judges the bytes waiting on an idle connection's socket without consuming them. The protocol
// sends an idle session only asynchronous messages — ParameterStatus 'S', NotificationResponse
// 'A', NoticeResponse 'N', which libpq handles whenever it next reads — or its goodbye, an
// ErrorResponse 'E' (FATAL) followed by end of file. kUnknown for TLS records (encrypted).
Pending PeekPending(int fd) {
  char buf[8192];
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return Pending::kDead;  // end of file
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? Pending::kAlive : Pending::kDead;
  for (ssize_t at = 0; at < n;) {
    const char type = buf[at];
    if (type == 'E') return Pending::kDead;
    if (type != 'S' && type != 'A' && type != 'N') return Pending::kUnknown;
    if (n - at < 5) break;
    uint32_t len = 0;
    for (int i = 1; i <= 4; ++i) len = len << 8 | static_cast<unsigned char>(buf[at + i]);
    at += 1 + static_cast<ssize_t>(len);
  }
  return Pending::kAlive;
}

}  // namespace

bool ConnectionLooksDead(pqxx::connection& conn) {
  if (!conn.is_open()) return true;
  pollfd fd{conn.sock(), POLLIN, 0};
  if (fd.fd < 0) return true;
  const int ready = ::poll(&fd, 1, 0);
  if (ready == 0) return false;
  if (ready < 0) return true;
  switch (PeekPending(fd.fd)) {
    case Pending::kAlive:
      return false;
    case Pending::kDead:
      return true;
    case Pending::kUnknown:
      break;
  }
  // TLS: let libpq read and decrypt; a goodbye whose end of file has not arrived yet passes
  // as alive (the next statement then fails as a lost connection).
  try {
    conn.get_notifs();
  } catch (...) {
    return true;
  }
  return !conn.is_open();
}

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    conn_ = std::move(other.conn_);
    epoch_ = other.epoch_;
    discard_ = other.discard_;
    broken_ = other.broken_;
  }
  return *this;
}

void ConnectionPool::Lease::Release() noexcept {
  if (pool_ != nullptr && conn_) pool_->Return(std::move(conn_), epoch_, discard_, broken_);
  pool_ = nullptr;
  conn_.reset();
}

ConnectionPool::ConnectionPool(Options options) : options_(std::move(options)) {
  if (options_.max_size == 0) options_.max_size = 1;
}

ConnectionPool::~ConnectionPool() { Close(); }

std::unique_ptr<pqxx::connection> ConnectionPool::Connect() const {
  try {
    auto conn = std::make_unique<pqxx::connection>(options_.conninfo);
    if (options_.on_connect) options_.on_connect(*conn);
    return conn;
  } catch (const Error&) {
    throw;
  } catch (...) {
    // Whatever fails while a connection is being set up means there is no usable connection.
    auto failure = MapFailure(std::current_exception(), "connect",
                              /*connection_open=*/false);
    if (!failure) throw;
    throw failure->error;
  }
}

ConnectionPool::Lease ConnectionPool::Acquire(const Context& ctx) {
  ctx.ThrowIfDone();
  auto until = std::chrono::steady_clock::now() + options_.acquire_timeout;
  if (auto d = ctx.Deadline(); d && *d < until) until = *d;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (closed_) throw Error(errc::kAdapterClosed, "PostgreSQL adapter is closed");
    while (!idle_.empty()) {
      Idle idle = std::move(idle_.back());
      idle_.pop_back();
      if (idle.epoch >= epoch_ && !ConnectionLooksDead(*idle.conn)) {
        return Lease(this, std::move(idle.conn), idle.epoch);
      }
      // Retired (opened before a MarkBroken) or dead: close it, outside the lock, since
      // closing a connection may wait on the network.
      --open_;
      ++discarded_;
      lock.unlock();
      idle.conn.reset();
      lock.lock();
    }
    if (open_ < options_.max_size) {
      ++open_;
      const uint64_t epoch = epoch_;
      lock.unlock();
      try {
        auto conn = Connect();
        lock.lock();
        ++created_;
        return Lease(this, std::move(conn), epoch);
      } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
      }
    }
    ctx.ThrowIfDone();
    // Wakes on a returned connection, the deadline, or the context's cancellation.
    const bool available = cv_.wait_until(lock, ctx.StopToken(), until, [&] {
      return closed_ || !idle_.empty() || open_ < options_.max_size;
    });
    if (!available) {
      ctx.ThrowIfDone();
      throw Error(errc::kConnectionFailed, "no PostgreSQL connection available: all " +
                                               std::to_string(options_.max_size) +
                                               " are in use (acquire timeout)");
    }
  }
}

void ConnectionPool::Return(std::unique_ptr<pqxx::connection> conn, uint64_t epoch, bool discard,
                            bool broken) {
  std::unique_lock lock(mutex_);
  if (broken) epoch_ = std::max(epoch_, epoch + 1);
  if (discard || closed_ || epoch < epoch_ || !conn->is_open()) {
    --open_;
    ++discarded_;
    lock.unlock();
    cv_.notify_one();
    conn.reset();
    return;
  }
  idle_.push_back(Idle{std::move(conn), epoch});
  lock.unlock();
  cv_.notify_one();
}

void ConnectionPool::Close() {
  std::vector<Idle> idle;  // closed when this function returns, outside the lock
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    idle.swap(idle_);
    open_ -= idle.size();
  }
  cv_.notify_all();
}

PoolStats ConnectionPool::GetStats() {
  std::lock_guard lock(mutex_);
  return PoolStats{open_, idle_.size(), created_, discarded_};
}

}  // namespace mink::postgres::internal
