// mink/es/event_registry.hpp — maps stored type names to C++ event types.
//
// RegisterEvents<A, B, ...>() teaches the registry how to decode A and B. Registering the same
// type twice is harmless; registering two C++ types under one type name is a kInvalidArgument
// error. Decoding a name nobody registered yields std::nullopt (the store then returns a raw
// JSON Event, or a typed error under strict replay). Thread safe.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <typeinfo>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/es/event.hpp"

namespace mink {

template <class T>
concept DecodableEventType = EventType<T> && requires(const nlohmann::json& j, T& out) {
  nlohmann::from_json(j, out);
};

class EventRegistry {
 public:
  template <DecodableEventType... Ts>
  void Register() {
    std::unique_lock lock(mutex_);
    (RegisterOne<Ts>(), ...);
  }

  bool IsRegistered(std::string_view type) const {
    std::shared_lock lock(mutex_);
    return entries_.find(type) != entries_.end();
  }

  std::vector<std::string> RegisteredEventTypes() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;  // std::map keeps them sorted
  }

  // Decodes `data` as the type registered under `type`; std::nullopt when none is. Throws
  // SerializationError when the JSON does not fit the registered type.
  std::optional<Event> Decode(const std::string& type, const nlohmann::json& data) const {
    Decoder decode = nullptr;
    {
      std::shared_lock lock(mutex_);
      auto it = entries_.find(type);
      if (it == entries_.end()) return std::nullopt;
      decode = it->second.decode;
    }
    try {
      return decode(data);
    } catch (const nlohmann::json::exception& e) {
      throw SerializationError(type, "deserialize", e.what());
    }
  }

 private:
  using Decoder = Event (*)(const nlohmann::json&);
  struct Entry {
    const std::type_info* type;
    Decoder decode;
  };

  template <DecodableEventType T>
  void RegisterOne() {
    std::string name(T::kEventType);
    if (name.empty()) throw Error(errc::kInvalidArgument, "event type name is empty");
    auto [it, inserted] = entries_.try_emplace(
        name, Entry{&typeid(T), [](const nlohmann::json& j) { return Event(j.get<T>()); }});
    if (!inserted && *it->second.type != typeid(T)) {
      throw Error(errc::kInvalidArgument,
                  "event type name \"" + name + "\" is already registered for another C++ type");
    }
  }

  mutable std::shared_mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace mink
