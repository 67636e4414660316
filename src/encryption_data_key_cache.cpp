// The compiled definitions of mink/encryption/data_key_cache.hpp.
#include "mink/encryption/data_key_cache.hpp"

#include "mink/encryption/data_key_cache-inl.hpp"
