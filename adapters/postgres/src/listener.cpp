// The LISTEN thread (listener.hpp).
#include "listener.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <pqxx/except>
#include <pqxx/notification>

#include "coordination.hpp"

namespace mink::postgres::internal {
namespace {

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& conn, const std::string& schema, detail::ChangeNotifier& notifier)
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
  while (!stop.stop_requested()) {
    try {
      auto conn = pool_.Connect();
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
