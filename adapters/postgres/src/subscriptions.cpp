// The event adapter's feed: category scans, pull subscriptions and the LISTEN thread that wakes
// them (event_core.hpp; docs/adapters/postgres.md, "Subscriptions and wake-up").
#include <pqxx/nontransaction>

#include "event_core.hpp"
#include "event_sql.hpp"

namespace mink::postgres::internal {

void Core::Close() {
  std::unique_ptr<Listener> listener;
  {
    std::lock_guard lock(listener_mutex_);
    closed_ = true;
    listener = std::move(listener_);
  }
  listener.reset();
  if (wake_) wake_->Stop();
  pool_.Close();
  notifier_->Notify();
}

bool Core::Listening() {
  std::lock_guard lock(listener_mutex_);
  return listener_ && listener_->Connected();
}

void Core::EnsureListener() {
  std::lock_guard lock(listener_mutex_);
  if (closed_) throw Error(errc::kAdapterClosed, "PostgreSQL adapter is closed");
  if (!listener_) {
    listener_ =
        std::make_unique<Listener>(pool_, options_.schema, notifier_, options_.poll_interval);
  }
}

std::unique_ptr<Subscription> Core::Subscribe(const Context& ctx, uint64_t cursor,
                                              detail::PullSubscription::Fetch fetch,
                                              const SubscriptionOptions& options) {
  ctx.ThrowIfDone();
  EnsureListener();
  return std::make_unique<detail::PullSubscription>(notifier_, cursor, std::move(fetch), options);
}

detail::PullSubscription::Batch Core::LoadCategory(const Context& ctx, const std::string& category,
                                                   uint64_t cursor, std::size_t limit) {
  return Run(ctx, "load category", Retry::kOnce, [&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction n(*lease);
    auto r =
        n.exec_prepared("mink_category", static_cast<int64_t>(cursor), EscapeLike(category) + "-%",
                        static_cast<int64_t>(limit * 8), static_cast<int64_t>(limit + 1));
    detail::PullSubscription::Batch batch{{}, cursor};
    if (r.empty() || r[0][0].is_null()) return batch;  // nothing safe after the cursor
    const uint64_t scanned = r[0][0].as<uint64_t>();
    for (const auto& row : r) {
      if (row[1].is_null()) break;  // no match in the window
      if (batch.events.size() == limit) {
        batch.next_cursor = batch.events.back().global_position;
        return batch;
      }
      // Row layout of mink_category: the scanned maximum, then the event columns.
      batch.events.push_back(ToStored(row.slice(1, row.size())));
    }
    batch.next_cursor = scanned;
    return batch;
  });
}

}  // namespace mink::postgres::internal

namespace mink::postgres {
namespace {

// A batch of `events` read after `cursor`; the next cursor is `key` of the last event, or
// `cursor` when there was none.
template <class Key>
detail::PullSubscription::Batch After(uint64_t cursor, std::vector<StoredEvent> events, Key key) {
  detail::PullSubscription::Batch batch{std::move(events), cursor};
  if (!batch.events.empty()) batch.next_cursor = key(batch.events.back());
  return batch;
}

}  // namespace

std::unique_ptr<Subscription> Adapter::SubscribeAll(const Context& ctx, uint64_t from_position,
                                                    const SubscriptionOptions& options) {
  auto fetch = [core = core_](const Context& c, uint64_t cursor, std::size_t limit) {
    return After(cursor, core->LoadFromPosition(c, cursor, limit),
                 [](const StoredEvent& e) { return e.global_position; });
  };
  return core_->Subscribe(ctx, from_position, std::move(fetch), options);
}

std::unique_ptr<Subscription> Adapter::SubscribeStream(const Context& ctx,
                                                       const std::string& stream_id,
                                                       int64_t from_version,
                                                       const SubscriptionOptions& options) {
  auto fetch = [core = core_, stream_id](const Context& c, uint64_t cursor, std::size_t limit) {
    return After(cursor, core->Load(c, stream_id, static_cast<int64_t>(cursor), limit),
                 [](const StoredEvent& e) { return static_cast<uint64_t>(e.version); });
  };
  return core_->Subscribe(ctx, static_cast<uint64_t>(std::max<int64_t>(from_version, 0)),
                          std::move(fetch), options);
}

std::unique_ptr<Subscription> Adapter::SubscribeCategory(const Context& ctx,
                                                         const std::string& category,
                                                         uint64_t from_position,
                                                         const SubscriptionOptions& options) {
  auto fetch = [core = core_, category](const Context& c, uint64_t cursor, std::size_t limit) {
    return core->LoadCategory(c, category, cursor, limit);
  };
  return core_->Subscribe(ctx, from_position, std::move(fetch), options);
}

}  // namespace mink::postgres
