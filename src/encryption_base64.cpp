// The compiled definitions of mink/encryption/base64.hpp.
#include "mink/encryption/base64.hpp"

#include "mink/encryption/base64-inl.hpp"
