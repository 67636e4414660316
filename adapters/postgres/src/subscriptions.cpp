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
    // A range of limit * 1024 positions (a sparse category is read in few round trips), at
    // most limit + 1 matches (the extra one says whether the matches, not the range, ended
    // the batch).
    auto r =
        n.exec_prepared("mink_category", static_cast<int64_t>(cursor), EscapeLike(category) + "-%",
                        static_cast<int64_t>(limit * 1024), static_cast<int64_t>(limit + 1));
    detail::PullSubscription::Batch batch{{}, cursor};
    if (r.empty() || r[0][0].is_null()) return batch;  // nothing safe after the cursor
    // Row layout of mink_category: the scanned maximum, then the event columns.
    DecodedRows rows = ToStoredUntilBad(r, 1);
    if (rows.bad) {
      batch.events = std::move(rows.events);
      batch.next_cursor = rows.bad->Position() - 1;
      batch.skip_cursor = rows.bad->Position();
      batch.bad = std::move(rows.bad);
      return batch;
    }
    if (rows.events.size() > limit) {
      rows.events.resize(limit);
      batch.next_cursor = rows.events.back().global_position;
    } else {
      batch.next_cursor = r[0][0].as<uint64_t>();
    }
    batch.events = std::move(rows.events);
    return batch;
  });
}

}  // namespace mink::postgres::internal

namespace mink::postgres {
namespace {

uint64_t PositionOf(const StoredEvent& e) { return e.global_position; }
uint64_t PositionOf(const BadStoredEventError& e) { return e.Position(); }
int64_t VersionOf(const StoredEvent& e) { return e.version; }
int64_t VersionOf(const BadStoredEventError& e) { return e.Version(); }

// A batch of `rows` read after `cursor`; `key` is an event's cursor (its position or version).
// The next cursor is the last event's key, or the one just before a bad row.
template <class Key>
detail::PullSubscription::Batch After(uint64_t cursor, internal::DecodedRows rows, Key key) {
  detail::PullSubscription::Batch batch{std::move(rows.events), cursor};
  if (!batch.events.empty()) batch.next_cursor = key(batch.events.back());
  if (rows.bad) {
    batch.skip_cursor = key(*rows.bad);
    batch.next_cursor = batch.skip_cursor - 1;
    batch.bad = std::move(rows.bad);
  }
  return batch;
}

}  // namespace

std::unique_ptr<Subscription> Adapter::SubscribeAll(const Context& ctx, uint64_t from_position,
                                                    const SubscriptionOptions& options) {
  auto fetch = [core = core_](const Context& c, uint64_t cursor, std::size_t limit) {
    return After(cursor, core->LoadFromPositionRows(c, cursor, limit),
                 [](const auto& e) { return static_cast<uint64_t>(PositionOf(e)); });
  };
  return core_->Subscribe(ctx, from_position, std::move(fetch), options);
}

std::unique_ptr<Subscription> Adapter::SubscribeStream(const Context& ctx,
                                                       const std::string& stream_id,
                                                       int64_t from_version,
                                                       const SubscriptionOptions& options) {
  auto fetch = [core = core_, stream_id](const Context& c, uint64_t cursor, std::size_t limit) {
    return After(cursor, core->LoadRows(c, stream_id, static_cast<int64_t>(cursor), limit),
                 [](const auto& e) { return static_cast<uint64_t>(VersionOf(e)); });
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
