// mink/es/stored_event.hpp — the records adapters store and return.
//
// EventRecord is what the EventStore hands an adapter: the type name, the serialized payload
// (JSON text) and metadata. StoredEvent is a persisted event with its identity, its version
// within the stream (1-based, gap-free) and its global position (strictly increasing across
// the store, not necessarily gap-free). StreamInfo describes one stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "mink/es/metadata.hpp"

namespace mink {

using Timestamp = std::chrono::system_clock::time_point;

struct EventRecord {
  std::string type;
  std::string data;  // JSON text
  Metadata metadata;
};
using EventData = EventRecord;  // go-mink's name for the same shape

struct StoredEvent {
  std::string id;
  std::string stream_id;
  std::string type;
  std::string data;  // JSON text
  Metadata metadata;
  int64_t version = 0;
  uint64_t global_position = 0;
  Timestamp timestamp{};
};

struct StreamInfo {
  std::string stream_id;
  std::string category;
  int64_t version = 0;
  int64_t event_count = 0;
  Timestamp created_at{};
  Timestamp updated_at{};
};

// What an append produced: the stream's new version and the positions of its events (the
// events of one append get increasing positions; first_position..last_position may contain
// positions of other streams' events on adapters that allocate positions concurrently).
struct AppendResult {
  int64_t version = 0;
  uint64_t first_position = 0;
  uint64_t last_position = 0;
};

}  // namespace mink
