# run.cmake, SHAPE=vcpkg_port: what `vcpkg install mink[FEATURES] --overlay-ports=ports` does,
# without vcpkg, then a consumer of the result. Included by run.cmake (step(), jobs,
# configure_args are its).
string(REPLACE "," ";" FEATURES "${FEATURES}")
set(prefix ${WORK_DIR}/prefix)

# ccache keys on paths below its base directory relative to it: the same sources compiled
# from another build directory (build/dev, build/asan) hit the cache.
if(COMPILER_LAUNCHER MATCHES "ccache" AND NOT DEFINED ENV{CCACHE_BASEDIR})
  set(ENV{CCACHE_BASEDIR} ${MINK_SOURCE_DIR})
endif()

# The portfile itself, with stand-ins for the vcpkg helpers.
unset(ENV{MINK_SOURCE_DIR})
set(CURRENT_PACKAGES_DIR ${prefix})
include(${MINK_SOURCE_DIR}/tests/packaging/vcpkg-emulation.cmake)
include(${MINK_SOURCE_DIR}/ports/mink/portfile.cmake)
foreach(f usage copyright)
  if(NOT EXISTS ${prefix}/share/mink/${f})
    message(FATAL_ERROR "the port installed no share/mink/${f}")
  endif()
endforeach()

# The components this feature set builds: a feature's component exists once its sources do
# (the same test CMakeLists.txt makes before add_subdirectory).
set(component_dirs postgres=adapters/postgres prometheus=adapters/prometheus
    kafka=adapters/kafka http=adapters/http aws=adapters/aws vault=adapters/vault
    testing=testing)
set(built "")
set(not_built "")
foreach(entry IN LISTS component_dirs)
  string(REPLACE "=" ";" entry "${entry}")
  list(GET entry 0 c)
  list(GET entry 1 dir)
  if(c IN_LIST FEATURES AND EXISTS ${MINK_SOURCE_DIR}/${dir}/CMakeLists.txt)
    list(APPEND built ${c})
  else()
    list(APPEND not_built ${c})
  endif()
endforeach()
message("features: ${FEATURES}\ncomponents built: ${built}\nnot built: ${not_built}")

# A consumer that requires every component built and links them all.
list(JOIN built "," built_csv)
step("configuring tests/find-package-test with COMPONENTS ${built}"
     ${CMAKE_COMMAND} -S ${MINK_SOURCE_DIR}/tests/find-package-test -B ${WORK_DIR}/build
     ${configure_args} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
     "-DMINK_COMPONENTS=${built_csv}")
step("building the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build --parallel ${jobs})
execute_process(COMMAND ${WORK_DIR}/build/consumer RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "consumer ok")
  message(FATAL_ERROR "the consumer program failed (${rc})")
endif()

# Asking for what was not built (and for something that is no component) fails, naming each.
set(missing ${not_built} nosuch)
list(JOIN missing "," missing_csv)
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${MINK_SOURCE_DIR}/tests/find-package-test
          -B ${WORK_DIR}/build-missing ${configure_args} -DCMAKE_PREFIX_PATH=${prefix}
          "-DMINK_COMPONENTS=${missing_csv}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "find_package(mink COMPONENTS ${missing}) succeeded:\n${out}")
endif()
string(REGEX REPLACE "[ \n]+" " " flat "${out}")
foreach(c IN LISTS not_built)
  if(NOT flat MATCHES "${c} \\(not built")
    message(FATAL_ERROR "find_package(mink COMPONENTS ${missing}) failed without naming ${c} as not built:\n${out}")
  endif()
endforeach()
if(NOT flat MATCHES "nosuch \\(no such component\\)")
  message(FATAL_ERROR "find_package(mink COMPONENTS nosuch) failed without saying it is no component:\n${out}")
endif()
# ... and says which installation it looked at.
if(NOT flat MATCHES "This installation \\(${prefix}\\) has the components")
  message(FATAL_ERROR "the failure does not name the installation ${prefix}:\n${out}")
endif()
message("find_package(mink COMPONENTS ${missing}) fails as it should")
