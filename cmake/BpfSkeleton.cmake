# vigil_bpf_skeleton(<target> NAME <skel-name> SOURCES <x.bpf.c>...
#                    INCLUDES <dir>...)
#
# Compiles each .bpf.c with clang for the BPF target (-Wall -Werror), links
# the objects into one with 'bpftool gen object', and generates a libbpf
# skeleton header <skel-name>.skel.h. <target> is an INTERFACE library whose
# include directory holds the header.
#
# The programs are CO-RE: they include the vmlinux.h the repository carries
# (bpf/vmlinux/, see tools/gen-vmlinux-h.sh), never the build host's BTF.

find_program(VIGIL_CLANG NAMES clang clang-14 clang-15 clang-16 REQUIRED)
find_program(VIGIL_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

execute_process(COMMAND ${VIGIL_CLANG} --version OUTPUT_VARIABLE _clang_out)
string(REGEX MATCH "clang version ([0-9]+)" _ "${_clang_out}")
if(CMAKE_MATCH_1 LESS 12)
  message(FATAL_ERROR "vigil: clang >= 12 is needed for BPF CO-RE, found ${CMAKE_MATCH_1}")
endif()
execute_process(COMMAND ${VIGIL_BPFTOOL} version OUTPUT_VARIABLE _bpftool_out
                RESULT_VARIABLE _bpftool_rc)
string(REGEX MATCH "v([0-9]+)\\.([0-9]+)" _ "${_bpftool_out}")
if(NOT _bpftool_rc EQUAL 0 OR CMAKE_MATCH_1 LESS 7)
  message(FATAL_ERROR "vigil: bpftool >= 7.0 is needed to link BPF objects "
                      "(Debian package 'bpftool'), found '${_bpftool_out}'")
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(VIGIL_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(VIGIL_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "vigil: no BPF target arch for ${CMAKE_SYSTEM_PROCESSOR}")
endif()

function(vigil_bpf_skeleton target)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;INCLUDES" ${ARGN})
  set(outdir ${CMAKE_CURRENT_BINARY_DIR}/${target})
  file(MAKE_DIRECTORY ${outdir}/obj)
  set(include_flags)
  foreach(dir ${ARG_INCLUDES})
    list(APPEND include_flags -I${dir})
  endforeach()

  set(objects)
  foreach(src ${ARG_SOURCES})
    get_filename_component(stem ${src} NAME_WE)
    set(obj ${outdir}/obj/${stem}.o)
    get_filename_component(abs ${src} ABSOLUTE)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${VIGIL_CLANG} -target bpf -O2 -g -Wall -Werror
              -D__TARGET_ARCH_${VIGIL_BPF_ARCH} ${include_flags} -MD -MF ${obj}.d
              -c ${abs} -o ${obj}
      DEPENDS ${abs}
      DEPFILE ${obj}.d
      COMMENT "BPF ${stem}.bpf.c"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()

  set(linked ${outdir}/${ARG_NAME}.bpf.o)
  set(skel ${outdir}/${ARG_NAME}.skel.h)
  add_custom_command(
    OUTPUT ${linked}
    COMMAND ${VIGIL_BPFTOOL} gen object ${linked} ${objects}
    DEPENDS ${objects}
    COMMENT "BPF link ${ARG_NAME}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${VIGIL_BPFTOOL} gen skeleton ${linked} name ${ARG_NAME} > ${skel}
    DEPENDS ${linked}
    COMMENT "BPF skeleton ${ARG_NAME}.skel.h"
    VERBATIM)
  add_custom_target(${target}_gen DEPENDS ${skel})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE ${outdir})
endfunction()
