// The compiled definitions of mink/saga/saga.hpp.
#include "mink/saga/saga.hpp"

#include "mink/saga/saga-inl.hpp"
