# vcpkg overlay port for mink, built from the source tree this port lives in:
#   vcpkg install mink[postgres,http] --overlay-ports=<mink>/ports
# or, in a manifest project, "vcpkg-configuration.json": { "overlay-ports": ["<mink>/ports"] }.
# MINK_SOURCE_DIR (environment) points the port at another checkout.
#
# tests/packaging/vcpkg-emulation.cmake runs this very file with stand-ins for the vcpkg
# helpers (ctest consumption.vcpkg_port.*), so keep to the helpers it provides.
if(DEFINED ENV{MINK_SOURCE_DIR})
  set(SOURCE_PATH "$ENV{MINK_SOURCE_DIR}")
else()
  get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
endif()

# One CMake option per feature (vcpkg.json); each is passed ON or OFF, never left to the
# option's default (which depends on what happens to be installed).
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    postgres   MINK_WITH_POSTGRES
    prometheus MINK_WITH_PROMETHEUS
    kafka      MINK_WITH_KAFKA
    http       MINK_WITH_HTTP
    aws        MINK_WITH_AWS
    vault      MINK_WITH_VAULT
    testing    MINK_WITH_TESTING
)

# mink's CMakeLists finds libpqxx and librdkafka through pkg-config.
vcpkg_find_acquire_program(PKGCONFIG)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    ${FEATURE_OPTIONS}
    "-DPKG_CONFIG_EXECUTABLE=${PKGCONFIG}"
    -DMINK_BUILD_TESTS=OFF
    -DMINK_BUILD_EXAMPLES=OFF
    -DMINK_BUILD_BENCH=OFF
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH lib/cmake/mink)
vcpkg_fixup_pkgconfig()

# Headers are installed once, by the release build.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include")

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
# mink has not chosen a licence yet (vcpkg.json says "license": null); the copyright file says
# so until a LICENSE file exists in the source tree.
if(EXISTS "${SOURCE_PATH}/LICENSE")
  vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
else()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright"
       "mink: no licence has been chosen yet; see the project's README.\n")
endif()
