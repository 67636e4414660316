// The compiled definitions of mink/saga/state.hpp.
#include "mink/saga/state.hpp"

#include "mink/saga/state-inl.hpp"
