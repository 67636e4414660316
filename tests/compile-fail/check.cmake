# Compiles one compile-fail case with -DMINK_SHOULD_FAIL and passes only when
#   * the compiler fails,
#   * its diagnostics match every "// expect-error: <regex>" line of the case, and
#   * every "error:" line it prints matches one of those or an "// also-error: <regex>" line
#     (the errors that follow from the misuse),
# so a typo, a broken include or any other unrelated error cannot pass for (or alongside) the
# misuse being rejected. Regexes are CMake's, written against GCC's diagnostics in the C
# locale (plain quotes). Keep them free of ';'.
#
# Inputs: CXX, SOURCE, FLAGS (a ;-list, e.g. -std=c++20;-fsyntax-only;-I...).
cmake_minimum_required(VERSION 3.25)
file(STRINGS ${SOURCE} expected REGEX "^// expect-error: ")
file(STRINGS ${SOURCE} also REGEX "^// also-error: ")
list(TRANSFORM expected REPLACE "^// expect-error: " "")
list(TRANSFORM also REPLACE "^// also-error: " "")
if(NOT expected)
  message(FATAL_ERROR "${SOURCE} has no '// expect-error: <regex>' line")
endif()

set(ENV{LC_ALL} C)  # ASCII quotes in the diagnostics
execute_process(COMMAND ${CXX} ${FLAGS} -DMINK_SHOULD_FAIL ${SOURCE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled with MINK_SHOULD_FAIL; it must not")
endif()
string(REPLACE ";" "," out "${out}")  # one list element per error line below

foreach(regex IN LISTS expected)
  if(NOT out MATCHES "${regex}")
    message(FATAL_ERROR "the compiler failed, but not with the expected diagnostic\n"
                        "expected (regex): ${regex}\ngot:\n${out}")
  endif()
  message("matched: ${regex}")
endforeach()

string(REGEX MATCHALL "[^\n]*error: [^\n]*" errors "${out}")
foreach(error IN LISTS errors)
  set(explained FALSE)
  foreach(regex IN LISTS expected also)
    if(error MATCHES "${regex}")
      set(explained TRUE)
      break()
    endif()
  endforeach()
  if(NOT explained)
    message(FATAL_ERROR "an error no expect-error/also-error line explains:\n${error}\n"
                        "all diagnostics:\n${out}")
  endif()
endforeach()
