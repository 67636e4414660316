// The compiled definitions of mink/detail/sha256.hpp.
#include "mink/detail/sha256.hpp"

#include "mink/detail/sha256-inl.hpp"
