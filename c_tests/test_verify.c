/*
 * Module signatures through the C API, on the real kbuild module that inspect_kbuild signs with the
 * kernel's sign-file and a fresh RSA key (tests/inspect/inspect_test.py):
 *   test_verify SIGNED.ko UNSIGNED.ko CERT.pem
 * klpelf_signature_details() names the certificate's CommonName and serial number; the
 * certificate, loaded from its file and from bytes (PEM and DER), verifies the module; a changed
 * byte of the ELF part or of the signature is -EKEYREJECTED, an empty set -ENOKEY, the unsigned
 * module -ENODATA; a failed call leaves *out and the set as they were. Prints "skipped:" when the
 * modules are missing (no kernel headers).
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <klpelf.h>

#include "buffer.h"
#include "check.h"

/* The DER of the PEM certificate at `path`, by `openssl x509` (a tool, not hand-made bytes). */
static int der_of(const char *path, struct buffer *der)
{
	char command[3 * 4096], out[4096];
	int rc;

	snprintf(out, sizeof(out), "%s.der", path);
	snprintf(command, sizeof(command), "openssl x509 -in '%s' -outform DER -out '%s'", path, out);
	rc = system(command);
	if (rc != 0)
		return -1;
	return buffer_read_file(der, out, 0);
}

static void test_details(const struct buffer *signed_ko, const struct buffer *unsigned_ko)
{
	struct klpelf_signature_details d, untouched;
	int rc;

	rc = klpelf_signature_details(signed_ko->bytes, signed_ko->len, &d);
	if (!CHECK_EQ_INT(rc, 0))
		return;
	CHECK_EQ_STR(d.id_type_name, "PKCS#7");
	CHECK_EQ_STR(d.hash_algo_name, "sha256");
	CHECK_EQ_STR(d.pkey_algo_name, "rsa");
	CHECK(d.signer_len == strlen("klpelf-test") && !memcmp(d.signer, "klpelf-test", d.signer_len));
	CHECK(d.key_id_len > 0 && d.key_id_len <= 20);
	CHECK_EQ_U64(d.signature_len, 256); /* RSA 2048 */
	CHECK(d.signature >= signed_ko->bytes &&
	      d.signature + d.signature_len <= signed_ko->bytes + signed_ko->len);

	memset(&untouched, 0x5a, sizeof(untouched));
	d = untouched;
	CHECK_EQ_INT(klpelf_signature_details(unsigned_ko->bytes, unsigned_ko->len, &d), -ENODATA);
	CHECK(!memcmp(&d, &untouched, sizeof(d)));
	CHECK(klpelf_last_error() != NULL);
	CHECK_EQ_INT(klpelf_signature_details(signed_ko->bytes, signed_ko->len, NULL), -EINVAL);
}

static void test_verify(const struct buffer *signed_ko, const struct buffer *unsigned_ko,
			const char *cert_path)
{
	struct klpelf_certs *certs = NULL, *empty = NULL;
	struct buffer pem = { 0 }, der = { 0 }, changed = { 0 };
	struct klpelf_signature sig;

	if (!CHECK_EQ_INT(klpelf_certs_new(&certs), 0) || !CHECK_EQ_INT(klpelf_certs_new(&empty), 0))
		goto out;
	CHECK_EQ_INT(klpelf_certs_add_file(certs, cert_path), 1);
	CHECK_EQ_INT(klpelf_verify_signature(signed_ko->bytes, signed_ko->len, certs), 0);
	CHECK(klpelf_last_error() == NULL);
	CHECK_EQ_INT(klpelf_verify_signature(signed_ko->bytes, signed_ko->len, empty), -ENOKEY);
	CHECK(klpelf_last_error() && strstr(klpelf_last_error(), "no key for the signer"));
	CHECK_EQ_INT(klpelf_verify_signature(unsigned_ko->bytes, unsigned_ko->len, certs), -ENODATA);

	/* From bytes: PEM, then DER. */
	if (CHECK_EQ_INT(buffer_read_file(&pem, cert_path, 0), 0)) {
		CHECK_EQ_INT(klpelf_certs_add(empty, pem.bytes, pem.len), 1);
		CHECK_EQ_INT(klpelf_verify_signature(signed_ko->bytes, signed_ko->len, empty), 0);
	}
	if (CHECK_EQ_INT(der_of(cert_path, &der), 0)) {
		CHECK_EQ_INT(klpelf_certs_add(empty, der.bytes, der.len), 1);
		CHECK_EQ_U64(klpelf_certs_count(empty), 2);
		/* A malformed certificate is refused; the set keeps what it had. */
		CHECK_EQ_INT(klpelf_certs_add(empty, der.bytes, der.len - 1), -EBADMSG);
		CHECK_EQ_U64(klpelf_certs_count(empty), 2);
	}

	/* One byte of the ELF part, then of the signature. */
	if (CHECK_EQ_INT(klpelf_module_signature(signed_ko->bytes, signed_ko->len, &sig), 0) &&
	    CHECK_EQ_INT(buffer_copy(&changed, signed_ko->bytes, signed_ko->len, 0), 0)) {
		changed.bytes[sig.sig_offset / 2] ^= 1;
		CHECK_EQ_INT(klpelf_verify_signature(changed.bytes, changed.len, certs), -EKEYREJECTED);
		changed.bytes[sig.sig_offset / 2] ^= 1;
		changed.bytes[sig.sig_offset + sig.sig_len - 1] ^= 1;
		CHECK_EQ_INT(klpelf_verify_signature(changed.bytes, changed.len, certs), -EKEYREJECTED);
	}
	CHECK_EQ_INT(klpelf_verify_signature(signed_ko->bytes, signed_ko->len, NULL), -EINVAL);
	CHECK_EQ_INT(klpelf_certs_add_file(certs, "/nonexistent/cert.pem"), -ENOENT);
	CHECK_EQ_U64(klpelf_certs_count(certs), 1);
	CHECK_EQ_U64(klpelf_certs_count(NULL), 0);
out:
	buffer_free(&pem);
	buffer_free(&der);
	buffer_free(&changed);
	klpelf_certs_free(certs);
	klpelf_certs_free(empty);
	klpelf_certs_free(NULL);
}

int main(int argc, char **argv)
{
	struct buffer signed_ko = { 0 }, unsigned_ko = { 0 };

	if (argc != 4) {
		fprintf(stderr, "usage: %s SIGNED.ko UNSIGNED.ko CERT.pem\n", argv[0]);
		return 2;
	}
	if (buffer_read_file(&signed_ko, argv[1], 0) || buffer_read_file(&unsigned_ko, argv[2], 0)) {
		printf("skipped: no signed kbuild module (%s): inspect_kbuild found no kernel headers\n",
		       argv[1]);
		buffer_free(&signed_ko);
		return 0;
	}
	test_details(&signed_ko, &unsigned_ko);
	test_verify(&signed_ko, &unsigned_ko, argv[3]);
	buffer_free(&signed_ko);
	buffer_free(&unsigned_ko);
	return check_summary("test_verify");
}
