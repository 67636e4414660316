// mink/context.hpp — mink::Context, the C++ counterpart of Go's context.Context.
//
// A Context carries cancellation (std::stop_token), an optional deadline, the request's
// correlation / causation / user / tenant IDs, and arbitrary typed values. It is a small
// immutable value: the With* functions return a new Context and never change the original, so
// a Context may be shared freely between threads.
//
//   mink::Context ctx;                                  // background: never cancelled
//   auto [child, cancel] = ctx.WithCancel();            // cancel() stops child and its children
//   auto timed = ctx.WithTimeout(std::chrono::seconds(2));
//   timed.ThrowIfDone();                                // throws mink::Error(kDeadlineExceeded)
//
// IDs placed on a Context flow into the metadata of every event appended with it (see
// EventStore::Append), which is how the command bus propagates correlation and causation.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "mink/error.hpp"

namespace mink {

class Context;

// Cancels the Context returned with it (and every Context derived from that one).
class CancelFunc {
 public:
  CancelFunc() = default;
  void operator()() const {
    if (source_) source_->request_stop();
  }

 private:
  friend class Context;
  explicit CancelFunc(std::shared_ptr<std::stop_source> source) : source_(std::move(source)) {}
  std::shared_ptr<std::stop_source> source_;
};

class Context {
 public:
  using Clock = std::chrono::steady_clock;

  Context() = default;

  // A Context that is cancelled when `token` is stopped (e.g. a std::jthread's token).
  static Context FromStopToken(std::stop_token token) {
    Context c;
    c.token_ = std::move(token);
    return c;
  }

  // ---- cancellation and deadline ----

  std::pair<Context, CancelFunc> WithCancel() const {
    auto link = std::make_shared<Link>();
    link->parent = link_;  // keeps the chain root -> ... -> this alive as long as the child
    if (token_.stop_possible()) {
      // Propagate the parent's cancellation into the child's source.
      link->callback.emplace(token_, Propagate{&link->source});
    }
    Context child = *this;
    child.token_ = link->source.get_token();
    child.link_ = link;
    return {std::move(child), CancelFunc(std::shared_ptr<std::stop_source>(link, &link->source))};
  }

  // The same IDs and values, but never cancelled and without a deadline: for work that must
  // finish even when the request that started it was cancelled (recording an outcome,
  // releasing a reservation).
  Context WithoutCancel() const {
    Context detached = *this;
    detached.token_ = {};
    detached.link_.reset();
    detached.deadline_.reset();
    return detached;
  }

  Context WithDeadline(Clock::time_point deadline) const {
    Context child = *this;
    if (!deadline_ || deadline < *deadline_) child.deadline_ = deadline;
    return child;
  }
  Context WithTimeout(Clock::duration timeout) const {
    return WithDeadline(Clock::now() + timeout);
  }

  const std::stop_token& StopToken() const noexcept { return token_; }
  std::optional<Clock::time_point> Deadline() const noexcept { return deadline_; }

  bool Cancelled() const noexcept { return token_.stop_requested(); }
  bool DeadlineExceeded() const { return deadline_ && Clock::now() >= *deadline_; }
  bool Done() const { return Cancelled() || DeadlineExceeded(); }

  // kCancelled, kDeadlineExceeded, or nothing while the context is live.
  std::optional<ErrorCode> Err() const {
    if (Cancelled()) return errc::kCancelled;
    if (DeadlineExceeded()) return errc::kDeadlineExceeded;
    return std::nullopt;
  }

  void ThrowIfDone() const {
    if (Cancelled()) throw Error(errc::kCancelled, "context cancelled");
    if (DeadlineExceeded()) throw Error(errc::kDeadlineExceeded, "context deadline exceeded");
  }

  // Sleeps for `d` or until the context is done, whichever comes first. Returns true when the
  // full duration elapsed, false when the context ended the wait.
  bool SleepFor(Clock::duration d) const {
    auto until = Clock::now() + d;
    if (deadline_ && *deadline_ < until) until = *deadline_;
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_until(lock, token_, until, [] { return false; });
    return !Done() && Clock::now() >= until;
  }

  // ---- request identity (flows into event metadata) ----

  Context WithCorrelationID(std::string id) const { return WithField(&Ids::correlation_id, id); }
  Context WithCausationID(std::string id) const { return WithField(&Ids::causation_id, id); }
  Context WithUserID(std::string id) const { return WithField(&Ids::user_id, id); }
  Context WithTenantID(std::string id) const { return WithField(&Ids::tenant_id, id); }

  const std::string& CorrelationID() const noexcept { return ids().correlation_id; }
  const std::string& CausationID() const noexcept { return ids().causation_id; }
  const std::string& UserID() const noexcept { return ids().user_id; }
  const std::string& TenantID() const noexcept { return ids().tenant_id; }

  // ---- arbitrary values ----

  // Like Go's context.WithValue, each value is one link in a chain from the newest to the
  // oldest: WithValue is a single allocation (no copy of the values already there), and a
  // lookup walks the chain, so it costs one comparison per value on the way (contexts carry
  // few values). A newer value under the same key hides the older one.
  //
  // Text is always stored as std::string: a string literal, a (const) char* or a
  // std::string_view is copied into one, so WithValue("tenantID", "acme") is found by
  // Value<std::string>("tenantID") (and the context never points at a caller's buffer).
  template <class T>
  Context WithValue(std::string key, T value) const {
    using Stored = std::conditional_t<IsText<T>, std::string, T>;
    Context child = *this;
    child.values_ =
        std::make_shared<const ValueOf<Stored>>(std::move(key), values_, Stored(std::move(value)));
    return child;
  }

  // The value stored under `key` if it exists and has type T (exactly, as std::any_cast; text
  // is a std::string, see WithValue).
  template <class T>
  const T* Value(std::string_view key) const {
    for (const ValueEntry* e = values_.get(); e != nullptr; e = e->parent.get()) {
      if (e->key == key) {
        return e->Type() == typeid(T) ? static_cast<const T*>(e->Get()) : nullptr;
      }
    }
    return nullptr;
  }

 private:
  template <class T>
  static constexpr bool IsText = std::is_same_v<T, const char*> || std::is_same_v<T, char*> ||
                                 std::is_same_v<T, std::string_view>;

  struct Propagate {
    std::stop_source* target;
    void operator()() const noexcept { target->request_stop(); }
  };
  struct Link {
    std::shared_ptr<Link> parent;  // the link this one's token hangs off (may be null)
    std::stop_source source;
    std::optional<std::stop_callback<Propagate>> callback;
  };
  struct Ids {
    std::string correlation_id, causation_id, user_id, tenant_id;
  };
  // One WithValue: its key and value, and the values of the context it was derived from.
  struct ValueEntry {
    ValueEntry(std::string k, std::shared_ptr<const ValueEntry> p)
        : key(std::move(k)), parent(std::move(p)) {}
    ValueEntry(const ValueEntry&) = delete;
    ValueEntry& operator=(const ValueEntry&) = delete;
    // Releases a long chain link by link instead of recursively (no deep recursion).
    virtual ~ValueEntry() {
      std::shared_ptr<const ValueEntry> next = std::move(parent);
      while (next && next.use_count() == 1) {
        std::shared_ptr<const ValueEntry> after = std::move(next->parent);
        next = std::move(after);
      }
    }
    virtual const std::type_info& Type() const noexcept = 0;
    virtual const void* Get() const noexcept = 0;

    std::string key;
    // Mutable only so the destructor above can unlink a chain it solely owns.
    mutable std::shared_ptr<const ValueEntry> parent;
  };
  template <class T>
  struct ValueOf final : ValueEntry {
    ValueOf(std::string k, std::shared_ptr<const ValueEntry> p, T v)
        : ValueEntry(std::move(k), std::move(p)), value(std::move(v)) {}
    const std::type_info& Type() const noexcept override { return typeid(T); }
    const void* Get() const noexcept override { return &value; }
    T value;
  };

  const Ids& ids() const noexcept {
    static const Ids kEmpty;
    return ids_ ? *ids_ : kEmpty;
  }
  Context WithField(std::string Ids::*field, std::string& value) const {
    Context child = *this;
    auto ids = ids_ ? std::make_shared<Ids>(*ids_) : std::make_shared<Ids>();
    (*ids).*field = std::move(value);
    child.ids_ = std::move(ids);
    return child;
  }

  std::stop_token token_;
  std::shared_ptr<Link> link_;  // keeps the propagation callback alive
  std::optional<Clock::time_point> deadline_;
  std::shared_ptr<const Ids> ids_;
  std::shared_ptr<const ValueEntry> values_;
};

}  // namespace mink
