// The compiled definitions of mink/middleware/logging.hpp.
#include "mink/middleware/logging.hpp"

#include "mink/middleware/logging-inl.hpp"
