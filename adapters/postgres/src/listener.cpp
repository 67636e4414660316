// The LISTEN thread (listener.hpp).
#include "listener.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/notification>

#include "coordination.hpp"

namespace mink::postgres::internal {
namespace {

// The eventfd Stop() writes to, for the connect running on this (the listener's) thread.
thread_local int t_wake_fd = -1;

// The connect_timeout of a conninfo string (libpq's rule: at least 2 s), 10 s when unset.
std::chrono::milliseconds ConnectTimeout(const std::string& conninfo) {
  std::chrono::milliseconds timeout{10000};
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), nullptr);
  if (opts == nullptr) return timeout;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && std::string(o->keyword) == "connect_timeout") {
      timeout = std::chrono::seconds(std::max(2, std::atoi(o->val)));
    }
  }
  PQconninfoFree(opts);
  return timeout;
}

// A libpqxx connection policy that connects with libpq's non-blocking API, polling the socket
// together with t_wake_fd, so Stop() interrupts a connect in progress (a blocking connect would
// hold Stop for up to connect_timeout). Enforces connect_timeout itself, as PQconnectPoll does
// not.
class InterruptibleConnect final : public pqxx::connectionpolicy {
 public:
  explicit InterruptibleConnect(const std::string& opts) : pqxx::connectionpolicy(opts) {}

  handle do_startconnect(handle orig) override {
    if (orig != nullptr) return orig;
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectStart(options().c_str()), &PQfinish);
    if (!conn) throw std::bad_alloc();
    const auto until = std::chrono::steady_clock::now() + ConnectTimeout(options());
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    for (;;) {
      if (PQstatus(conn.get()) == CONNECTION_BAD || state == PGRES_POLLING_FAILED) {
        throw pqxx::broken_connection(PQerrorMessage(conn.get()));
      }
      if (state == PGRES_POLLING_OK) return conn.release();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw pqxx::broken_connection("connect timeout expired");
      pollfd fds[2] = {{PQsocket(conn.get()),
                        static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0},
                       {t_wake_fd, POLLIN, 0}};
      if (::poll(fds, t_wake_fd >= 0 ? 2 : 1, static_cast<int>(left.count())) < 0 &&
          errno != EINTR) {
        throw pqxx::broken_connection("poll() failed while connecting");
      }
      if ((fds[1].revents & POLLIN) != 0) throw pqxx::broken_connection("connect interrupted");
      if (fds[0].revents != 0) state = PQconnectPoll(conn.get());
    }
  }
};

using ListenConnection = pqxx::basic_connection_base<InterruptibleConnect>;

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const std::string& schema, detail::ChangeNotifier& notifier)
      : pqxx::notification_receiver(conn, std::string(kNotifyChannel)),
        schema_(schema),
        notifier_(notifier) {}
  void operator()(const std::string& payload, int) override {
    if (payload == schema_) notifier_.Notify();
  }

 private:
  const std::string& schema_;
  detail::ChangeNotifier& notifier_;
};

}  // namespace

Listener::Listener(const ConnectionPool& pool, std::string schema,
                   std::shared_ptr<detail::ChangeNotifier> notifier,
                   std::chrono::milliseconds retry)
    : pool_(pool), schema_(std::move(schema)), notifier_(std::move(notifier)), retry_(retry) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw Error(errc::kStorageFailed, "eventfd() failed for the listener");
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

Listener::~Listener() {
  Stop();
  ::close(wake_fd_);
}

void Listener::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  Wake();
  thread_.join();
}

void Listener::Wake() const {
  const uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void Listener::Run(const std::stop_token& stop) {
  t_wake_fd = wake_fd_;
  while (!stop.stop_requested()) {
    try {
      auto conn = std::make_unique<ListenConnection>(pool_.ConnInfo());
      Receiver receiver(*conn, schema_, *notifier_);
      conn->get_notifs();  // issues the LISTEN
      pid_ = conn->backendpid();
      connected_ = true;
      notifier_->Notify();  // anything committed while we were not listening
      while (!stop.stop_requested()) {
        pollfd fds[2] = {{conn->sock(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        if (::poll(fds, 2, 1000) < 0 && errno != EINTR) break;
        if ((fds[1].revents & POLLIN) != 0) {
          uint64_t drained = 0;
          [[maybe_unused]] auto n = ::read(wake_fd_, &drained, sizeof drained);
          continue;
        }
        conn->get_notifs();  // throws pqxx::broken_connection when the server went away
        if (!conn->is_open()) break;
      }
    } catch (const std::exception&) {
      // Lost or never got the connection: retry below.
    }
    connected_ = false;
    pid_ = 0;
    if (stop.stop_requested()) break;
    notifier_->Notify();  // let subscribers poll while we are deaf
    pollfd wake{wake_fd_, POLLIN, 0};
    ::poll(&wake, 1, static_cast<int>(retry_.count()));
  }
}

}  // namespace mink::postgres::internal
