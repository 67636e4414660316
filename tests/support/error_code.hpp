// Test helper: the mink::ErrorCode an expression throws.
#pragma once

#include <gtest/gtest.h>

#include "mink/error.hpp"

namespace mink::testing {

// Runs `f` and returns the code of the mink::Error it throws; records a test failure (and
// returns kUnknown) when it throws nothing.
template <class F>
ErrorCode CodeOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "expected a mink::Error";
  return errc::kUnknown;
}

}  // namespace mink::testing
