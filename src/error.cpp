// The compiled definitions of mink/error.hpp.
#include "mink/error.hpp"

#include "mink/error-inl.hpp"
