// mink/detail/config.hpp — build-shape macros of the compiled core.
//
// mink ships two shapes from one source (spdlog's split): `foo.hpp` declares, `foo-inl.hpp`
// defines. The compiled library (target mink::mink) builds the -inl files once in src/;
// with MINK_HEADER_ONLY defined (target mink::mink_header_only) every header includes its
// -inl file and the definitions are inline.
//
//   MINK_INLINE  `inline` in the header-only shape, nothing in the compiled one
//   MINK_API     marks a declaration exported from a shared libmink (default visibility;
//                the library itself builds with -fvisibility=hidden)
#pragma once

#ifdef MINK_HEADER_ONLY
#define MINK_INLINE inline
#define MINK_API
#else
#define MINK_INLINE
#define MINK_API __attribute__((visibility("default")))
#endif
