// Test helper: run one middleware test against both pipeline forms.
//
// The built-in middleware are written once and serve two forms: the runtime pipeline
// (bus.Use(ms...), every middleware a std::function over an AnyCommand) and the typed,
// compile-time mink::Pipeline (bus.Register<C>(mink::Pipeline{ms...}, fn), each stage called
// with the concrete command). A test written against FormBus runs the same assertions on
// both; INSTANTIATE_BOTH_FORMS(Suite) makes Suite run once per form:
//
//   class RetryMiddlewareTest : public BothFormsTest {};
//   TEST_P(RetryMiddlewareTest, RetriesUntilSuccess) {
//     auto f = Make(RetryMiddleware({.max_attempts = 3}));
//     f->Handle<Ping>([&](const Context&, const Ping&) { ... });
//     f->bus.Dispatch(Context{}, Ping{});
//   }
//   INSTANTIATE_BOTH_FORMS(RetryMiddlewareTest);
//
// Runtime form: the middleware are the bus's runtime middleware and each handler is a
// GenericHandler<C>. Typed form: the bus has no runtime middleware and each handler is
// registered behind Pipeline{ms...}, so a concrete CommandBase command takes the bus's typed
// fast path (no AnyCommand at all) and any other command reaches the stages unwrapped.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "mink/cqrs/command_bus.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/middleware/typed_pipeline.hpp"

namespace mink::testing {

enum class Form { kRuntime, kTyped };

inline std::string FormName(const ::testing::TestParamInfo<Form>& info) {
  return info.param == Form::kRuntime ? "Runtime" : "Typed";
}

// A CommandBus with middleware `Ms...` in one of the two forms. Every handler registered with
// Handle<C> runs behind the same middleware, in the given order (the first is outermost).
template <class... Ms>
class FormBus {
 public:
  explicit FormBus(Form form, Ms... middleware) : form_(form), pipeline_(middleware...) {
    if (form_ == Form::kRuntime) bus.Use(std::move(middleware)...);
  }

  template <Command C, class F>
  void Handle(F fn) {
    if (form_ == Form::kRuntime) {
      bus.Register(NewGenericHandler<C>(std::move(fn)));
    } else {
      bus.Register<C>(pipeline_, std::move(fn));
    }
  }

  Form form() const noexcept { return form_; }

  CommandBus bus;

 private:
  Form form_;
  Pipeline<Ms...> pipeline_;
};

class BothFormsTest : public ::testing::TestWithParam<Form> {
 protected:
  template <class... Ms>
  std::unique_ptr<FormBus<Ms...>> Make(Ms... middleware) {
    return std::make_unique<FormBus<Ms...>>(GetParam(), std::move(middleware)...);
  }
};

#define INSTANTIATE_BOTH_FORMS(Suite)                                                    \
  INSTANTIATE_TEST_SUITE_P(                                                              \
      BothForms, Suite,                                                                  \
      ::testing::Values(::mink::testing::Form::kRuntime, ::mink::testing::Form::kTyped), \
      ::mink::testing::FormName)

}  // namespace mink::testing
