// The per-call cancel guard and its deadline timer (statement_guard.hpp).
#include "statement_guard.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace mink::postgres::internal {

struct StatementGuard::Target {
  explicit Target(pqxx::connection& c) : conn(&c) {}

  // Sends one cancel request while armed. Holding `mutex` during the request makes Disarm wait
  // for it, so the connection outlives every request sent to it.
  void Fire() noexcept {
    std::lock_guard lock(mutex);
    if (!armed || fired.load()) return;
    fired = true;
    try {
      conn->cancel_query();
    } catch (...) {
      // The server is unreachable: the statement fails on its own, or ends with the connection.
    }
  }
  void Disarm() noexcept {
    std::lock_guard lock(mutex);
    armed = false;
  }

  std::mutex mutex;
  pqxx::connection* conn;
  bool armed = true;
  std::atomic<bool> fired{false};
};

namespace {

// One thread for the process: fires the targets whose deadline has passed.
class DeadlineTimer {
 public:
  using Key = std::pair<Context::Clock::time_point, const void*>;

  static DeadlineTimer& Instance() {
    static DeadlineTimer timer;
    return timer;
  }

  void Add(Key key, std::shared_ptr<StatementGuard::Target> target) {
    std::lock_guard lock(mutex_);
    queue_.emplace(key, std::move(target));
    if (!thread_.joinable()) {
      thread_ = std::jthread([this](const std::stop_token& stop) { Run(stop); });
    }
    // Wake the thread only when it would sleep past this deadline: calls with similar timeouts
    // then cost no context switch (Remove never wakes it, so it keeps its earlier wake-up).
    if (key.first < sleeping_until_) cv_.notify_one();
  }
  void Remove(const Key& key) {
    std::lock_guard lock(mutex_);
    queue_.erase(key);
  }

 private:
  DeadlineTimer() = default;

  void Run(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
      if (queue_.empty()) {
        sleeping_until_ = Context::Clock::time_point::max();
        cv_.wait(lock, stop, [&] { return !queue_.empty(); });
        continue;
      }
      const auto next = queue_.begin()->first.first;
      if (Context::Clock::now() < next) {
        sleeping_until_ = next;
        cv_.wait_until(lock, stop, next,
                       [&] { return !queue_.empty() && queue_.begin()->first.first < next; });
        continue;
      }
      std::vector<std::shared_ptr<StatementGuard::Target>> due;
      while (!queue_.empty() && queue_.begin()->first.first <= Context::Clock::now()) {
        due.push_back(std::move(queue_.begin()->second));
        queue_.erase(queue_.begin());
      }
      lock.unlock();
      for (auto& t : due) t->Fire();  // outside the lock: a request is a connection round trip
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::map<Key, std::shared_ptr<StatementGuard::Target>> queue_;
  Context::Clock::time_point sleeping_until_ = Context::Clock::time_point::max();
  std::jthread thread_;  // declared last: joined before the queue goes away
};

}  // namespace

void StatementGuard::OnStop::operator()() const noexcept { target->Fire(); }

StatementGuard::StatementGuard(ConnectionPool::Lease& lease, const Context& ctx) : lease_(lease) {
  const auto deadline = ctx.Deadline();
  if (!deadline && !ctx.StopToken().stop_possible()) return;
  target_ = std::make_shared<Target>(*lease);
  if (deadline) {
    DeadlineTimer::Instance().Add({*deadline, target_.get()}, target_);
    deadline_ = deadline;
  }
  if (ctx.StopToken().stop_possible()) on_stop_.emplace(ctx.StopToken(), OnStop{target_.get()});
}

StatementGuard::~StatementGuard() {
  if (!target_) return;
  on_stop_.reset();  // waits for a callback running on the cancelling thread
  if (deadline_) DeadlineTimer::Instance().Remove({*deadline_, target_.get()});
  target_->Disarm();
  if (target_->fired.load()) lease_.Discard();
}

bool StatementGuard::Fired() const noexcept { return target_ && target_->fired.load(); }

}  // namespace mink::postgres::internal
