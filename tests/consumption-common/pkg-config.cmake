# run.cmake, SHAPE=pkg_config: a consumer built with pkg-config alone against the installed
# PREFIX. Included by run.cmake (step() is its).
find_program(PKG_CONFIG NAMES pkgconf pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${PREFIX}/lib/pkgconfig)

# One .pc per exported target: mink, mink-header-only, and mink-<component> for each
# component of the installed package config.
file(GLOB pcs RELATIVE ${PREFIX}/lib/pkgconfig ${PREFIX}/lib/pkgconfig/mink*.pc)
string(REPLACE ".pc" "" modules "${pcs}")
file(READ ${PREFIX}/lib/cmake/mink/minkConfig.cmake config)
if(NOT config MATCHES "\nset\\(_mink_components \"([^\"]*)\"\\)")
  message(FATAL_ERROR "no component list in ${PREFIX}/lib/cmake/mink/minkConfig.cmake")
endif()
set(components "${CMAKE_MATCH_1}")
set(expected mink mink-header-only)
foreach(c IN LISTS components)
  list(APPEND expected mink-${c})
endforeach()
foreach(m IN LISTS expected)
  if(NOT m IN_LIST modules)
    message(FATAL_ERROR "no ${m}.pc installed in ${PREFIX}/lib/pkgconfig (has: ${modules})")
  endif()
endforeach()
foreach(m IN LISTS modules)
  step("pkg-config --cflags --libs ${m}" ${PKG_CONFIG} --print-errors --cflags --libs ${m})
endforeach()
message("pkg-config modules: ${modules}")

function(pkg_flags out)
  step("pkg-config ${ARGN}" ${PKG_CONFIG} ${ARGN})
  string(STRIP "${step_output}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  set(${out} ${flags} PARENT_SCOPE)
endfunction()

set(launcher "")
if(COMPILER_LAUNCHER)
  set(launcher ${COMPILER_LAUNCHER})
endif()
file(MAKE_DIRECTORY ${WORK_DIR})
pkg_flags(cflags --cflags mink-memory)
pkg_flags(libs --libs mink-memory)
step("compiling with `pkg-config --cflags mink-memory`"
     ${launcher} ${CXX_COMPILER} -std=c++20 -c ${MINK_SOURCE_DIR}/tests/pkg-config-test/main.cpp
     -I${MINK_SOURCE_DIR}/tests/consumption-common ${cflags} -o ${WORK_DIR}/main.o)
step("linking with `pkg-config --libs mink-memory`"
     ${CXX_COMPILER} ${WORK_DIR}/main.o -o ${WORK_DIR}/consumer ${libs})
message("pkg-config --cflags --libs mink-memory: ${cflags} ${libs}")

# Every compiled module on one link line: each one's libraries and Requires resolve.
set(all ${modules})
list(REMOVE_ITEM all mink-header-only)
pkg_flags(all_libs --libs ${all})
step("linking with `pkg-config --libs ${all}`"
     ${CXX_COMPILER} ${WORK_DIR}/main.o -o ${WORK_DIR}/consumer-all ${all_libs})

foreach(program consumer consumer-all)
  execute_process(COMMAND ${WORK_DIR}/${program} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  message("${out}")
  if(NOT rc EQUAL 0 OR NOT out MATCHES "consumer ok")
    message(FATAL_ERROR "${program} failed (${rc})")
  endif()
endforeach()
