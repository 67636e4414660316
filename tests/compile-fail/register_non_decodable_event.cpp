// Misuse that must not compile: registering an event type that cannot be decoded from JSON.
// expect-error: DecodableEventType<Ts>\) \[with Ts = {WriteOnly}\]' evaluated to 'false'
// also-error: no matching function for call to 'mink::EventRegistry::Register<WriteOnly>\(\)'
//
// GCC 12 does not look inside the fold, so the static_assert below pins the reason: WriteOnly is
// an EventType (kEventType, to_json); only from_json is missing.
#include <mink/es/event_registry.hpp>

struct WriteOnly {
  static constexpr std::string_view kEventType = "WriteOnly";
  int x = 0;
};
void to_json(nlohmann::json& j, const WriteOnly& w) { j = nlohmann::json{{"x", w.x}}; }
static_assert(mink::EventType<WriteOnly> && !mink::DecodableEventType<WriteOnly>);

struct RoundTrip {
  static constexpr std::string_view kEventType = "RoundTrip";
  int x = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(RoundTrip, x)
};

int main() {
  mink::EventRegistry registry;
#ifdef MINK_SHOULD_FAIL
  registry.Register<WriteOnly>();
#else
  registry.Register<RoundTrip>();
#endif
  return 0;
}
