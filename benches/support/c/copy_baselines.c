/*
 * The C baselines of klpelf's `copy` benchmark group. SPDX-License-Identifier: GPL-2.0-only
 *
 * The kernel-C baseline is the C tests' reference oracle (c_tests/support/oracle.c, compiled with
 * this file): the kernel's copy_module_elf() / free_module_elf() as plain C, three allocations, the
 * header copied by value, two memcpys, three frees; oracle_copy_module_elf_xnum for the
 * 1,000,000-section size, which needs extended numbering.
 *
 * floor_copy / floor_free: what any implementation that allocates must pay: one malloc of the
 * total bytes the kernel allocates, one memcpy of them from one contiguous source, one free.
 *
 * The copy and the free are separate functions called from Rust through the C ABI, so the compiler
 * cannot pair a malloc with its free and drop both (it may, for a malloc/memcpy/free in one body).
 */
#include <stdlib.h>
#include <string.h>

void *floor_copy(const void *src, size_t alloc_size, size_t copy_size)
{
	void *block = malloc(alloc_size);

	if (block)
		memcpy(block, src, copy_size);
	return block;
}

void floor_free(void *block)
{
	free(block);
}
