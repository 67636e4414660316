// The compiled definitions of mink/middleware/retry.hpp.
#include "mink/middleware/retry.hpp"

#include "mink/middleware/retry-inl.hpp"
