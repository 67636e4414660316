# Stand-ins for the vcpkg helpers ports/mink/portfile.cmake calls, so that the portfile itself
# can run without vcpkg (vcpkg is not installable here). Included by run-port.cmake (builds
# and installs for real) and check-port.cmake (records only: VCPKG_EMULATION_DRY_RUN).
#
# What a real vcpkg run does differently: it builds Debug and Release (we build Release), uses
# its own toolchain file and installed tree for the dependencies (we use the system's), and
# vcpkg_cmake_config_fixup / vcpkg_fixup_pkgconfig move and rewrite the installed files (we
# check that they are where the portfile says).
#
# Inputs (when not a dry run): FEATURES (list), CURRENT_PACKAGES_DIR (staging prefix),
# PORT_BUILD_DIR, CXX_COMPILER, GENERATOR, COMPILER_LAUNCHER (may be empty).

set(PORT mink)
set(VCPKG_FEATURE_TABLE "")       # feature;option;feature;option...
set(VCPKG_CONFIGURE_OPTIONS "")   # what the portfile passed to vcpkg_cmake_configure

function(vcpkg_check_features)
  cmake_parse_arguments(ARG "" "OUT_FEATURE_OPTIONS" "FEATURES;INVERTED_FEATURES" ${ARGN})
  if(ARG_INVERTED_FEATURES)
    message(FATAL_ERROR "vcpkg-emulation: INVERTED_FEATURES is not emulated")
  endif()
  set(options "")
  set(table "")
  set(known "")
  list(LENGTH ARG_FEATURES n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 0 ${last} 2)
    math(EXPR j "${i} + 1")
    list(GET ARG_FEATURES ${i} feature)
    list(GET ARG_FEATURES ${j} option)
    list(APPEND table ${feature} ${option})
    list(APPEND known ${feature})
    if(feature IN_LIST FEATURES)
      list(APPEND options "-D${option}=ON")
    else()
      list(APPEND options "-D${option}=OFF")
    endif()
  endforeach()
  foreach(feature IN LISTS FEATURES)
    if(NOT feature IN_LIST known)
      message(FATAL_ERROR "vcpkg-emulation: feature '${feature}' is not in vcpkg_check_features")
    endif()
  endforeach()
  set(${ARG_OUT_FEATURE_OPTIONS} "${options}" PARENT_SCOPE)
  set(VCPKG_FEATURE_TABLE "${table}" PARENT_SCOPE)
endfunction()

function(vcpkg_find_acquire_program program)
  if(NOT program STREQUAL "PKGCONFIG")
    message(FATAL_ERROR "vcpkg-emulation: vcpkg_find_acquire_program(${program}) not emulated")
  endif()
  find_program(_pkgconfig NAMES pkgconf pkg-config REQUIRED)
  set(PKGCONFIG "${_pkgconfig}" PARENT_SCOPE)
endfunction()

# Runs a command; on failure stops with its output.
function(_vcpkg_emulation_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
endfunction()

function(vcpkg_cmake_configure)
  cmake_parse_arguments(ARG "" "SOURCE_PATH" "OPTIONS;OPTIONS_RELEASE;OPTIONS_DEBUG" ${ARGN})
  set(VCPKG_CONFIGURE_OPTIONS ${ARG_OPTIONS} ${ARG_OPTIONS_RELEASE} PARENT_SCOPE)
  set(VCPKG_SOURCE_PATH "${ARG_SOURCE_PATH}" PARENT_SCOPE)
  if(VCPKG_EMULATION_DRY_RUN)
    return()
  endif()
  # What vcpkg adds for a static Linux triplet, then the portfile's options.
  set(args -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" -DCMAKE_BUILD_TYPE=Release
           -DBUILD_SHARED_LIBS=OFF "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}")
  if(COMPILER_LAUNCHER)
    list(APPEND args "-DCMAKE_CXX_COMPILER_LAUNCHER=${COMPILER_LAUNCHER}")
  endif()
  list(APPEND args ${ARG_OPTIONS} ${ARG_OPTIONS_RELEASE})
  string(REPLACE ";" " " shown "${ARG_OPTIONS};${ARG_OPTIONS_RELEASE}")
  message("portfile options: ${shown}")
  _vcpkg_emulation_step("configuring mink as the port does"
    ${CMAKE_COMMAND} -S "${ARG_SOURCE_PATH}" -B "${PORT_BUILD_DIR}" ${args})
endfunction()

function(vcpkg_cmake_install)
  if(VCPKG_EMULATION_DRY_RUN)
    return()
  endif()
  cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
  _vcpkg_emulation_step("building mink as the port does"
    ${CMAKE_COMMAND} --build "${PORT_BUILD_DIR}" --parallel ${jobs})
  _vcpkg_emulation_step("installing mink into the staging prefix"
    ${CMAKE_COMMAND} --install "${PORT_BUILD_DIR}" --prefix "${CURRENT_PACKAGES_DIR}")
endfunction()

function(vcpkg_cmake_config_fixup)
  cmake_parse_arguments(ARG "" "CONFIG_PATH;PACKAGE_NAME" "" ${ARGN})
  set(VCPKG_CONFIG_PATH "${ARG_CONFIG_PATH}" PARENT_SCOPE)
  if(NOT VCPKG_EMULATION_DRY_RUN AND NOT EXISTS "${CURRENT_PACKAGES_DIR}/${ARG_CONFIG_PATH}/minkConfig.cmake")
    message(FATAL_ERROR "vcpkg_cmake_config_fixup: no ${ARG_CONFIG_PATH}/minkConfig.cmake in ${CURRENT_PACKAGES_DIR}")
  endif()
endfunction()

function(vcpkg_fixup_pkgconfig)
  if(NOT VCPKG_EMULATION_DRY_RUN AND NOT EXISTS "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/mink.pc")
    message(FATAL_ERROR "vcpkg_fixup_pkgconfig: no lib/pkgconfig/mink.pc in ${CURRENT_PACKAGES_DIR}")
  endif()
endfunction()

function(vcpkg_install_copyright)
  cmake_parse_arguments(ARG "" "" "FILE_LIST" ${ARGN})
  if(NOT VCPKG_EMULATION_DRY_RUN)
    file(INSTALL ${ARG_FILE_LIST} DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
  endif()
endfunction()
