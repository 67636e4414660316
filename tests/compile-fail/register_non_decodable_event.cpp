// Misuse that must not compile: registering an event type that cannot be decoded from JSON.
#include <mink/es/event_registry.hpp>

struct WriteOnly {
  static constexpr std::string_view kEventType = "WriteOnly";
  int x = 0;
};
void to_json(nlohmann::json& j, const WriteOnly& w) { j = nlohmann::json{{"x", w.x}}; }

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
