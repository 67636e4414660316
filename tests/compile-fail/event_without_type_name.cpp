// Misuse that must not compile: making an Event of a struct that has no kEventType.
// expect-error: required for the satisfaction of 'EventType<T>' \[with T = NoTypeName\]
// expect-error: the required expression 'T::kEventType' is invalid
// also-error: no matching function for call to 'mink::Event::Event\(NoTypeName\)'
//
// Direct-initialization: for `mink::Event e = NoTypeName{}` GCC 12 only says "conversion from
// 'NoTypeName' to non-scalar type 'mink::Event' requested", without naming the concept.
#include <mink/es/event.hpp>

struct NoTypeName {
  int x = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(NoTypeName, x)
};
struct Named {
  static constexpr std::string_view kEventType = "Named";
  int x = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Named, x)
};

int main() {
#ifdef MINK_SHOULD_FAIL
  mink::Event e(NoTypeName{});
#else
  mink::Event e(Named{});
#endif
  return e.Type().empty() ? 1 : 0;
}
