// mink/es/event_scan.hpp — a filtered scan of the global feed, for adapters that can run the
// filter where the events are (the EventScanAdapter capability).
//
// Offline readers that look for a few events among many (a GDPR export for one tenant, an
// audit for one user) should not ship every event to the client. An adapter implementing
// EventScanAdapter evaluates an EventScanFilter itself (PostgreSQL: in SQL); callers still may
// check the same predicates again. Every predicate that is set must hold (AND).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mink/context.hpp"
#include "mink/es/stored_event.hpp"

namespace mink {

struct EventScanFilter {
  std::optional<std::string> tenant_id;                     // metadata.tenant_id equals
  std::optional<std::string> user_id;                       // metadata.user_id equals
  std::optional<std::string> stream_prefix;                 // stream_id starts with
  std::vector<std::string> event_types;                     // type is one of (empty: any)
  std::vector<std::pair<std::string, std::string>> custom;  // metadata custom[k] == v, each
  std::optional<Timestamp> from_time;                       // timestamp >= (inclusive)
  std::optional<Timestamp> to_time;                         // timestamp <= (inclusive)

  bool Empty() const noexcept {
    return !tenant_id && !user_id && !stream_prefix && event_types.empty() && custom.empty() &&
           !from_time && !to_time;
  }
  // Whether `e` satisfies every predicate (the client-side evaluation of the same filter).
  bool Matches(const StoredEvent& e) const;
};

// One page of a scan: the matching events, and where the next page starts.
struct EventScanPage {
  std::vector<StoredEvent> events;
  uint64_t next_position = 0;  // scan on from here (exclusive)
  bool done = false;           // nothing at or below `to_position` is left
};

class EventScanAdapter {
 public:
  virtual ~EventScanAdapter() = default;
  // Events with from_position < global_position <= to_position that match `filter`, in
  // position order, at most `limit`. `to_position` must not exceed a safe position (the
  // adapter's GetLastPosition): everything at or below it is committed.
  virtual EventScanPage ScanEvents(const Context& ctx, uint64_t from_position, uint64_t to_position,
                                   std::size_t limit, const EventScanFilter& filter) = 0;
};

inline bool EventScanFilter::Matches(const StoredEvent& e) const {
  if (tenant_id && e.metadata.tenant_id != *tenant_id) return false;
  if (user_id && e.metadata.user_id != *user_id) return false;
  if (stream_prefix && e.stream_id.compare(0, stream_prefix->size(), *stream_prefix) != 0) {
    return false;
  }
  if (!event_types.empty()) {
    bool any = false;
    for (const std::string& t : event_types) any = any || t == e.type;
    if (!any) return false;
  }
  for (const auto& [key, value] : custom) {
    const std::string* v = e.metadata.Custom(key);
    if (!v || *v != value) return false;
  }
  if (from_time && e.timestamp < *from_time) return false;
  if (to_time && e.timestamp > *to_time) return false;
  return true;
}

}  // namespace mink
