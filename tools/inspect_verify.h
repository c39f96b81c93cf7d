/*
 * klpelf-inspect --verify CERT and --verify-kernel IMAGE: each module's appended signature checked
 * as the kernel checks it (klpelf_verify_signature), against the certificates given (PEM or DER
 * files) and those built into a kernel image (vmlinux or vmlinuz), loaded once for the run.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_INSPECT_VERIFY_H
#define KLPELF_INSPECT_VERIFY_H

#include <klpelf.h>

#include "inspect_options.h"

/* One module's verdict. */
struct verification {
	int err;                                  /* klpelf_verify_signature(): 0 valid, or -errno */
	char why[512];                            /* klpelf_last_error() when err != 0 */
	int have_details;                         /* whether details were read */
	struct klpelf_signature_details details;  /* the signer, key id and algorithms */
};

/* Loads the certificates of --verify and --verify-kernel into *certs (NULL when neither was
 * given). Returns INSPECT_OK, or INSPECT_USAGE after saying on stderr which file failed and why. */
int verify_load(const struct inspect_options *o, struct klpelf_certs **certs);

/* Verifies `len` bytes of a module file against `certs`, filling *v. Returns INSPECT_OK when the
 * signature is valid, INSPECT_REJECTED when it is not (unsigned, unknown key, bad signature...). */
int verify_module(const struct klpelf_certs *certs, const void *bytes, size_t len,
		  struct verification *v);

/* The verdict in the text report: one "verified:" line. */
void print_verification_text(const struct verification *v);

/* The "verify" member of the JSON report, with its leading comma. */
void print_verification_json(const struct verification *v);

#endif
