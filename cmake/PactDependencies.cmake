# Every third-party dependency is found here, once. Each failure names the
# Debian package that provides it (the full list lives in deploy/packages.txt).

find_package(Threads REQUIRED)

find_package(OpenSSL REQUIRED)
find_package(CAF REQUIRED)

# Start-up time: a `pact` invocation is dominated by the dynamic loader
# resolving the symbols of every shared library it maps (docs/benchmarks.md,
# "The CLI's own start"). The libraries whose Debian packages ship a
# position-independent static archive, and which are not security-critical
# network code, are linked into the binaries instead (docs/dependencies.md,
# "How the libraries are linked"). OpenSSL and CAF stay shared.
option(PACT_STATIC_DEPS
  "Link protobuf-lite, Boost.Program_options and toml++ into the binaries" ON)

find_package(Protobuf REQUIRED)
if(NOT Protobuf_PROTOC_EXECUTABLE)
  message(FATAL_ERROR "protoc not found: install the Debian package "
                      "'protobuf-compiler'")
endif()
add_library(pact::protobuf INTERFACE IMPORTED)
set(_pb_static "")
if(PACT_STATIC_DEPS AND Protobuf_LITE_LIBRARY)
  get_filename_component(_pb_dir "${Protobuf_LITE_LIBRARY}" DIRECTORY)
  if(EXISTS "${_pb_dir}/libprotobuf-lite.a")
    set(_pb_static "${_pb_dir}/libprotobuf-lite.a")
  endif()
endif()
if(_pb_static)
  set_target_properties(pact::protobuf PROPERTIES
    INTERFACE_LINK_LIBRARIES "${_pb_static};Threads::Threads"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${Protobuf_INCLUDE_DIRS}"
    INTERFACE_INCLUDE_DIRECTORIES "${Protobuf_INCLUDE_DIRS}")
else()
  set_target_properties(pact::protobuf PROPERTIES
    INTERFACE_LINK_LIBRARIES protobuf::libprotobuf-lite)
endif()

find_path(LMDB_INCLUDE_DIR lmdb.h)
find_library(LMDB_LIBRARY lmdb)
if(NOT LMDB_INCLUDE_DIR OR NOT LMDB_LIBRARY)
  message(FATAL_ERROR "LMDB not found: install the Debian package 'liblmdb-dev'")
endif()
add_library(pact::lmdb UNKNOWN IMPORTED)
set_target_properties(pact::lmdb PROPERTIES IMPORTED_LOCATION "${LMDB_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${LMDB_INCLUDE_DIR}")

# dtl (header-only): unified diffs of drifted files (runtime/node).
find_path(DTL_INCLUDE_DIR dtl/dtl.hpp)
if(NOT DTL_INCLUDE_DIR)
  message(FATAL_ERROR "dtl not found: install the Debian package 'libdtl-dev'")
endif()
add_library(pact::dtl INTERFACE IMPORTED)
set_target_properties(pact::dtl PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${DTL_INCLUDE_DIR}")

set(Boost_USE_STATIC_LIBS ${PACT_STATIC_DEPS})
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(tomlplusplus REQUIRED)
# toml++ compiled into pact_common (runtime/common/toml_impl.cpp defines
# TOML_IMPLEMENTATION) instead of linking libtomlplusplus.so.
add_library(pact::toml INTERFACE IMPORTED)
if(PACT_STATIC_DEPS)
  # The headers are toml++'s own, in the default include path.
  set_target_properties(pact::toml PROPERTIES
    INTERFACE_COMPILE_DEFINITIONS "TOML_HEADER_ONLY=0;PACT_TOML_COMPILED_IN=1")
else()
  set_target_properties(pact::toml PROPERTIES
    INTERFACE_LINK_LIBRARIES tomlplusplus::tomlplusplus)
endif()
find_package(prometheus-cpp CONFIG REQUIRED)
# HTTP clients: service health checks (runtime/node/health_probe.cpp).
find_package(CURL REQUIRED)
find_package(PkgConfig REQUIRED)
# sd-bus and sd-journal: the systemd supervisor backend drives units over
# D-Bus and reads their journal (runtime/node/systemd_bus.cpp).
pkg_check_modules(SYSTEMD IMPORTED_TARGET libsystemd)
if(NOT SYSTEMD_FOUND)
  message(FATAL_ERROR "libsystemd not found: install the Debian package "
                      "'libsystemd-dev'")
endif()
# RE2 (linear-time regular expressions): `pact diag --grep` patterns, which
# an operator types and the agent runs (runtime/node/diag_filter.cpp).
pkg_check_modules(RE2 IMPORTED_TARGET re2)
if(NOT RE2_FOUND)
  message(FATAL_ERROR "RE2 not found: install the Debian package 'libre2-dev'")
endif()
if(PACT_BUILD_TESTS)
  find_package(doctest REQUIRED)
endif()
# gRPC (C++): the lattice scheduler's API is gRPC (runtime/delegation,
# docs/delegation.md). The generated stubs come from grpc_cpp_plugin.
pkg_check_modules(GRPCPP IMPORTED_TARGET grpc++)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin)
if(NOT GRPCPP_FOUND OR NOT GRPC_CPP_PLUGIN)
  message(FATAL_ERROR "gRPC not found: install the Debian packages "
                      "'libgrpc++-dev' and 'protobuf-compiler-grpc'")
endif()
