# Checks that a static library needs nothing from outside but an allow-list of symbols: the symbols
# some member leaves undefined (nm -u, over all members, de-duplicated) that no member defines.
# For the freestanding libklpelf.a (klpelf without std), the allow-list is what Rust's core calls
# and any C environment provides: no C library, libgcc_s, pthread or unwinder symbol may creep in.
#
#   cmake -DARCHIVE=libklpelf_freestanding.a [-DNM=nm] [-DOBJDUMP=objdump] -P check_symbols.cmake
#
# GNU nm is run with an explicit --target (the BFD name objdump reports for the members): without
# it, nm hands `core`'s object, which embeds LLVM bitcode, to the LTO plugin, which cannot read it
# and then reports "no symbols" for the whole member. Any message from nm fails the check for that
# reason. SPDX-License-Identifier: GPL-2.0-only
cmake_minimum_required(VERSION 3.21)

set(allowed memcpy memmove memset memcmp bcmp)

if(NOT ARCHIVE OR NOT EXISTS "${ARCHIVE}")
  message(FATAL_ERROR "check_symbols.cmake: ARCHIVE '${ARCHIVE}' does not exist")
endif()
if(NOT NM)
  find_program(NM nm REQUIRED)
endif()
if(NOT OBJDUMP)
  find_program(OBJDUMP objdump REQUIRED)
endif()

execute_process(COMMAND "${OBJDUMP}" -f "${ARCHIVE}" RESULT_VARIABLE rc OUTPUT_VARIABLE formats
                ERROR_VARIABLE err)
string(REGEX MATCHALL "file format [^ \n]+" formats "${formats}")
list(REMOVE_DUPLICATES formats)
list(LENGTH formats count)
if(NOT rc EQUAL 0 OR NOT count EQUAL 1)
  message(FATAL_ERROR "objdump -f ${ARCHIVE}: expected one object format, got '${formats}'\n${err}")
endif()
string(REPLACE "file format " "" target "${formats}")

# POSIX format, external symbols only: "name type [value size]" per line.
execute_process(COMMAND "${NM}" "--target=${target}" -P -g "${ARCHIVE}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE symbols ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
  message(FATAL_ERROR "nm could not read every member of ${ARCHIVE} (exit ${rc}):\n${err}")
endif()

set(undefined "")
set(defined "")
string(REPLACE "\n" ";" lines "${symbols}")
foreach(line IN LISTS lines)
  if(line MATCHES "^([^ ]+) ([A-Za-z])( |$)")
    set(name "${CMAKE_MATCH_1}")
    # U: undefined; w, v: weak, undefined. Every other type of an external symbol is a definition.
    if(CMAKE_MATCH_2 MATCHES "^[Uwv]$")
      list(APPEND undefined "${name}")
    else()
      list(APPEND defined "${name}")
    endif()
  endif()
endforeach()
list(LENGTH defined defined_count)
if(defined_count EQUAL 0)
  message(FATAL_ERROR "nm found no defined symbol in ${ARCHIVE}: the scan is broken")
endif()
list(REMOVE_DUPLICATES undefined)
list(REMOVE_DUPLICATES defined)

set(needed "")
set(forbidden "")
foreach(symbol IN LISTS undefined)
  if(NOT symbol IN_LIST defined)
    list(APPEND needed "${symbol}")
    if(NOT symbol IN_LIST allowed)
      list(APPEND forbidden "${symbol}")
    endif()
  endif()
endforeach()
list(SORT needed)
list(SORT forbidden)

string(REPLACE ";" " " needed_text "${needed}")
string(REPLACE ";" " " allowed_text "${allowed}")
if(forbidden)
  # One symbol a line, indented, so that CMake does not rewrap the list.
  string(REPLACE ";" "\n  " forbidden_text "${forbidden}")
  message(FATAL_ERROR "${ARCHIVE} needs symbols outside the allow-list (${allowed_text}):\n"
    "  ${forbidden_text}\n"
    "(klpelf must not call C library functions in the freestanding build; core's "
    "CStr::from_ptr calls strlen: use crate::freestanding::c_str instead)")
endif()
message(STATUS "${ARCHIVE} needs only allow-listed symbols: ${needed_text}")
