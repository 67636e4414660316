// mink/detail/function_ref.hpp — a non-owning reference to a callable (C++26's function_ref).
//
// Lets a compiled (non-template) body call back into a template caller without std::function's
// allocation: the referenced callable must outlive every call through the FunctionRef, which
// holds for the `next` of a middleware stage (valid for the duration of the stage's call).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace mink::detail {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>) FunctionRef(F&& f)
  noexcept  // NOLINT(google-explicit-constructor): a view, like string_view
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace mink::detail
