// Misuse that must not compile: a Match handler whose parameter is not an event type.
// expect-error: static assertion failed: Match handlers take \(const T&\) for an event type T
// also-error: no matching function for call to 'mink::Event::(Is|As)<Arg>\(\) const'
#include <mink/es/event.hpp>

struct Named {
  static constexpr std::string_view kEventType = "Named";
  int x = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Named, x)
};

int main() {
  mink::Event e = Named{};
#ifdef MINK_SHOULD_FAIL
  mink::Match(e, [](const int&) {});
#else
  mink::Match(e, [](const Named&) {});
#endif
  return 0;
}
