// A separate project using mink header-only (mink::mink_header_only, nothing to link).
#include "exercise.hpp"

#ifndef MINK_HEADER_ONLY
#error "mink::mink_header_only must define MINK_HEADER_ONLY"
#endif

int OtherTranslationUnit();  // other.cpp

int main() {
  if (OtherTranslationUnit() != 0) return 1;
  return consumer::RunAll("header-only, two translation units");
}
