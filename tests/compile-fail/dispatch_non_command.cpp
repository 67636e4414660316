// Misuse that must not compile: dispatching a type that is not a command (no kCommandType).
// expect-error: required for the satisfaction of 'Command<C>' \[with C = NotACommand\]
// expect-error: the required expression 'C::kCommandType' is invalid
// also-error: no matching function for call to 'mink::CommandBus::Dispatch\(.*NotACommand\)'
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
