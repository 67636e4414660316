// The compiled definitions of mink/middleware/metrics.hpp.
#include "mink/middleware/metrics.hpp"

#include "mink/middleware/metrics-inl.hpp"
