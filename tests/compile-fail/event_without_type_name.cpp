// Misuse that must not compile: appending a struct that has no kEventType.
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
  mink::Event e = NoTypeName{};
#else
  mink::Event e = Named{};
#endif
  return e.Type().empty() ? 1 : 0;
}
