// Misuse that must not compile: a mink::Pipeline stage whose call operator does not accept a
// command (here it takes an int where the command goes).
// expect-error: mink::Pipeline: every stage must be callable
#include <mink/cqrs/command_bus.hpp>
#include <mink/middleware/typed_pipeline.hpp>

struct Ping {
  static constexpr std::string_view kCommandType = "Ping";
  void Validate() const {}
};

// A proper stage: passes the command on.
struct PassThrough {
  template <class C, class N>
  mink::CommandResult operator()(const mink::Context& ctx, const C& command, N&& next) const {
    return next(ctx, command);
  }
};

// Not a stage: its second parameter is not the command.
struct TakesAnInt {
  template <class N>
  mink::CommandResult operator()(const mink::Context& ctx, int, N&& next) const {
    (void)ctx;
    (void)next;
    return mink::NewSuccessResult("", 0);
  }
};

int main() {
  mink::CommandBus bus;
#ifdef MINK_SHOULD_FAIL
  mink::Pipeline pipeline{PassThrough{}, TakesAnInt{}};
#else
  mink::Pipeline pipeline{PassThrough{}, PassThrough{}};
#endif
  bus.Register<Ping>(
      pipeline, [](const mink::Context&, const Ping&) { return mink::NewSuccessResult("", 0); });
  bus.Dispatch(mink::Context{}, Ping{});
  return 0;
}
