# Every dependency comes from Debian packages (tools/setup.sh installs them).
# A missing one stops configuration with the package to install.
find_package(PkgConfig REQUIRED)

function(vigil_require_pkg var module package)
  pkg_check_modules(${var} REQUIRED IMPORTED_TARGET ${module})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR "vigil: '${module}' not found; install Debian package '${package}' "
                        "(tools/setup.sh does)")
  endif()
endfunction()

vigil_require_pkg(LIBBPF "libbpf>=1.0" libbpf-dev)
vigil_require_pkg(LIBURING liburing liburing-dev)
vigil_require_pkg(HYPERSCAN "libhs>=5.4" libhyperscan-dev)
vigil_require_pkg(YAMLCPP "yaml-cpp>=0.7" libyaml-cpp-dev)
vigil_require_pkg(SPDLOG "spdlog>=1.10" libspdlog-dev)
vigil_require_pkg(FMT "fmt>=9" libfmt-dev)
vigil_require_pkg(LIBSYSTEMD libsystemd libsystemd-dev)
vigil_require_pkg(LIBCURL "libcurl>=7.85" libcurl4-openssl-dev)
vigil_require_pkg(LIBCAP libcap libcap-dev)
vigil_require_pkg(HTTPLIB "cpp-httplib>=0.11" libcpp-httplib-dev)

find_package(mimalloc 2.0 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)

find_path(CONCURRENTQUEUE_INCLUDE_DIR concurrentqueue/concurrentqueue.h)
if(NOT CONCURRENTQUEUE_INCLUDE_DIR)
  message(FATAL_ERROR "vigil: moodycamel concurrentqueue not found; install "
                      "'libconcurrentqueue-dev'")
endif()
add_library(vigil_concurrentqueue INTERFACE)
target_include_directories(vigil_concurrentqueue SYSTEM INTERFACE ${CONCURRENTQUEUE_INCLUDE_DIR})
# GCC 12 at -O2 reports a false -Wstringop-overflow inside std::atomic loads
# inlined from ConcurrentQueue::enqueue_bulk; the queue code is fine.
target_compile_options(vigil_concurrentqueue INTERFACE
  $<$<CXX_COMPILER_ID:GNU>:-Wno-stringop-overflow>)

if(VIGIL_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(VIGIL_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
