# cmake -DFILE=<archive or program> [-DOBJDUMP=objdump] -P KernelSafeCode.cmake
#
# Checks x86-64 code that is to run where the SSE registers and the red zone are not available (a
# kernel, ring 0): its disassembly must name no SSE/AVX or MMX register (%xmm, %ymm, %zmm, %mm),
# contain no x87 instruction (mnemonics starting with f), make no access below the stack pointer
# (`-0x..(%rsp)`, the red zone) and no %fs:/%gs: access (thread-local storage; a kernel uses these
# segments for its own per-CPU data). scripts/test-all runs it on the freestanding library built
# for x86_64-unknown-none and on the -nostdlib program linked with it; ctest's
# ring0_kernel_safe_code on the ring-0 test kernel (tests/ring0).
#
# One exception, for an archive: compiler-builtins' complex and float helpers (__mulsc3 and the
# like), which that target's precompiled library builds from C with SSE. They are allowed only
# while nothing in the archive refers to them (no relocation names them), so they are never linked
# into a program that does not call them itself; the linked program is checked without exception.
cmake_minimum_required(VERSION 3.21)

if(NOT OBJDUMP)
  find_program(OBJDUMP objdump REQUIRED)
endif()
set(klpelf_float_helpers __mulsc3 __muldc3 __divsc3 __divdc3 __negsf2 __negdf2)

execute_process(COMMAND "${OBJDUMP}" -d --no-show-raw-insn "${FILE}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE disassembly ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
  message(FATAL_ERROR "objdump -d ${FILE} failed (${rc}): ${err}")
endif()
string(REPLACE "\n" ";" lines "${disassembly}")

# The functions whose code uses an SIMD register or the red zone.
set(offenders "")
set(function "")
set(instructions 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^[0-9a-f]+ <([^>]+)>:$")
    set(function "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^ +[0-9a-f]+:\t")
    math(EXPR instructions "${instructions} + 1")
    if(line MATCHES "%[xyz]?mm[0-9]" OR line MATCHES "-0x[0-9a-f]+\\(%rsp\\)"
       OR line MATCHES "^ +[0-9a-f]+:\tf" OR line MATCHES "%[fg]s:")
      list(APPEND offenders "${function}")
    endif()
  endif()
endforeach()
list(REMOVE_DUPLICATES offenders)
if(instructions LESS 1000)
  message(FATAL_ERROR "only ${instructions} instructions in ${FILE}: is the scan still right?")
endif()

set(allowed "")
if(FILE MATCHES "\\.a$")
  foreach(helper IN LISTS klpelf_float_helpers)
    list(FIND offenders "${helper}" at)
    if(at GREATER -1)
      list(APPEND allowed "${helper}")
      list(REMOVE_ITEM offenders "${helper}")
    endif()
  endforeach()
  execute_process(COMMAND "${OBJDUMP}" -r "${FILE}" OUTPUT_VARIABLE relocations RESULT_VARIABLE rc)
  foreach(helper IN LISTS allowed)
    if(relocations MATCHES "[ \t]${helper}([-+][^\n]*)?\n")
      message(FATAL_ERROR "${FILE} refers to ${helper}, whose code uses SSE registers")
    endif()
  endforeach()
endif()

if(offenders)
  list(JOIN offenders "\n  " names)
  message(FATAL_ERROR "${FILE}: SSE/AVX/MMX registers, x87 instructions, red-zone or %fs/%gs "
    "accesses in\n  ${names}")
endif()
set(aside "")
if(allowed)
  list(JOIN allowed " " aside)
  set(aside " (left aside, unreferenced: ${aside})")
endif()
message(STATUS "${FILE}: ${instructions} instructions, no SSE/AVX/MMX register, no x87 "
  "instruction, no red-zone or %fs/%gs access"
  "${aside}")
