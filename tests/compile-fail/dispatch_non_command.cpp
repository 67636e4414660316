// Misuse that must not compile: dispatching a type that is not a command (no kCommandType).
#include <mink/cqrs/command_bus.hpp>

struct NotACommand {
  int x = 0;
};
struct Ping {
  static constexpr std::string_view kCommandType = "Ping";
  void Validate() const {}
};

int main() {
  mink::CommandBus bus;
  bus.RegisterFunc("Ping", [](const mink::Context&, const mink::AnyCommand&) {
    return mink::NewSuccessResult("", 0);
  });
#ifdef MINK_SHOULD_FAIL
  bus.Dispatch(mink::Context{}, NotACommand{});
#else
  bus.Dispatch(mink::Context{}, Ping{});
#endif
  return 0;
}
