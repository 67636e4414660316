// mink/middleware/validation.hpp — ValidationMiddleware: refuse an invalid command before the
// handler.
//
// Calls the command's Validate(). A ValidationError (or any mink::Error) from Validate
// propagates unchanged; any other exception becomes a ValidationError with its what().
//
//   bus.Use(mink::ValidationMiddleware());                 // runtime form
//   mink::Pipeline typed{mink::ValidationMiddleware()};    // typed form (typed_pipeline.hpp)
#pragma once

#include <exception>
#include <string>

#include "mink/context.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"
#include "mink/cqrs/errors.hpp"

namespace mink {

class ValidationMiddleware {
 public:
  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    try {
      ValidateCommand(command);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw ValidationError(std::string(CommandTypeOf(command)), "", e.what());
    }
    return next(ctx, command);
  }
};

}  // namespace mink
