// The compiled definitions of mink/cqrs/any_command.hpp.
#include "mink/cqrs/any_command.hpp"

#include "mink/cqrs/any_command-inl.hpp"
