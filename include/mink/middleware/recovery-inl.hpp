// mink/middleware/recovery-inl.hpp — definitions for recovery.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/middleware/recovery.hpp"
#endif

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <typeinfo>

namespace mink::detail {

MINK_INLINE std::string DemangledTypeName(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

MINK_INLINE void ThrowPanicError(std::string_view command_type, std::string command_data) {
  std::exception_ptr cause = std::current_exception();
  std::string value = "unknown exception";
  try {
    throw;
  } catch (const std::exception& e) {
    value = DemangledTypeName(typeid(e)) + ": " + e.what();
  } catch (...) {
  }
  throw PanicError(std::string(command_type), std::move(value), std::move(command_data),
                   std::move(cause));
}

}  // namespace mink::detail
