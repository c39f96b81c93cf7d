# ctest tests valgrind_*: the C tests and klpelf-inspect under
#   valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
# so that any memory error, and any definitely or indirectly lost block, fails the test ("still
# reachable" blocks of the Rust runtime do not count). Included from the top-level CMakeLists.txt
# after c_tests/ and InspectTests.cmake. Not registered in a sanitizer build (valgrind cannot run
# AddressSanitizer binaries) or without valgrind.

# The kbuild modules are those inspect_kbuild builds when kernel headers are installed: the tests
# that use them require its fixture klpelf_kbuild_modules (cmake/InspectTests.cmake), and skip
# when the modules are missing.

find_program(KLPELF_VALGRIND valgrind)
if(KLPELF_SANITIZE OR NOT KLPELF_VALGRIND)
  if(NOT KLPELF_VALGRIND)
    message(STATUS "valgrind not found: no valgrind_* tests")
  endif()
  return()
endif()

set(KLPELF_VALGRIND_OPTIONS --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --num-callers=30)
set(klpelf_vg_fixtures ${PROJECT_BINARY_DIR}/c_tests/fixtures)
set(klpelf_vg_sample ${PROJECT_BINARY_DIR}/tools/sample_livepatch.o)
set(klpelf_vg_kbuild ${PROJECT_BINARY_DIR}/inspect-tests/kbuild)

# klpelf_valgrind_test(<name> <command>...): valgrind_<name>, passing when the command exits 0 and
# valgrind finds nothing.
function(klpelf_valgrind_test name)
  add_test(NAME valgrind_${name}
    COMMAND ${KLPELF_VALGRIND} --error-exitcode=1 ${KLPELF_VALGRIND_OPTIONS} ${ARGN})
  set_tests_properties(valgrind_${name} PROPERTIES TIMEOUT 900 LABELS valgrind)
endfunction()

# klpelf_valgrind_sh(<name> <script> <args>...): the same through `sh -c <script> <args>`, for
# commands that must exit non-zero or may be skipped; $VG is the valgrind command line, and valgrind
# reports its own findings with exit status 99.
function(klpelf_valgrind_sh name script)
  list(JOIN KLPELF_VALGRIND_OPTIONS " " options)
  add_test(NAME valgrind_${name}
    COMMAND sh -c "VG='${KLPELF_VALGRIND} --error-exitcode=99 ${options}'; ${script}" ${ARGN})
  set_tests_properties(valgrind_${name} PROPERTIES TIMEOUT 900 LABELS valgrind
    SKIP_REGULAR_EXPRESSION "skipped:")
endfunction()

# The C tests, with the arguments c_tests/CMakeLists.txt gives them.
klpelf_valgrind_test(c_layout $<TARGET_FILE:test_layout>)
klpelf_valgrind_test(c_header_cpp $<TARGET_FILE:test_header_cpp>)
klpelf_valgrind_test(c_load_object $<TARGET_FILE:test_load_object>
  ${klpelf_vg_fixtures}/module.o ${klpelf_vg_fixtures}/many_sections.o ${klpelf_vg_fixtures}/xnum.o)
foreach(mode IN ITEMS module many xnum)
  set(object module.o)
  if(mode STREQUAL "many")
    set(object many_sections.o)
  elseif(mode STREQUAL "xnum")
    set(object xnum.o)
  endif()
  klpelf_valgrind_test(c_real_${mode} $<TARGET_FILE:test_real_objects> ${mode}
    ${klpelf_vg_fixtures}/${object})
endforeach()
klpelf_valgrind_test(c_differential $<TARGET_FILE:test_differential>)
klpelf_valgrind_test(c_errors $<TARGET_FILE:test_errors>)
klpelf_valgrind_test(c_free $<TARGET_FILE:test_free>)
klpelf_valgrind_test(c_threads $<TARGET_FILE:test_threads> ${klpelf_vg_fixtures}/module.o)
klpelf_valgrind_test(c_kernel_names $<TARGET_FILE:test_kernel_names> ${klpelf_vg_fixtures}/module.o)
klpelf_valgrind_test(c_livepatch_names $<TARGET_FILE:test_livepatch_names>)
klpelf_valgrind_test(c_livepatch_symbol_map $<TARGET_FILE:test_livepatch_symbol_map>)
klpelf_valgrind_test(c_livepatch_walk $<TARGET_FILE:test_livepatch_walk>
  ${klpelf_vg_fixtures}/livepatch.o)
klpelf_valgrind_test(c_livepatch_resolve $<TARGET_FILE:test_livepatch_resolve>
  ${klpelf_vg_fixtures}/livepatch.o ${klpelf_vg_fixtures}/livepatch_bad.o)
klpelf_valgrind_test(c_livepatch_corrupt $<TARGET_FILE:test_livepatch_corrupt>
  ${klpelf_vg_fixtures}/livepatch.o)
klpelf_valgrind_test(c_livepatch_relocs $<TARGET_FILE:test_livepatch_relocs>
  ${klpelf_vg_fixtures}/klp_relocs.o)
klpelf_valgrind_test(c_livepatch_relocs_errors $<TARGET_FILE:test_livepatch_relocs_errors>
  ${klpelf_vg_fixtures}/klp_relocs.o)
set(klpelf_vg_kbuild_relocs ${PROJECT_BINARY_DIR}/inspect-tests/kbuild-relocs)
klpelf_valgrind_sh(c_livepatch_relocs_kbuild
  [=[test -f "$2" || { echo "skipped: no kbuild relocation module or map"; exit 0; }; exec $VG "$0" "$@"]=]
  $<TARGET_FILE:test_livepatch_relocs_kbuild> ${klpelf_vg_kbuild_relocs}/klpelf_relocs_klp.ko
  ${klpelf_vg_kbuild_relocs}/kallsyms)
set_tests_properties(valgrind_c_livepatch_relocs_kbuild PROPERTIES FIXTURES_REQUIRED
  klpelf_kbuild_relocs)
klpelf_valgrind_test(c_alloc_sweep $<TARGET_FILE:test_alloc_sweep> ${klpelf_vg_fixtures}/module.o
  ${klpelf_vg_sample})
klpelf_valgrind_sh(c_alloc_sweep_kbuild
  [=[test -f "$1" || { echo "skipped: no kbuild modules"; exit 0; }; exec $VG "$0" "$@"]=]
  $<TARGET_FILE:test_alloc_sweep> ${klpelf_vg_kbuild}/plain/klpelf_plain.ko
  ${klpelf_vg_kbuild}/livepatch/klpelf_livepatch.ko ${klpelf_vg_kbuild}/klpelf_plain_signed.ko
  ${klpelf_vg_kbuild}/livepatch/klpelf_livepatch_klp.ko)
set_tests_properties(valgrind_c_alloc_sweep_kbuild PROPERTIES FIXTURES_REQUIRED
  klpelf_kbuild_modules)

# klpelf-inspect: the built-in sample (text and JSON), corrupt files (exit status 1 expected), and
# kbuild modules when kernel headers are installed.
klpelf_valgrind_test(inspect_sample $<TARGET_FILE:klpelf-inspect> --sample)
klpelf_valgrind_test(inspect_sample_json $<TARGET_FILE:klpelf-inspect> --json --sample)
set(klpelf_vg_dir ${PROJECT_BINARY_DIR}/valgrind-inputs)
file(MAKE_DIRECTORY ${klpelf_vg_dir})
file(WRITE ${klpelf_vg_dir}/not-elf.ko "this is not an ELF file\n")
add_custom_command(OUTPUT ${klpelf_vg_dir}/truncated.o
  COMMAND dd if=${klpelf_vg_sample} of=${klpelf_vg_dir}/truncated.o bs=200 count=1 status=none
  DEPENDS klpelf-inspect
  COMMENT "Truncating the sample module for valgrind_inspect_corrupt"
  VERBATIM)
add_custom_target(klpelf_valgrind_inputs ALL DEPENDS ${klpelf_vg_dir}/truncated.o)
foreach(input IN ITEMS truncated.o not-elf.ko)
  string(REGEX REPLACE "[.-]" "_" tag "${input}")
  klpelf_valgrind_sh(inspect_corrupt_${tag} [=[$VG "$0" "$1"; test $? -eq 1]=]
    $<TARGET_FILE:klpelf-inspect> ${klpelf_vg_dir}/${input})
endforeach()
# Several files in one run, with a map whose name gives a kernel release the sample (which has no
# vermagic) is rejected for (exit status 1); Debian's placeholder System.map, refused (exit 2).
file(WRITE ${klpelf_vg_dir}/System.map-6.1.0-valgrind "ffffffff81785530 t cmdline_proc_show\n"
  "ffffffff81756450 t load_elf_binary\n")
file(WRITE ${klpelf_vg_dir}/placeholder/System.map-6.1.0-valgrind
  "ffffffffffffffff B The real System.map is in the linux-image-6.1.0-valgrind-dbg package\n")
klpelf_valgrind_sh(inspect_files [=[$VG "$0" --json --relocs --resolve "$1" "$2" "$3"; test $? -eq 1]=]
  $<TARGET_FILE:klpelf-inspect> ${klpelf_vg_dir}/System.map-6.1.0-valgrind ${klpelf_vg_sample}
  ${klpelf_vg_dir}/truncated.o)
klpelf_valgrind_sh(inspect_placeholder_map [=[$VG "$0" --resolve "$1" --sample; test $? -eq 2]=]
  $<TARGET_FILE:klpelf-inspect> ${klpelf_vg_dir}/placeholder/System.map-6.1.0-valgrind)
# The relocation pre-flight on the compiler-made module, against a map where every symbol resolves
# and one where a relocation overflows (exit status 1 expected).
foreach(elf2 IN ITEMS ffffffff817533a0 00007f0000001000)
  file(WRITE ${klpelf_vg_dir}/relocs-${elf2}.map "ffffffff81785530 t cmdline_proc_show\n"
    "ffffffff81756450 t load_elf_binary\n${elf2} t load_elf_binary\n"
    "ffffffff81004000 t helper.isra.0\nffffffffc0002000 T ext4_fill_super\t[ext4]\n"
    "ffffffffc0001000 t helper\t[ext4]\nffffffffc0003000 t helper\t[ext4]\n")
endforeach()
klpelf_valgrind_test(inspect_relocs $<TARGET_FILE:klpelf-inspect> --json --resolve
  ${klpelf_vg_dir}/relocs-ffffffff817533a0.map --relocs ${klpelf_vg_fixtures}/klp_relocs.o)
klpelf_valgrind_sh(inspect_relocs_refused [=[$VG "$0" "$@"; test $? -eq 1]=]
  $<TARGET_FILE:klpelf-inspect> --resolve ${klpelf_vg_dir}/relocs-00007f0000001000.map --relocs
  ${klpelf_vg_fixtures}/klp_relocs.o)
foreach(module IN ITEMS livepatch/klpelf_livepatch.ko klpelf_plain_signed.ko)
  get_filename_component(tag "${module}" NAME_WE)
  klpelf_valgrind_sh(inspect_kbuild_${tag}
    [=[test -f "$2" || { echo "skipped: no kbuild modules"; exit 0; }; exec $VG "$0" "$1" "$2"]=]
    $<TARGET_FILE:klpelf-inspect> --json ${klpelf_vg_kbuild}/${module})
  set_tests_properties(valgrind_inspect_kbuild_${tag} PROPERTIES FIXTURES_REQUIRED
    klpelf_kbuild_modules)
endforeach()

# The inspection API against libkmod (test_modinfo) and klpelf-inspect --modinfo, text and JSON,
# on the kbuild modules (cmake/ModinfoTests.cmake).
if(TARGET test_modinfo)
  klpelf_valgrind_test(c_modinfo_kbuild $<TARGET_FILE:test_modinfo> ${klpelf_vg_kbuild})
  set_tests_properties(valgrind_c_modinfo_kbuild PROPERTIES FIXTURES_REQUIRED
    klpelf_kbuild_modules SKIP_REGULAR_EXPRESSION "skipped:")
endif()
foreach(mode IN ITEMS --modinfo --json)
  string(REPLACE "-" "" tag "${mode}")
  klpelf_valgrind_sh(inspect_modinfo_${tag}
    [=[test -f "$3" || { echo "skipped: no kbuild modules"; exit 0; }; exec $VG "$0" "$@"]=]
    $<TARGET_FILE:klpelf-inspect> --modinfo ${mode} ${klpelf_vg_kbuild}/klpelf_plain_signed.ko
    ${klpelf_vg_kbuild}/livepatch/klpelf_livepatch.ko)
  set_tests_properties(valgrind_inspect_modinfo_${tag} PROPERTIES FIXTURES_REQUIRED
    klpelf_kbuild_modules SKIP_REGULAR_EXPRESSION "skipped:")
endforeach()
