// The compiled definitions of mink/encryption/aes_gcm.hpp.
#include "mink/encryption/aes_gcm.hpp"

#include "mink/encryption/aes_gcm-inl.hpp"
