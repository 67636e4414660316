# Runs one consumption test: a separate project that uses mink the way a user would, built and
# run from scratch in WORK_DIR.
#
#   SHAPE=find_package      install MINK_BUILD_DIR into a prefix; tests/find-package-test
#                           links the installed compiled library (mink::mink + mink::memory)
#   SHAPE=header_only       same install; tests/header-only-test links only
#                           mink::mink_header_only, and its link line must not name libmink
#   SHAPE=add_subdirectory  tests/add-subdirectory-test adds the source tree with
#                           BUILD_SHARED_LIBS=ON; checks libmink's SONAME and the consumer's
#                           NEEDED entry, then runs the consumer against the shared library
#   SHAPE=vcpkg_port        runs ports/mink/portfile.cmake for the vcpkg features FEATURES
#                           (comma-separated, may be empty) with stand-ins for the vcpkg
#                           helpers (tests/packaging/vcpkg-emulation.cmake): configures a
#                           Release build in PORT_BUILD_DIR with exactly the portfile's options,
#                           installs it into WORK_DIR/prefix; then tests/find-package-test
#                           requires and links every component built, and asking for the
#                           components not built (and an unknown one) must fail naming them
#   SHAPE=pkg_config        tests/pkg-config-test compiled and linked with the flags of
#                           `pkg-config --cflags --libs mink-memory` against the installed PREFIX
#                           (PKG_CONFIG_PATH), and run; every installed mink*.pc must resolve,
#                           and one program links all of them
#
# Inputs: SHAPE, MINK_SOURCE_DIR, MINK_BUILD_DIR, WORK_DIR, CXX_COMPILER, GENERATOR,
# COMPILER_LAUNCHER (may be empty), SANITIZE (may be empty: "address,undefined"); FEATURES and
# PORT_BUILD_DIR (vcpkg_port); PREFIX (pkg_config).
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE ${WORK_DIR})

# Runs a command; on failure stops with its output (ctest --output-on-failure shows it).
function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
set(configure_args -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
if(COMPILER_LAUNCHER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER_LAUNCHER=${COMPILER_LAUNCHER})
endif()

if(SHAPE STREQUAL "pkg_config")
  include(${CMAKE_CURRENT_LIST_DIR}/pkg-config.cmake)
  return()
endif()

if(SHAPE STREQUAL "vcpkg_port")
  include(${CMAKE_CURRENT_LIST_DIR}/vcpkg-port.cmake)
  return()
endif()

if(SHAPE STREQUAL "find_package" OR SHAPE STREQUAL "header_only")
  step("cmake --install" ${CMAKE_COMMAND} --install ${MINK_BUILD_DIR} --prefix ${WORK_DIR}/prefix)
  list(APPEND configure_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
endif()
if(SHAPE STREQUAL "find_package")
  set(project_dir ${MINK_SOURCE_DIR}/tests/find-package-test)
  # The installed libmink.a is the build under test; when that build is sanitized its objects
  # call the sanitizer runtimes, so the consumer links them too (and runs sanitized).
  if(SANITIZE)
    list(APPEND configure_args "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE} -fno-omit-frame-pointer"
         -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE})
  endif()
elseif(SHAPE STREQUAL "header_only")
  set(project_dir ${MINK_SOURCE_DIR}/tests/header-only-test)
elseif(SHAPE STREQUAL "add_subdirectory")
  set(project_dir ${MINK_SOURCE_DIR}/tests/add-subdirectory-test)
  # A unity build (two batches for two cores) halves the time of compiling libmink from
  # scratch (74 s against 150-170 s on the loaded 2-core machine). It hides nothing: the
  # header-only shape already requires every -inl.hpp to compile together in one TU, and the
  # main build compiles each src/*.cpp alone.
  list(APPEND configure_args -DMINK_SOURCE_DIR=${MINK_SOURCE_DIR} -DBUILD_SHARED_LIBS=ON
       -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=6)
else()
  message(FATAL_ERROR "unknown SHAPE '${SHAPE}'")
endif()

step("configuring ${project_dir}"
     ${CMAKE_COMMAND} -S ${project_dir} -B ${WORK_DIR}/build ${configure_args})
# --verbose: the header-only check reads the link line.
step("building the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build --parallel ${jobs} --verbose)
set(build_output "${step_output}")

if(SHAPE STREQUAL "header_only")
  # The consumer's link line is the one naming its output; it must not pull in libmink.
  string(REGEX MATCH "[^\n]*-o consumer[^\n]*" link_line "${build_output}")
  if(NOT link_line)
    message(FATAL_ERROR "no link line for the consumer in the build output:\n${build_output}")
  endif()
  if(link_line MATCHES "libmink")
    message(FATAL_ERROR "the header-only consumer links the compiled library:\n${link_line}")
  endif()
endif()

if(SHAPE STREQUAL "add_subdirectory")
  # Written by the consumer project: MINK_LIBRARY, MINK_VERSION, MINK_SOVERSION, CONSUMER.
  include(${WORK_DIR}/build/mink-library.cmake)
  if(MINK_SOVERSION STREQUAL "")
    set(MINK_SOVERSION ${MINK_VERSION})  # CMake's default
  endif()
  step("readelf -d ${MINK_LIBRARY}" readelf -d ${MINK_LIBRARY})
  if(NOT step_output MATCHES "\\(SONAME\\)[^\n]*\\[(libmink\\.so\\.[0-9][^]]*)\\]")
    message(FATAL_ERROR "${MINK_LIBRARY} has no versioned SONAME:\n${step_output}")
  endif()
  set(soname ${CMAKE_MATCH_1})
  if(NOT soname STREQUAL "libmink.so.${MINK_SOVERSION}" OR MINK_SOVERSION STREQUAL "")
    message(FATAL_ERROR "SONAME ${soname} does not carry the version '${MINK_SOVERSION}'")
  endif()
  step("readelf -d ${CONSUMER}" readelf -d ${CONSUMER})
  if(NOT step_output MATCHES "\\(NEEDED\\)[^\n]*\\[${soname}\\]")
    message(FATAL_ERROR "the consumer does not need ${soname}:\n${step_output}")
  endif()
  # Something of mink's is exported (MINK_API), under -fvisibility=hidden.
  step("nm -DC ${MINK_LIBRARY}" nm -DC --defined-only ${MINK_LIBRARY})
  if(NOT step_output MATCHES " mink::")
    message(FATAL_ERROR "${MINK_LIBRARY} exports no mink:: symbol:\n${step_output}")
  endif()
  message("${MINK_LIBRARY}: SONAME ${soname}")
endif()

execute_process(COMMAND ${WORK_DIR}/build/consumer RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "consumer ok")
  message(FATAL_ERROR "the consumer program failed (${rc})")
endif()
