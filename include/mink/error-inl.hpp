// mink/error-inl.hpp — definitions for mink/error.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/error.hpp"
#endif

namespace mink {

MINK_INLINE bool ErrorIs(const std::exception& error, ErrorCode code) noexcept {
  const std::exception* current = &error;
  std::exception_ptr cause;
  // Each step rethrows the next cause to reach it; exception_ptr keeps it alive meanwhile.
  for (int depth = 0; current != nullptr && depth < 64; ++depth) {
    std::exception_ptr next;
    if (const auto* e = dynamic_cast<const Error*>(current)) {
      if (e->code() == code) return true;
      next = e->Cause();
    } else if (const auto* nested = dynamic_cast<const std::nested_exception*>(current)) {
      next = nested->nested_ptr();
    }
    if (!next) return false;
    cause = std::move(next);
    current = nullptr;
    try {
      std::rethrow_exception(cause);
    } catch (const std::exception& e) {
      current = &e;  // lives as long as `cause` holds it
    } catch (...) {
      return false;
    }
  }
  return false;
}

MINK_INLINE bool ErrorIs(const std::exception_ptr& error, ErrorCode code) noexcept {
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return ErrorIs(e, code);
  } catch (...) {
    return false;
  }
}

MINK_INLINE std::optional<ErrorCode> ErrorCodeOf(const std::exception_ptr& error) noexcept {
  if (!error) return std::nullopt;
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return e.code();
  } catch (...) {
    return errc::kUnknown;
  }
}

MINK_INLINE std::string ErrorMessage(const std::exception_ptr& error) {
  if (!error) return {};
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace mink
