# Script run by ctest (cmake -P) for the packaging tests in PackagingTests.cmake; MODE says which.
cmake_minimum_required(VERSION 3.21)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(run_output "${out}${err}" PARENT_SCOPE)
endfunction()

set(consumer_src "${KLPELF_SOURCE_DIR}/examples/consumer")
set(prefix "${WORK}/prefix")

# Builds the consumer project with CMake, then runs it; it checks klpelf's results itself.
function(build_and_run_consumer build_dir)
  file(REMOVE_RECURSE "${build_dir}")
  run(${CMAKE_COMMAND} -S "${consumer_src}" -B "${build_dir}" ${ARGN}
      "-DCMAKE_C_COMPILER=${C_COMPILER}")
  run(${CMAKE_COMMAND} --build "${build_dir}")
  run("${build_dir}/klpelf_consumer" "${build_dir}/sample.o")
  message(STATUS "${run_output}")
endfunction()

# Compiles and links the consumer with a plain compiler line given the flags, then runs it.
function(cc_and_run name)
  set(dir "${WORK}/${name}")
  file(REMOVE_RECURSE "${dir}")
  file(MAKE_DIRECTORY "${dir}")
  run("${C_COMPILER}" -c "${consumer_src}/sample.c" -o "${dir}/sample.o")
  run("${C_COMPILER}" -std=c99 -Wall -Wextra -Wpedantic -Werror "${consumer_src}/main.c"
      -o "${dir}/klpelf_consumer" ${ARGN})
  run("${dir}/klpelf_consumer" "${dir}/sample.o")
  message(STATUS "${run_output}")
endfunction()

if(MODE STREQUAL "native-libs")
  # rustc's own list of what a program linking the static library needs, against CMake's list.
  if(KLPELF_CARGO_PROFILE STREQUAL "debug")
    set(profile_flag "")
  else()
    set(profile_flag "--profile=${KLPELF_CARGO_PROFILE}")
  endif()
  run(${CMAKE_COMMAND} -E env "CARGO_TARGET_DIR=${KLPELF_CARGO_TARGET_DIR}"
      "${KLPELF_CARGO}" rustc --lib ${profile_flag} --crate-type staticlib
      --manifest-path "${KLPELF_SOURCE_DIR}/Cargo.toml" -- --print native-static-libs)
  if(NOT run_output MATCHES "native-static-libs: ([^\n]*)")
    message(FATAL_ERROR "rustc printed no native-static-libs line:\n${run_output}")
  endif()
  string(STRIP "${CMAKE_MATCH_1}" reported)
  list(TRANSFORM KLPELF_NATIVE_LIBS PREPEND "-l" OUTPUT_VARIABLE expected)
  list(JOIN expected " " expected)
  if(NOT reported STREQUAL expected)
    message(FATAL_ERROR "KLPELF_NATIVE_LIBS in CMakeLists.txt is stale:\n"
      "  rustc reports: ${reported}\n  CMake has:     ${expected}")
  endif()
  message(STATUS "native libraries match rustc: ${reported}")
elseif(MODE STREQUAL "symbols")
  # The API is defined as global text symbols, the kernel's two functions under klpelf's names
  # only (the header maps the kernel's names onto them), so a program may define its own.
  find_program(NM nm REQUIRED)
  run("${NM}" -g --defined-only "${KLPELF_LIB}")
  foreach(sym klpelf_copy_module_elf klpelf_free_module_elf klpelf_set_allocator klpelf_last_error
              klpelf_version)
    if(NOT run_output MATCHES "\n[0-9a-f]+ T ${sym}\n")
      message(FATAL_ERROR "${KLPELF_LIB} does not define ${sym}")
    endif()
  endforeach()
  if(run_output MATCHES "\n[0-9a-f]+ [A-Z] (copy_module_elf|free_module_elf)\n")
    message(FATAL_ERROR "${KLPELF_LIB} defines ${CMAKE_MATCH_1}, a kernel name")
  endif()
  message(STATUS "libklpelf.a defines the API")
elseif(MODE STREQUAL "add_subdirectory")
  build_and_run_consumer("${WORK}/subdir" "-DKLPELF_SOURCE_DIR=${KLPELF_SOURCE_DIR}"
    "-DKLPELF_CARGO_TARGET_DIR=${KLPELF_CARGO_TARGET_DIR}")
elseif(MODE STREQUAL "install")
  file(REMOVE_RECURSE "${prefix}")
  run(${CMAKE_COMMAND} --install "${KLPELF_BINARY_DIR}" --prefix "${prefix}")
  foreach(f ${LIBDIR}/libklpelf.a ${INCLUDEDIR}/klpelf.h ${LIBDIR}/cmake/klpelf/klpelfConfig.cmake
            ${LIBDIR}/cmake/klpelf/klpelfConfigVersion.cmake ${LIBDIR}/pkgconfig/klpelf.pc)
    if(NOT EXISTS "${prefix}/${f}")
      message(FATAL_ERROR "install did not produce ${f}")
    endif()
  endforeach()
elseif(MODE STREQUAL "find_package")
  build_and_run_consumer("${WORK}/package" "-DCMAKE_PREFIX_PATH=${prefix}")
elseif(MODE STREQUAL "pkg_config")
  find_program(PKG_CONFIG pkg-config REQUIRED)
  set(ENV{PKG_CONFIG_PATH} "${prefix}/${LIBDIR}/pkgconfig")
  run("${PKG_CONFIG}" --cflags --libs klpelf)
  string(STRIP "${run_output}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  cc_and_run(pkg-config ${flags})
elseif(MODE STREQUAL "plain_cc")
  # The plain compiler line of docs/api.md.
  list(TRANSFORM KLPELF_NATIVE_LIBS PREPEND "-l" OUTPUT_VARIABLE native)
  cc_and_run(plain-cc "-I${prefix}/${INCLUDEDIR}" "${prefix}/${LIBDIR}/libklpelf.a" ${native})
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
