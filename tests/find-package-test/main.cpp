// A separate project using the installed mink package, compiled shape.
#include "exercise.hpp"

#ifdef MINK_HEADER_ONLY
#error "this consumer must use the compiled library"
#endif

int main() { return consumer::RunAll("find_package, compiled"); }
