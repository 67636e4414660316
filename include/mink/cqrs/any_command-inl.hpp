// mink/cqrs/any_command-inl.hpp — definitions for any_command.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/cqrs/any_command.hpp"
#endif

namespace mink::detail {

MINK_INLINE Error WrongCommandTypeError(std::string_view expected, const AnyCommand& command) {
  const std::string got(command ? command.CommandType() : std::string_view("(empty)"));
  if (got == expected) {
    return Error(errc::kInvalidArgument, "expected command type \"" + std::string(expected) +
                                             "\", got a different C++ type named \"" + got + "\"");
  }
  return Error(errc::kInvalidArgument,
               "expected command type \"" + std::string(expected) + "\", got \"" + got + "\"");
}

}  // namespace mink::detail
