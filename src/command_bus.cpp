// The compiled definitions of mink/cqrs/command_bus.hpp.
#include "mink/cqrs/command_bus.hpp"

#include "mink/cqrs/command_bus-inl.hpp"
