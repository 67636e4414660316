// The compiled definitions of mink/saga/saga_manager.hpp.
#include "mink/saga/saga_manager.hpp"

#include "mink/saga/saga_manager-inl.hpp"
#include "mink/saga/saga_retry-inl.hpp"
