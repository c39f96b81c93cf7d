# Script run by ctest (cmake -P) for the packaging tests in PackagingTests.cmake; MODE says which.
# scripts/test-all also runs MODE=components on the tree it installs with KLPELF_FREESTANDING=ON
# (PREFIX set, EXPECT_FREESTANDING=ON).
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
if(PREFIX)
  set(prefix "${PREFIX}")
else()
  set(prefix "${WORK}/prefix")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/LibraryChecks.cmake")

# Builds the consumer project with CMake, checks how it is linked (`shared` or `static`), then runs
# it; it checks klpelf's results itself.
function(build_and_run_consumer build_dir kind)
  file(REMOVE_RECURSE "${build_dir}")
  set(target klpelf::klpelf)
  if(kind STREQUAL "static")
    set(target klpelf::klpelf_static)
  endif()
  run(${CMAKE_COMMAND} -S "${consumer_src}" -B "${build_dir}" ${ARGN}
      "-DKLPELF_CONSUMER_TARGET=${target}" "-DCMAKE_C_COMPILER=${C_COMPILER}")
  run(${CMAKE_COMMAND} --build "${build_dir}")
  klpelf_check_linkage("${build_dir}/klpelf_consumer" ${kind})
  run("${build_dir}/klpelf_consumer" "${build_dir}/sample.o")
  message(STATUS "${run_output}")
endfunction()

# Compiles and links the consumer with a plain compiler line given the flags, checks how it is
# linked, then runs it.
function(cc_and_run name kind)
  set(dir "${WORK}/${name}")
  file(REMOVE_RECURSE "${dir}")
  file(MAKE_DIRECTORY "${dir}")
  run("${C_COMPILER}" -c "${consumer_src}/sample.c" -o "${dir}/sample.o")
  run("${C_COMPILER}" -std=c99 -Wall -Wextra -Wpedantic -Werror "${consumer_src}/main.c"
      -o "${dir}/klpelf_consumer" ${ARGN})
  klpelf_check_linkage("${dir}/klpelf_consumer" ${kind})
  run("${dir}/klpelf_consumer" "${dir}/sample.o")
  message(STATUS "${run_output}")
endfunction()

# rustc's own list of what a program linking the static library needs, against CMake's list.
function(check_native_libs)
  set(profile_flag "--profile=${KLPELF_CARGO_PROFILE}")
  if(KLPELF_CARGO_PROFILE STREQUAL "debug")
    set(profile_flag "")
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
endfunction()

# The archive defines the API as global text symbols, the kernel's two functions under klpelf's
# names only (the header maps the kernel's names onto them), so a program may define its own.
function(check_archive_symbols)
  run("${KLPELF_NM}" -g --defined-only "${KLPELF_LIB}")
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
endfunction()

# Installs the build tree into ${prefix} and checks what is there; the installed klpelf-inspect
# runs (it finds the installed libklpelf.so through its RUNPATH).
function(install_and_check)
  file(REMOVE_RECURSE "${prefix}")
  run(${CMAKE_COMMAND} --install "${KLPELF_BINARY_DIR}" --prefix "${prefix}")
  foreach(f ${INCLUDEDIR}/klpelf.h ${LIBDIR}/cmake/klpelf/klpelfConfig.cmake
            ${LIBDIR}/cmake/klpelf/klpelfConfigVersion.cmake ${LIBDIR}/pkgconfig/klpelf.pc
            ${DOCDIR}/LICENSE)
    if(NOT EXISTS "${prefix}/${f}")
      message(FATAL_ERROR "install did not produce ${f}")
    endif()
  endforeach()
  klpelf_check_installed_libraries("${prefix}/${LIBDIR}")
  klpelf_check_linkage("${prefix}/${BINDIR}/klpelf-inspect" shared)
  run("${prefix}/${BINDIR}/klpelf-inspect" "${KLPELF_BINARY_DIR}/tools/sample_livepatch.o")
endfunction()

# find_package(klpelf COMPONENTS freestanding) succeeds, and sets klpelf_freestanding_FOUND, exactly
# when the installed tree has the freestanding library (EXPECT_FREESTANDING).
function(check_components)
  set(dir "${WORK}/components")
  file(REMOVE_RECURSE "${dir}")
  file(WRITE "${dir}/src/CMakeLists.txt" [=[
cmake_minimum_required(VERSION 3.21)
project(klpelf_components LANGUAGES NONE)
find_package(klpelf 0.1 CONFIG REQUIRED ${KLPELF_REQUEST} freestanding)
if(TARGET klpelf::freestanding)
  set(target TRUE)
endif()
message(STATUS "klpelf_freestanding_FOUND=${klpelf_freestanding_FOUND} target=${target}")
]=])
  foreach(request IN ITEMS OPTIONAL_COMPONENTS COMPONENTS)
    execute_process(COMMAND ${CMAKE_COMMAND} -S "${dir}/src" -B "${dir}/${request}"
      "-DCMAKE_PREFIX_PATH=${prefix}" "-DKLPELF_REQUEST=${request}"
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(EXPECT_FREESTANDING)
      set(want "rc=0 found=TRUE target=TRUE")
    elseif(request STREQUAL "COMPONENTS")
      set(want "rc=1 found= target=")
    else()
      set(want "rc=0 found=FALSE target=")
    endif()
    set(got "rc=${rc} found= target=")
    if(out MATCHES "klpelf_freestanding_FOUND=([A-Z]*) target=([A-Z]*)")
      set(got "rc=${rc} found=${CMAKE_MATCH_1} target=${CMAKE_MATCH_2}")
    endif()
    if(NOT got STREQUAL want)
      message(FATAL_ERROR "find_package(klpelf ${request} freestanding): got ${got}, want "
        "${want}\n${out}\n${err}")
    endif()
    message(STATUS "find_package(klpelf ${request} freestanding): ${want}")
  endforeach()
endfunction()

# pkg-config's flags for klpelf from the installed tree, `--libs` or `--static --libs`.
function(pkg_config_flags out)
  find_program(PKG_CONFIG pkg-config REQUIRED)
  set(ENV{PKG_CONFIG_PATH} "${prefix}/${LIBDIR}/pkgconfig")
  run("${PKG_CONFIG}" --cflags ${ARGN} klpelf)
  string(STRIP "${run_output}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "native-libs")
  check_native_libs()
elseif(MODE STREQUAL "symbols")
  check_archive_symbols()
elseif(MODE STREQUAL "add_subdirectory")
  build_and_run_consumer("${WORK}/subdir" shared "-DKLPELF_SOURCE_DIR=${KLPELF_SOURCE_DIR}"
    "-DKLPELF_CARGO_TARGET_DIR=${KLPELF_CARGO_TARGET_DIR}")
elseif(MODE STREQUAL "install")
  install_and_check()
elseif(MODE STREQUAL "find_package")
  build_and_run_consumer("${WORK}/package" shared "-DCMAKE_PREFIX_PATH=${prefix}")
elseif(MODE STREQUAL "find_package_static")
  build_and_run_consumer("${WORK}/package-static" static "-DCMAKE_PREFIX_PATH=${prefix}")
elseif(MODE STREQUAL "components")
  check_components()
elseif(MODE STREQUAL "pkg_config")
  # The installed library is outside the loader's search path: the program records where it is.
  pkg_config_flags(flags --libs)
  cc_and_run(pkg-config shared ${flags} "-Wl,-rpath,${prefix}/${LIBDIR}")
elseif(MODE STREQUAL "pkg_config_static")
  # --static adds Libs.private, which must be the archive's native libraries; docs/api.md's recipe
  # then names the archive itself in place of -lklpelf, which the linker resolves to the .so.
  pkg_config_flags(flags --static --libs)
  foreach(lib IN LISTS KLPELF_NATIVE_LIBS)
    if(NOT "-l${lib}" IN_LIST flags)
      message(FATAL_ERROR "pkg-config --static --libs klpelf lacks -l${lib}: ${flags}")
    endif()
  endforeach()
  list(TRANSFORM flags REPLACE "^-lklpelf$" "-l:libklpelf.a")
  cc_and_run(pkg-config-static static ${flags})
elseif(MODE STREQUAL "plain_cc")
  # The plain compiler line of docs/api.md.
  list(TRANSFORM KLPELF_NATIVE_LIBS PREPEND "-l" OUTPUT_VARIABLE native)
  cc_and_run(plain-cc static "-I${prefix}/${INCLUDEDIR}" "${prefix}/${LIBDIR}/libklpelf.a"
    ${native})
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
