# How the -nostdlib test program is built: included by c_tests/freestanding/CMakeLists.txt (klpelf's
# own tests) and by consumer/CMakeLists.txt (the same program against an installed klpelf).
# Needs the C and ASM languages. SPDX-License-Identifier: GPL-2.0-only
set(KLPELF_NOSTDLIB_DIR "${CMAKE_CURRENT_LIST_DIR}")

# The module image image.S embeds: tests/fixtures/module.c, compiled as a module object.
set(klpelf_nostdlib_module "${CMAKE_CURRENT_BINARY_DIR}/nostdlib_module.o")
add_custom_command(OUTPUT "${klpelf_nostdlib_module}"
  COMMAND "${CMAKE_C_COMPILER}" -c -O2 "${KLPELF_NOSTDLIB_DIR}/../../tests/fixtures/module.c"
          -o "${klpelf_nostdlib_module}"
  DEPENDS "${KLPELF_NOSTDLIB_DIR}/../../tests/fixtures/module.c"
  COMMENT "Compiling the module image of the freestanding test programs"
  VERBATIM)
add_custom_target(klpelf_nostdlib_module DEPENDS "${klpelf_nostdlib_module}")
set_source_files_properties("${KLPELF_NOSTDLIB_DIR}/image.S" PROPERTIES
  OBJECT_DEPENDS "${klpelf_nostdlib_module}"
  COMPILE_DEFINITIONS "KLPELF_FS_IMAGE=\"${klpelf_nostdlib_module}\"")

# A program with no C library: no builtins made into library calls (GCC would turn a loop back
# into memset), no stack protector (its canary lives in the C library's thread block), and
# sections for --gc-sections, so that the linked size is what the program really uses.
set(KLPELF_NOSTDLIB_CFLAGS -ffreestanding -fno-builtin -fno-stack-protector
    -ffunction-sections -fdata-sections)
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  list(APPEND KLPELF_NOSTDLIB_CFLAGS -fno-tree-loop-distribute-patterns)
endif()

# klpelf_nostdlib_program(<name> <library target>): nostdlib.c, the checks (pipeline.c) and the
# image, linked -nostdlib -static against <library target> (the freestanding libklpelf).
function(klpelf_nostdlib_program name library)
  add_executable(${name} "${KLPELF_NOSTDLIB_DIR}/nostdlib.c" "${KLPELF_NOSTDLIB_DIR}/pipeline.c"
    "${KLPELF_NOSTDLIB_DIR}/image.S")
  add_dependencies(${name} klpelf_nostdlib_module)
  set_target_properties(${name} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(${name} PRIVATE
    "$<$<COMPILE_LANGUAGE:C>:-Wall;-Wextra;-Wpedantic;-Werror;${KLPELF_NOSTDLIB_CFLAGS}>")
  target_link_options(${name} PRIVATE -nostdlib -static -Wl,--gc-sections)
  target_link_libraries(${name} PRIVATE ${library})
endfunction()
