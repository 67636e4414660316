// mink/es/event.hpp — typed events and the type-erased mink::Event.
//
// An event type is a plain struct with a static type name and nlohmann JSON conversions:
//
//   struct OrderCreated {
//     static constexpr std::string_view kEventType = "OrderCreated";
//     std::string order_id;
//     NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderCreated, order_id)
//   };
//
// mink::Event holds one event of any such type (or, for a stored type that no C++ type was
// registered for, its raw JSON) together with its stored identity when it came from the store.
// Is<T>() / As<T>() inspect it; Match(event, handlers...) replaces Go's type switch:
//
//   mink::Match(event,
//       [&](const OrderCreated& e) { ... },
//       [&](const ItemAdded& e) { ... });
//
// Events are values: copying an Event copies its payload.
#pragma once

#include <any>
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <nlohmann/json.hpp>

#include "mink/es/errors.hpp"
#include "mink/es/stored_event.hpp"

namespace mink {

// A type usable as an event payload.
template <class T>
concept EventType = requires(const T& event, nlohmann::json& j) {
  { T::kEventType } -> std::convertible_to<std::string_view>;
  nlohmann::to_json(j, event);
}
&&std::is_class_v<T>&& std::copy_constructible<T>&& std::default_initializable<T>;

template <EventType T>
constexpr std::string_view EventTypeName() noexcept {
  return T::kEventType;
}

namespace detail {

// Per-type operations an Event needs without knowing T.
struct EventVTable {
  std::string_view type_name;
  const std::type_info* type;
  nlohmann::json (*to_json)(const std::any& payload);
};

template <EventType T>
const EventVTable* VTableFor() noexcept {
  static const EventVTable vtable{T::kEventType, &typeid(T), [](const std::any& payload) {
                                    return nlohmann::json(std::any_cast<const T&>(payload));
                                  }};
  return &vtable;
}

}  // namespace detail

class Event {
 public:
  // A new (not yet stored) event; implicit so that {OrderCreated{...}, ItemAdded{...}} builds a
  // std::vector<Event>.
  template <EventType T>
  requires(!std::same_as<std::remove_cvref_t<T>, Event>)
      Event(T payload)  // NOLINT(google-explicit-constructor)
      : type_(T::kEventType), payload_(std::move(payload)), vtable_(detail::VTableFor<T>()) {}

  // An event whose payload is raw JSON (a stored type no C++ type is registered for).
  static Event Raw(std::string type, nlohmann::json data) {
    Event e;
    e.type_ = std::move(type);
    e.payload_ = std::move(data);
    return e;
  }

  const std::string& Type() const noexcept { return type_; }

  template <EventType T>
  bool Is() const noexcept {
    return vtable_ != nullptr && *vtable_->type == typeid(T);
  }

  // The payload as T; throws kEventTypeMismatch when the event holds another type.
  template <EventType T>
  const T& As() const {
    if (!Is<T>()) {
      throw Error(errc::kEventTypeMismatch,
                  "event \"" + type_ + "\" is not a " + std::string(T::kEventType));
    }
    return std::any_cast<const T&>(payload_);
  }

  // True when no C++ type decoded this event and it holds raw JSON.
  bool IsRaw() const noexcept { return vtable_ == nullptr; }

  // The payload as JSON, whatever its C++ type.
  nlohmann::json Json() const {
    if (vtable_ != nullptr) return vtable_->to_json(payload_);
    return std::any_cast<const nlohmann::json&>(payload_);
  }

  // ---- stored identity (zero values for an event that was not loaded from a store) ----
  const std::string& ID() const noexcept { return id_; }
  const std::string& StreamID() const noexcept { return stream_id_; }
  int64_t Version() const noexcept { return version_; }
  uint64_t GlobalPosition() const noexcept { return global_position_; }
  Timestamp GetTimestamp() const noexcept { return timestamp_; }
  const mink::Metadata& Metadata() const noexcept { return metadata_; }

  // Attaches the identity of the stored record this event was decoded from.
  Event& WithStoredIdentity(const StoredEvent& stored) {
    return WithStoredIdentity(StoredEvent(stored));
  }
  Event& WithStoredIdentity(StoredEvent&& stored) {
    id_ = std::move(stored.id);
    stream_id_ = std::move(stored.stream_id);
    version_ = stored.version;
    global_position_ = stored.global_position;
    timestamp_ = stored.timestamp;
    metadata_ = std::move(stored.metadata);
    return *this;
  }

 private:
  Event() = default;

  std::string type_;
  std::any payload_;
  const detail::EventVTable* vtable_ = nullptr;
  std::string id_;
  std::string stream_id_;
  int64_t version_ = 0;
  uint64_t global_position_ = 0;
  Timestamp timestamp_{};
  mink::Metadata metadata_;
};

namespace detail {

template <class F>
struct HandlerArg : HandlerArg<decltype(&F::operator())> {};
template <class C, class R, class A>
struct HandlerArg<R (C::*)(A) const> {
  using type = std::remove_cvref_t<A>;
};
template <class C, class R, class A>
struct HandlerArg<R (C::*)(A)> {
  using type = std::remove_cvref_t<A>;
};
template <class R, class A>
struct HandlerArg<R (*)(A)> {
  using type = std::remove_cvref_t<A>;
};

}  // namespace detail

// Calls the first handler whose parameter type the event holds. Each handler takes one
// `const T&` for an event type T. Returns true when a handler ran.
template <class... Handlers>
bool Match(const Event& event, Handlers&&... handlers) {
  bool matched = false;
  auto try_one = [&](auto&& handler) {
    using Arg = typename detail::HandlerArg<std::remove_cvref_t<decltype(handler)>>::type;
    static_assert(EventType<Arg>, "Match handlers take (const T&) for an event type T");
    if (!matched && event.Is<Arg>()) {
      matched = true;
      handler(event.As<Arg>());
    }
  };
  (try_one(std::forward<Handlers>(handlers)), ...);
  return matched;
}

}  // namespace mink
