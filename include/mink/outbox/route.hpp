// mink/outbox/route.hpp — which events EventStoreWithOutbox turns into outbox messages.
//
//   mink::OutboxRoute{.event_types = {"OrderCreated", "OrderShipped"},
//                     .destination = "kafka:orders"};
//   mink::OutboxRoute{.destination = "webhook:https://partner.example.com/events",  // all events
//                     .filter = [](const mink::Event& e, const mink::StoredEvent&) {
//                       return e.Is<OrderShipped>(); }};
//
// One message is scheduled per (event x matching route). Unlike go-mink, whose Transform and
// Filter receive nil, both receive the typed event the caller appended and the record as it is
// stored (after field encryption: stored.data never holds plaintext of encrypted fields, while
// the typed event does — a Transform that copies fields from the event publishes them).
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mink/error.hpp"
#include "mink/es/event.hpp"
#include "mink/es/stored_event.hpp"
#include "mink/outbox/errors.hpp"
#include "mink/outbox/message.hpp"

namespace mink {

struct OutboxRoute {
  std::vector<std::string> event_types;  // empty: every event
  std::string destination;               // "prefix:target"
  // The message payload; default: the stored record's data. Throwing fails the append with
  // Error(kOutboxTransformFailed) (nothing is written).
  std::function<std::string(const Event& event, const StoredEvent& stored)> transform;
  // False: no message for this event on this route.
  std::function<bool(const Event& event, const StoredEvent& stored)> filter;

  bool MatchesType(std::string_view type) const {
    return event_types.empty() ||
           std::find(event_types.begin(), event_types.end(), type) != event_types.end();
  }
};

// Throws Error(kInvalidDestination) unless `destination` is "prefix:target" with both parts
// non-empty.
inline void ValidateDestination(std::string_view destination) {
  if (DestinationPrefix(destination).empty() || DestinationTarget(destination).empty() ||
      destination.find(':') == std::string_view::npos) {
    throw Error(errc::kInvalidDestination,
                "outbox destination \"" + std::string(destination) + "\" is not \"prefix:target\"");
  }
}

}  // namespace mink
