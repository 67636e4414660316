// The compiled definitions of mink/encryption/local_provider.hpp.
#include "mink/encryption/local_provider.hpp"

#include "mink/encryption/local_provider-inl.hpp"
